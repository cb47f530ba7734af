"""Authentication services shared by REST, GraphQL, WebSocket and the console.

Adapters parse input and call these; the rules (credentials, throttling, device
binding, rotation, revocation) live here only.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.utils import timezone

from apps.core import tenancy, uploads
from apps.core.errors import AuthenticationFailed, DomainError, Throttled
from apps.sites.selectors import sees_all_sites
from apps.tenants.models import Tenant
from apps.tenants.selectors import active_tenant

from . import teams, throttling, tokens
from .capabilities import SEED_ROLES
from .credentials import check_password_strength, family_revoked, revoke_all_sessions, revoke_family
from .models import Person, RefreshToken, Role, Team, TeamMembership
from .selectors import people_for
from .teams import Member as Member

log = structlog.get_logger(__name__)

# A hash to check against when the login does not exist, so both paths cost the same.
_DUMMY_PASSWORD_HASH = make_password("not-a-real-password")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in: int
    refresh_expires_at: int
    claims: tokens.AccessClaims
    #: Marks the device as trusted by this login at its next sign-in (set by ``obtain_tokens``).
    device_token: str = ""


def _active_tenant_by_slug(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise AuthenticationFailed("No such tenant.", code="unknown_tenant")
    if not tenant.is_active:
        raise AuthenticationFailed("This tenant is disabled.", code="tenant_inactive")
    return tenant


def active_tenant_by_id(tenant_id: int) -> Tenant:
    tenant = active_tenant(tenant_id)
    if tenant is None:
        raise AuthenticationFailed("The tenant of this token is not active.", code="tenant_inactive")
    return tenant


def check_credentials(
    *, tenant_slug: str, login: str, password: str, ip: str | None, channel: str, device_token: str = ""
) -> Person:
    """Return the person for valid credentials; throttle and log every attempt.

    ``device_token`` is what an earlier successful sign-in of this login gave the device
    (``throttling.device_token``): its attempts are slowed down on their own, not by the
    failures of others. Raises ``AuthenticationFailed`` (``unknown_tenant``,
    ``invalid_credentials``) or ``Throttled`` (``auth_throttled``). Passwords are never logged.
    """
    try:
        throttling.begin_attempt(tenant_slug, login, ip, device_token)
    except Throttled as exc:
        log.warning("auth.login_failed", tenant=tenant_slug, login=login, ip=ip, channel=channel, reason=exc.code)
        raise
    try:
        tenant = _active_tenant_by_slug(tenant_slug)
    except AuthenticationFailed as exc:
        log.warning("auth.login_failed", tenant=tenant_slug, login=login, ip=ip, channel=channel, reason=exc.code)
        raise
    with tenancy.tenant_context(tenant):
        person = Person.objects.filter(login=login).first()
        if person is None:
            Person(password=_DUMMY_PASSWORD_HASH).check_password(password)
            valid = False
        else:
            valid = person.check_password(password) and person.is_active
    if not valid:
        # The attempt was counted as a failure when it began: nothing more to record.
        log.warning(
            "auth.login_failed", tenant=tenant_slug, login=login, ip=ip, channel=channel, reason="invalid_credentials"
        )
        raise AuthenticationFailed("Invalid login or password.", code="invalid_credentials")
    throttling.record_success(tenant_slug, login, ip, device_token)
    assert person is not None
    log.info("auth.login_succeeded", tenant=tenant_slug, login=login, person_id=person.pk, ip=ip, channel=channel)
    return person


def _check_device(person: Person, device_id: str) -> None:
    if person.bound_device_id and device_id != person.bound_device_id:
        raise AuthenticationFailed("This account is bound to another device.", code="device_mismatch", status=403)


def _issue(person: Person, tenant: Tenant, device_id: str, family: uuid.UUID) -> TokenPair:
    secret = tokens.new_refresh_secret(tenant.pk)
    expires_at = timezone.now() + timedelta(seconds=settings.JWT_REFRESH_TTL_SECONDS)
    RefreshToken.objects.create(
        person=person,
        token_hash=tokens.hash_refresh(secret),
        family=family,
        device_id=device_id,
        expires_at=expires_at,
    )
    access, claims = tokens.encode_access(
        person_id=person.pk,
        tenant_id=tenant.pk,
        tenant_slug=tenant.slug,
        roles=person.role_codes(),
        device_id=device_id,
        family=str(family),
    )
    return TokenPair(
        access=access,
        refresh=secret,
        access_expires_in=settings.JWT_ACCESS_TTL_SECONDS,
        refresh_expires_at=int(expires_at.timestamp()),
        claims=claims,
    )


def obtain_tokens(
    *,
    tenant_slug: str,
    login: str,
    password: str,
    device_id: str = "",
    ip: str | None = None,
    channel: str = "rest",
    device_token: str = "",
) -> TokenPair:
    """Sign in with tenant, login and password; returns an access and a refresh token, and
    a device token for the next sign-in (see ``check_credentials``)."""
    person = check_credentials(
        tenant_slug=tenant_slug, login=login, password=password, ip=ip, channel=channel, device_token=device_token
    )
    tenant = _active_tenant_by_slug(tenant_slug)
    with tenancy.tenant_context(tenant), transaction.atomic(using=tenant.db_alias):
        _check_device(person, device_id)
        Person.objects.filter(pk=person.pk).update(last_login=timezone.now())
        pair = _issue(person, tenant, device_id, uuid.uuid4())
    return replace(pair, device_token=throttling.device_token(tenant_slug, login, device_token))


def _lock_token_family(refresh: str) -> RefreshToken:
    """Find a refresh token's row and serialise on its family for this transaction.

    Refresh and logout of one sign-in take the same lock, so a logout cannot miss a
    token that a concurrent refresh is creating, and two concurrent refreshes of one
    token run one after the other (the second then sees the token used).
    """
    token_hash = tokens.hash_refresh(refresh)
    found = RefreshToken.objects.filter(token_hash=token_hash).values_list("family", flat=True).first()
    if found is None:
        raise AuthenticationFailed("The refresh token is not valid.", code="token_invalid")
    with connections[tenancy.db_alias()].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"refresh-family:{found}"])
    return RefreshToken.objects.select_related("person").get(token_hash=token_hash)


def refresh_tokens(*, refresh: str, device_id: str = "") -> TokenPair:
    """Rotate a refresh token. Reusing a rotated token revokes its whole family."""
    tenant = active_tenant_by_id(tokens.parse_refresh(refresh))
    with tenancy.tenant_context(tenant):
        with transaction.atomic(using=tenant.db_alias):
            row = _lock_token_family(refresh)
            family_revoked = RefreshToken.objects.filter(family=row.family, revoked_at__isnull=False).exists()
            if row.revoked_at is not None or family_revoked:
                raise AuthenticationFailed("The refresh token has been revoked.", code="token_revoked")
            if row.used_at is None:
                if row.expires_at <= timezone.now():
                    raise AuthenticationFailed("The refresh token has expired.", code="token_expired")
                person = row.person
                if not person.is_active:
                    raise AuthenticationFailed("This account is disabled.", code="account_inactive")
                device = device_id or row.device_id
                if row.device_id and device != row.device_id:
                    raise AuthenticationFailed(
                        "This token belongs to another device.", code="device_mismatch", status=403
                    )
                _check_device(person, device)
                RefreshToken.objects.filter(pk=row.pk).update(used_at=timezone.now())
                return _issue(person, tenant, device, row.family)
            # Presented again after it was rotated: only a copy would be, so the whole
            # sign-in is revoked (committed), then refused.
            revoke_family(row.family)
        log.warning("auth.refresh_reused", person_id=row.person_id, family=str(row.family))
        raise AuthenticationFailed(
            "The refresh token was already used; every session of this sign-in is now revoked.",
            code="token_revoked",
        )


def revoke_refresh(*, refresh: str) -> None:
    """Log out: revoke this refresh token's family and the access tokens issued with it."""
    tenant = active_tenant_by_id(tokens.parse_refresh(refresh))
    with tenancy.tenant_context(tenant), transaction.atomic(using=tenant.db_alias):
        row = _lock_token_family(refresh)
        if row.revoked_at is not None:
            raise AuthenticationFailed("The refresh token has already been revoked.", code="token_revoked")
        revoke_family(row.family)
        log.info("auth.logout", person_id=row.person_id)


def _check_not_revoked(claims: tokens.AccessClaims) -> None:
    if claims.family and family_revoked(claims.family):
        raise AuthenticationFailed("The access token has been revoked.", code="token_revoked")


def verify_access(token: str) -> tokens.AccessClaims:
    """Decode an access token and check it has not been revoked."""
    claims = tokens.decode_access(token)
    _check_not_revoked(claims)
    return claims


def revalidate(person_id: int, tenant_id: int, claims: tokens.AccessClaims | None = None) -> tuple[Person, Tenant]:
    """Is this sign-in still good? The tenant and person are active, and the token (if
    any) is unexpired, not revoked and on the person's bound device.

    Used at every request, and periodically for connections that outlive one (WebSocket).
    Returns the person (roles loaded) and tenant, or raises ``AuthenticationFailed``.
    """
    tenant = active_tenant_by_id(tenant_id)
    if claims is not None:
        if claims.expires_at <= time.time():
            raise AuthenticationFailed("The access token has expired.", code="token_expired")
        _check_not_revoked(claims)
    with tenancy.tenant_context(tenant):
        person = Person.objects.filter(pk=person_id).prefetch_related("roles").first()
    if person is None or not person.is_active:
        raise AuthenticationFailed("This account is disabled.", code="account_inactive")
    person.tenant = tenant  # already loaded; saves a query wherever the caller reads it
    if claims is not None and person.bound_device_id and claims.device_id != person.bound_device_id:
        raise AuthenticationFailed("This token is not valid on this device.", code="device_mismatch", status=403)
    return person, tenant


def authenticate_access(token: str, device_id: str | None) -> tuple[Person, Tenant, tokens.AccessClaims]:
    """Resolve an access token to its person and tenant, enforcing device binding.

    The caller sets the tenant context from the returned tenant; the client never
    chooses it.
    """
    claims = tokens.decode_access(token)  # revalidate checks revocation (once per request)
    person, tenant = revalidate(claims.person_id, claims.tenant_id, claims)
    if person.bound_device_id and (device_id or "") != claims.device_id:
        raise AuthenticationFailed("This token is not valid on this device.", code="device_mismatch", status=403)
    return person, tenant, claims


WS_TICKET_PREFIX = "ws-ticket:"
WS_TICKET_MAX_LENGTH = 128


def issue_ws_ticket(person: Person) -> str:
    """A single-use ticket (valid ``WS_TICKET_TTL_SECONDS``) for opening a WebSocket from a
    browser, which cannot set an Authorization header on the upgrade request."""
    ticket = secrets.token_urlsafe(32)
    cache.set(
        WS_TICKET_PREFIX + ticket,
        {"person_id": person.pk, "tenant_id": person.tenant_id},
        timeout=settings.WS_TICKET_TTL_SECONDS,
    )
    return ticket


def redeem_ws_ticket(ticket: str) -> tuple[Person, Tenant]:
    """Consume a ticket: the person (roles loaded) and tenant it was issued to.

    Raises ``ticket_invalid`` for unknown, expired, reused or overlong tickets.
    """
    key = WS_TICKET_PREFIX + ticket
    # Issued tickets are 43 characters; anything much longer is not looked up at all.
    data = cache.get(key) if len(ticket) <= WS_TICKET_MAX_LENGTH else None
    if data is not None and cache.delete(key):  # delete() is true for exactly one caller
        tenant = active_tenant_by_id(data["tenant_id"])
        with tenancy.tenant_context(tenant):
            person = Person.objects.filter(pk=data["person_id"], is_active=True).prefetch_related("roles").first()
        if person is not None:
            return person, tenant
    raise AuthenticationFailed("The WebSocket ticket is not valid.", code="ticket_invalid")


def set_password(person: Person, raw_password: str) -> None:
    """Change a person's password (validated) and end every sign-in made with the old one."""
    check_password_strength(raw_password, person)
    with transaction.atomic(using=tenancy.db_alias()):
        person.set_password(raw_password)
        person.save(update_fields=["password", "modified_at", "modified_by"])
        # Whoever knew the old password may hold tokens: they stop working now.
        revoke_all_sessions(person)


def ensure_seed_roles() -> dict[str, Role]:
    """Create the standard roles of the tenant in context where missing (never overwrites edits)."""
    roles: dict[str, Role] = {}
    for code, (name, capabilities) in SEED_ROLES.items():
        roles[code], _ = Role.objects.get_or_create(code=code, defaults={"name": name, "capabilities": capabilities})
    return roles


# --- Reference photos ----------------------------------------------------------------------


def _read_photo(upload: File) -> tuple[bytes, str]:
    """The upload's bytes and the suffix of its format, after checking size, type and dimensions.

    The type comes from what Pillow finds in the bytes (``apps.core.uploads.check_image``),
    never from the file name or the content type the client declared.
    """
    data = uploads.read_limited(upload, settings.PERSON_PHOTO_MAX_BYTES, field="photo")
    return data, uploads.check_image(data, field="photo").suffix


def _replace_photo_name(person: Person, name: str) -> None:
    """Point the row at ``name`` and delete the file it named before, once this commits.

    The old name is read under a row lock, so two concurrent changes cannot both pick the
    same old file and leave the other's file behind.
    """
    with transaction.atomic(using=tenancy.db_alias()):
        old_name = Person.objects.select_for_update().filter(pk=person.pk).values_list("photo", flat=True).get()
        person.photo.name = name
        person.save(update_fields=["photo", "modified_at", "modified_by"])
        if old_name and old_name != name:
            transaction.on_commit(partial(person.photo.storage.delete, old_name), using=tenancy.db_alias())


def set_person_photo(person: Person, upload: File, *, by: Person | None = None) -> Person:
    """Set or replace a person's reference photo (used for face match).

    Accepts JPEG, PNG or WebP up to ``PERSON_PHOTO_MAX_BYTES`` and ``uploads.MAX_IMAGE_SIDE``
    pixels a side, checked by opening the bytes with Pillow. Raises ``file_too_large``,
    ``invalid_image`` or ``image_too_large`` and writes nothing then. The file is stored
    under a random name (the client's name is never used); a replaced file is deleted
    once the change commits. The bytes are stored as uploaded (metadata included).
    """
    data, suffix = _read_photo(upload)
    previous = person.photo.name or ""
    person.photo.save(f"{secrets.token_hex(16)}{suffix}", ContentFile(data), save=False)
    new_name = person.photo.name
    try:
        _replace_photo_name(person, new_name)
    except BaseException:
        person.photo.storage.delete(new_name)
        person.photo.name = previous
        raise
    log.info("people.photo_set", person_id=person.pk, by=by.pk if by else None)
    return person


def remove_person_photo(person: Person, *, by: Person | None = None) -> Person:
    """Clear a person's reference photo; its file is deleted once the change commits.

    Removing a photo that is not there does nothing.
    """
    if not person.photo.name:
        return person
    _replace_photo_name(person, "")
    log.info("people.photo_removed", person_id=person.pk, by=by.pk if by else None)
    return person


# --- Teams, as seen by the person editing them ---------------------------------------------


def _member_ids(members: Iterable[Member | dict[str, Any]]) -> list[int]:
    return [m.person_id if isinstance(m, Member) else int(m["person_id"]) for m in members]


def _check_members_visible(members: list[Member | dict[str, Any]], by: Person) -> None:
    """Refuse people ``by`` may not see exactly as ids that do not exist (``unknown_person``),
    so the answer does not tell whether such a person exists at another site."""
    ids = _member_ids(members)
    visible = set(people_for(by).filter(pk__in=ids).values_list("pk", flat=True))
    hidden = sorted({pk for pk in ids if pk not in visible})
    if hidden:
        raise DomainError(
            f"Unknown person id(s) in this tenant: {', '.join(map(str, hidden))}.",
            code="unknown_person",
            details={"field": "members", "ids": hidden},
        )


def create_team(
    *,
    code: str,
    name: str,
    members: Iterable[Member | dict[str, Any]] = (),
    is_active: bool = True,
    by: Person | None = None,
) -> Team:
    """Create a team of the tenant in context with its members (``person_id``, ``is_lead``).

    When ``by`` is given and is not a tenant admin, every member must be a person ``by``
    may see (``selectors.people_for``).
    """
    members = list(members)
    if by is not None and not sees_all_sites(by):
        _check_members_visible(members, by)
    return teams.create_team(code=code, name=name, members=members, is_active=is_active)


def update_team(
    team: Team, *, members: Iterable[Member | dict[str, Any]] | None = None, by: Person | None = None, **fields: Any
) -> Team:
    """Edit code, name or active flag; ``members``, when given, replaces the membership.

    When ``by`` is given and is not a tenant admin, ``members`` may only name people
    ``by`` may see, and replaces only that part of the membership: memberships of people
    ``by`` cannot see are kept as they are.
    """
    if members is not None and by is not None and not sees_all_sites(by):
        members = list(members)
        _check_members_visible(members, by)
        kept = TeamMembership.objects.filter(team=team).exclude(person__in=people_for(by).order_by().values("pk"))
        members += [Member(person_id=row.person_id, is_lead=row.is_lead) for row in kept]
    return teams.update_team(team, members=members, **fields)


# Profile, role and team services live in their own modules; this is their one import path.
from .profiles import create_person as create_person  # noqa: E402
from .profiles import deactivate_person as deactivate_person  # noqa: E402
from .profiles import reactivate_person as reactivate_person  # noqa: E402
from .profiles import resolve_roles as resolve_roles  # noqa: E402
from .profiles import set_site_assignments as set_site_assignments  # noqa: E402
from .profiles import update_person as update_person  # noqa: E402
from .roles import create_role as create_role  # noqa: E402
from .roles import delete_role as delete_role  # noqa: E402
from .roles import update_role as update_role  # noqa: E402
from .teams import deactivate_team as deactivate_team  # noqa: E402
