"""The scheduling pages of the console: the day board of one site and a job with its stops.

The board is ``apps.scheduling.selectors.board`` (a site's jobs of one local day in four
columns: planned, in progress, done, missed) and a job comes from ``get_job_for``; the
site picker offers the sites ``sites_for`` gives the person, and another tenant's or an
unseen site or job is a 404. Times are shown in the site's time zone, which the page names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.scheduling import selectors
from apps.scheduling.models import TOUR_KINDS, Job
from apps.sites.models import Site
from apps.sites.selectors import get_site_for

from . import choices
from .access import found, may, page

#: Reading the jobs of one's sites (not only one's own): the board is for the people who
#: plan and watch the work, not for the guards who do it.
JOBS_READ = selectors.SITE_JOB_READERS
#: The board's columns, in order: (key of ``board()``, heading).
COLUMNS = [("planned", "Planned"), ("in_progress", "In progress"), ("done", "Done"), ("missed", "Missed")]
#: The days the board can show, and how one is written in the query string.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

View = Callable[..., HttpResponse]


def jobs_page(view: View) -> View:
    """A console page for people with ``console.access`` and one of ``JOBS_READ`` (403 otherwise)."""

    @page(*JOBS_READ)
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may(request.user, ("console.access",)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def local_today(site: Site) -> date:
    """Today's date where ``site`` is."""
    return timezone.now().astimezone(ZoneInfo(site.timezone)).date()


def _default_site(person: Any, sites: list[Site]) -> Site | None:
    """The person's home site when they may see it, else the first site they may see."""
    home = next((site for site in sites if site.pk == person.home_site_id), None)
    return home or (sites[0] if sites else None)


def _day(raw: str, site: Site) -> tuple[date, str]:
    """The day asked for (``YYYY-MM-DD``) and an error message; today at the site when absent or bad."""
    if not raw:
        return local_today(site), ""
    day = None
    if ISO_DAY.fullmatch(raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            pass
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        message = f"Choose a date as YYYY-MM-DD between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."
        return local_today(site), message
    return day, ""


def _stop_counts(jobs: list[Job]) -> dict[int, tuple[int, int]]:
    """(stops done, stops) per tour among ``jobs``, in one query.

    The tours come from the board, so the person may see them; every stop of a visible
    tour counts, also an external tour's stops at sites the person does not see.
    """
    tours = [job.pk for job in jobs if job.kind in TOUR_KINDS]
    if not tours:
        return {}
    rows = (
        Job.objects.filter(parent_id__in=tours)
        .values("parent_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status=Job.Status.COMPLETED)))
    )
    counts = {row["parent_id"]: (row["done"], row["total"]) for row in rows}
    return {pk: counts.get(pk, (0, 0)) for pk in tours}


@jobs_page
@require_http_methods(["GET"])
def job_board(request: HttpRequest) -> HttpResponse:
    person = request.user
    sites = choices.sites_of(person)
    raw_site = request.GET.get("site", "")
    site = found(get_site_for, person, raw_site) if raw_site else _default_site(person, sites)
    if site is None:
        return render(request, "console/jobs/board.html", {"sites": sites, "site": None})
    day, error = _day(request.GET.get("date", "").strip(), site)
    board = selectors.board(person, site, day)
    stops = _stop_counts([job for key, _ in COLUMNS for job in board[key]])
    today = local_today(site)
    context = {
        "sites": sites,
        "site": site,
        "day": day,
        "today": today,
        "is_today": day == today,
        "previous_day": day - timedelta(days=1) if day > FIRST_DAY else None,
        "next_day": day + timedelta(days=1) if day < LAST_DAY else None,
        "error": error,
        "columns": [
            {
                "key": key,
                "label": label,
                "count": board["counts"][key],
                "cards": [{"job": job, "stops": stops.get(job.pk)} for job in board[key]],
            }
            for key, label in COLUMNS
        ],
    }
    with timezone.override(ZoneInfo(site.timezone)):
        return render(request, "console/jobs/board.html", context, status=400 if error else 200)


@jobs_page
@require_http_methods(["GET"])
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = found(selectors.get_job_for, request.user, job_id)
    stops = list(
        job.stops.select_related(
            "site", "asset", "checklist_version__checklist", "assignee_person", "assignee_team"
        ).order_by("seq", "pk")
    )
    context = {
        "job": job,
        "stops": stops,
        "stops_done": sum(1 for stop in stops if stop.status == Job.Status.COMPLETED),
        "board_day": job.plan_at.astimezone(ZoneInfo(job.site.timezone)).date(),
    }
    with timezone.override(ZoneInfo(job.site.timezone)):
        return render(request, "console/jobs/detail.html", context)
