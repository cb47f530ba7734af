"""Alert and maintenance-window queries: the REST filters, scoped to the caller's sites."""

from __future__ import annotations

from typing import Any

import graphene

from apps.core.graphql import SizedList, filtered_page, require_capability, selected_paths
from apps.core.graphql import require_any_capability as require_any
from apps.noc import selectors
from apps.noc.filtersets import AlertFilterSet, MaintenanceWindowFilterSet

from .types import AlertSeverity, AlertStatus, AlertType, AlertTypeEnum, MaintenanceWindowType

MAX_PAGE = 500
WINDOW_READERS = ("noc.view", "noc.manage", "sites.manage")


def _page(filterset_class: Any, queryset: Any, data: dict[str, Any], first: int, offset: int) -> Any:
    return filtered_page(filterset_class, queryset, data, first, offset, MAX_PAGE)


class NocQueries(graphene.ObjectType):
    alerts = SizedList(
        AlertType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Alerts of the caller's sites, newest first (needs noc.view).",
        status=graphene.List(graphene.NonNull(AlertStatus)),
        open=graphene.Boolean(description="Only open (true) or only resolved (false) alerts."),
        site_id=graphene.ID(),
        type=graphene.List(graphene.NonNull(AlertTypeEnum)),
        severity=graphene.List(graphene.NonNull(AlertSeverity)),
        assigned_to=graphene.ID(),
        created_after=graphene.DateTime(description="First raised at or after."),
        created_before=graphene.DateTime(description="First raised before."),
        first=graphene.Int(default_value=100, description=f"Page size, at most {MAX_PAGE}."),
        offset=graphene.Int(default_value=0),
    )
    alert = graphene.Field(
        AlertType,
        id=graphene.ID(required=True),
        description="One alert with its timeline; null when the caller may not see it (needs noc.view).",
    )
    maintenance_windows = SizedList(
        MaintenanceWindowType,
        max_items=MAX_PAGE,
        page_argument="first",
        required=True,
        description="Maintenance windows of the caller's sites (needs noc.view, noc.manage or sites.manage).",
        site_id=graphene.ID(),
        active_at=graphene.DateTime(description="Only windows in force at this moment."),
        first=graphene.Int(default_value=100),
        offset=graphene.Int(default_value=0),
    )

    @staticmethod
    def resolve_alerts(
        root: object,
        info: graphene.ResolveInfo,
        site_id: Any = None,
        first: int = 100,
        offset: int = 0,
        **filters: Any,
    ) -> Any:
        user = require_capability(info, "noc.view")
        queryset = selectors.alerts_for(user, with_timeline="timeline" in selected_paths(info))
        return _page(AlertFilterSet, queryset, {"site": site_id, **filters}, first, offset)

    @staticmethod
    def resolve_alert(root: object, info: graphene.ResolveInfo, id: str) -> Any:
        user = require_capability(info, "noc.view")
        pk = selectors.parse_pk(id)
        return selectors.alerts_for(user, with_timeline=True).filter(pk=pk).first() if pk is not None else None

    @staticmethod
    def resolve_maintenance_windows(
        root: object,
        info: graphene.ResolveInfo,
        site_id: Any = None,
        active_at: Any = None,
        first: int = 100,
        offset: int = 0,
    ) -> Any:
        user = require_any(info, WINDOW_READERS)
        data = {"site": site_id, "active_at": active_at}
        return _page(MaintenanceWindowFilterSet, selectors.windows_for(user), data, first, offset)
