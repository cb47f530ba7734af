"""People of a tenant, their roles, and the refresh tokens issued to them."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from apps.core import admin_platform
from apps.core.models import TenantManager, TenantModel
from apps.core.search import search_index

from .capabilities import CAPABILITIES


def validate_capabilities(value: list[str]) -> None:
    unknown = sorted(set(value) - set(CAPABILITIES))
    if unknown:
        raise ValidationError(f"Unknown capabilities: {', '.join(unknown)}.")


class Role(TenantModel):
    """A named set of capabilities, editable per tenant (admin, supervisor, guard, client viewer)."""

    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    capabilities = ArrayField(models.CharField(max_length=50), default=list, validators=[validate_capabilities])

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="people_role_tenant_code"),
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PersonManager(TenantManager):
    def get_by_natural_key(self, login: str) -> Person:
        return self.get(login=login)


class Person(TenantModel, AbstractBaseUser):
    """The user model. ``login`` is unique within a tenant, not across tenants."""

    changelog_ignored = ("last_login",)  # every sign-in would be an entry

    login = models.CharField(max_length=150)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    is_superuser = models.BooleanField(
        default=False, help_text="Platform support staff: may manage tenants in the admin."
    )
    code = models.CharField(max_length=50, blank=True, help_text="Employee code, unique in the tenant when set.")
    mobile = models.CharField(max_length=32, blank=True)
    home_site = models.ForeignKey(
        "sites.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="home_people"
    )
    reports_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    department = models.ForeignKey("tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    designation = models.ForeignKey("tenants.Lookup", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        "sites.Client",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="viewers",
        help_text="For client viewers: the client whose sites they may see.",
    )
    photo = models.ImageField(upload_to="people/photos/", blank=True, help_text="Reference photo for face match.")
    left_on = models.DateField(null=True, blank=True, help_text="Set when the person leaves; history stays.")
    bound_device_id = models.CharField(
        max_length=128,
        blank=True,
        help_text="When set, tokens are only issued to and accepted from this device.",
    )
    roles: models.ManyToManyField[Role, RoleAssignment] = models.ManyToManyField(
        Role, through="RoleAssignment", through_fields=("person", "role"), related_name="people", blank=True
    )

    objects = PersonManager()  # type: ignore[misc]

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "login"], name="people_person_tenant_login"),
            models.UniqueConstraint(
                fields=["tenant", "code"], condition=~models.Q(code=""), name="people_person_tenant_code"
            ),
        ]
        indexes = [
            # Pickers search people by any part of login, name or code (apps/core/search.py).
            search_index("login", "people_person_login_trgm"),
            search_index("name", "people_person_name_trgm"),
            search_index("code", "people_person_code_trgm"),
        ]
        ordering = ["login"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"{self.name} ({self.login})"

    def capability_set(self) -> frozenset[str]:
        cached = getattr(self, "_capabilities", None)
        if cached is None:
            cached = frozenset(cap for role in self.roles.all() for cap in role.capabilities)
            self._capabilities = cached
        return cached

    def role_codes(self) -> list[str]:
        return sorted(role.code for role in self.roles.all())

    @property
    def is_platform_operator(self) -> bool:
        """A platform operator governs the installation (tenants, beat schedules, task results).

        Operators are people of the platform tenant (``PLATFORM_TENANT_SLUG``) with
        ``is_superuser``, both set only by ``manage.py create_operator``. The flag alone is
        not enough: a person of a customer tenant with it (set by hand in the database) is
        no operator, so a tenant's own staff can never grant it to themselves.
        """
        return bool(self.is_active and self.is_superuser and self.tenant.slug == settings.PLATFORM_TENANT_SLUG)

    @property
    def is_staff(self) -> bool:
        """Django admin access: tenant admins (``admin.manage``) and platform operators."""
        return self.is_platform_operator or self.has_capability("admin.manage")

    def has_capability(self, code: str) -> bool:
        """Capabilities come from roles only: ``is_superuser`` grants none, so an operator
        reads no tenant data over REST, GraphQL or the console."""
        return self.is_active and code in self.capability_set()

    def has_any_capability(self, codes: Iterable[str]) -> bool:
        return any(self.has_capability(code) for code in codes)

    # Django admin's permission interface, per model and per action (apps/core/admin_platform.py).
    def has_perm(self, perm: str, obj: object = None) -> bool:
        return admin_platform.admin_permits(self, perm)

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        return admin_platform.admin_permits_all(self, perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return admin_platform.admin_permits_app(self, app_label)


class RoleAssignment(TenantModel):
    changelog_related = ("person",)  # a role change shows in the person's history

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "person", "role"], name="people_roleassignment_unique"),
        ]


class RefreshToken(TenantModel):
    """One refresh token (stored as a SHA-256 hash). Rotation makes a chain in one
    ``family``; presenting a token that was already rotated revokes the whole family,
    because only a stolen copy would be used twice."""

    changelog = False  # a credential record, issued and revoked on every sign-in

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64)
    family = models.UUIDField(db_index=True)
    device_id = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "token_hash"], name="people_refreshtoken_hash"),
        ]
        indexes = [models.Index(fields=["tenant", "expires_at"], name="people_refresh_expiry")]

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class Team(TenantModel):
    """A group of people (a patrol team, a maintenance crew) with one or more leads."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    members: models.ManyToManyField[Person, TeamMembership] = models.ManyToManyField(
        Person, through="TeamMembership", through_fields=("team", "person"), related_name="teams", blank=True
    )

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "code"], name="people_team_tenant_code"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(TenantModel):
    changelog_related = ("team",)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="team_memberships")
    is_lead = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [
            *TenantModel.Meta.constraints,
            models.UniqueConstraint(fields=["tenant", "team", "person"], name="people_teammembership_unique"),
        ]
