"""Base models for tenant-owned data.

Every tenant-owned model subclasses ``TenantModel``. That one line gives it the tenant
FK, audit columns, a client uuid and a sync version, a manager that fails closed
without a tenant, and (installed after every migrate, see ``rls.py``) PostgreSQL
row-level security plus the trigger that bumps ``version`` on every write.

``Attachment`` is here too: one model for the files every app's rows carry.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.gis.db import models as gis
from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import tenancy
from .context import current_actor_id


class TenantQuerySet(models.QuerySet):
    """A queryset that binds itself to the tenant in context when it is evaluated.

    Binding happens at evaluation, not at construction, so class-level querysets (for
    example a viewset's ``queryset``) built at import time are filtered by the tenant of
    the request that runs them. Evaluating with no tenant raises ``TenantContextMissing``;
    evaluating under ``system_context`` applies no filter.

    Known gap: ``Subquery(qs)`` and ``Exists(qs)`` read ``qs.query`` directly and so are
    not filtered here; row-level security still restricts them to the tenant in context
    (and to nothing without one). Prefer ``field__in=qs``, which is bound.
    """

    _SYSTEM = "system"

    def __init__(self, model: Any = None, query: Any = None, using: Any = None, hints: Any = None) -> None:
        super().__init__(model, query, using, hints)
        self._tenant_bound: int | str | None = None

    def _bind_tenant(self) -> None:
        ctx = tenancy.current()
        if ctx is None:
            raise tenancy.TenantContextMissing(
                f"{self.model.__name__} is tenant-owned and no tenant is set. Run inside "
                "tenant_context(...) or, for a system job, system_context(...)."
            )
        key: int | str = self._SYSTEM if isinstance(ctx, tenancy.SystemContext) else ctx.id
        if self._tenant_bound is None:
            if isinstance(ctx, tenancy.TenantContext):
                self._query.add_q(Q(tenant_id=ctx.id))  # type: ignore[attr-defined]
            self._tenant_bound = key
        elif self._tenant_bound != key:
            raise tenancy.TenantContextMissing(
                f"This {self.model.__name__} queryset was bound to another tenant; build a new one."
            )

    def _clone(self) -> TenantQuerySet:
        clone = super()._clone()  # type: ignore[misc]
        clone._tenant_bound = self._tenant_bound
        return clone

    # Every path that sends SQL goes through one of these.
    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._bind_tenant()
        super()._fetch_all()

    def iterator(self, chunk_size: int | None = None) -> Any:
        self._bind_tenant()
        return super().iterator(chunk_size=chunk_size)

    def aiterator(self, chunk_size: int = 2000) -> Any:
        self._bind_tenant()
        return super().aiterator(chunk_size=chunk_size)

    def count(self) -> int:
        if self._result_cache is None:
            self._bind_tenant()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._bind_tenant()
        return super().exists()

    def contains(self, obj: models.Model) -> bool:
        self._bind_tenant()
        return super().contains(obj)

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._bind_tenant()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._bind_tenant()
        return super().update(**kwargs)

    def _update(self, values: Any) -> Any:
        self._bind_tenant()
        return super()._update(values)  # type: ignore[misc]

    def delete(self) -> tuple[int, dict[str, int]]:
        self._bind_tenant()
        return super().delete()

    def _raw_delete(self, using: Any) -> int:
        self._bind_tenant()
        return super()._raw_delete(using)

    def explain(self, *, format: Any = None, **options: Any) -> str:
        self._bind_tenant()
        return super().explain(format=format, **options)

    def resolve_expression(self, *args: Any, **kwargs: Any) -> Any:
        # Used when the queryset is a subquery: Model.objects.filter(x__in=<this>).
        self._bind_tenant()
        return super().resolve_expression(*args, **kwargs)

    def _combinator_query(self, combinator: str, *other_qs: Any, all: bool = False) -> Any:
        self._bind_tenant()
        for other in other_qs:
            if isinstance(other, TenantQuerySet):
                other._bind_tenant()
        return super()._combinator_query(combinator, *other_qs, all=all)  # type: ignore[misc]

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        for obj in objs:
            obj._assign_tenant_from_context()
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager of tenant-owned models: scoped to the tenant in context."""

    use_in_migrations = False


class SyncVersionField(models.BigIntegerField):
    """Monotonic change number set by a database trigger on every insert and update.

    The trigger (not Python) sets it, so bulk ``update()`` calls bump it too; the value
    comes back from INSERT ... RETURNING. An insert always sends 0, even for a copy of a
    saved row: the insert trigger only stands aside for a version set by a set-based
    writer from the tenant's sequence (``apps.core.rls``).
    """

    db_returning = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", 0)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if add:
            setattr(model_instance, self.attname, 0)
            return 0
        return super().pre_save(model_instance, add)


class TenantModel(models.Model):
    """Abstract base of every tenant-owned model."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    uuid = models.UUIDField(default=uuid.uuid4, editable=False, help_text="Client-generated id, unique per tenant.")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = SyncVersionField()

    objects = TenantManager()

    # What the change log (apps.audit) records of this model; subclasses override.
    #: False for rows that are records themselves (logs, tokens, counters): not logged at all.
    changelog: ClassVar[bool] = True
    #: Fields never shown, only said to have changed ("********"), on top of the naming
    #: rule of ``apps.audit.values`` (password, secret, token, key, hash).
    changelog_masked: ClassVar[tuple[str, ...]] = ()
    #: Fields the naming rule would mask that hold no secret (``dedupe_key``): shown.
    changelog_unmasked: ClassVar[tuple[str, ...]] = ()
    #: Bookkeeping fields whose changes are not worth an entry (``last_login``...).
    changelog_ignored: ClassVar[tuple[str, ...]] = ()
    #: Foreign keys (or generic foreign keys), first one set wins, whose object's history
    #: also shows this row's changes: a role assignment shows in its person's history.
    changelog_related: ClassVar[tuple[str, ...]] = ()
    #: Whether the version trigger stamps this model's rows from the tenant's sequence. A
    #: table no device syncs (the change log) says False: its writes would otherwise spend
    #: the tenant's versions, and move every sync cursor, for rows nobody pulls.
    sync_versioned: ClassVar[bool] = True

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["tenant", "uuid"], name="%(app_label)s_%(class)s_tenant_uuid"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._assign_tenant_from_context()
        super().save(*args, **kwargs)

    def _assign_tenant_from_context(self) -> None:
        """Fill ``tenant`` from the context; refuse to write a row of another tenant."""
        ctx = tenancy.current()
        if isinstance(ctx, tenancy.TenantContext):
            if self.tenant_id is None:
                self.tenant_id = ctx.id
            elif self.tenant_id != ctx.id:
                raise tenancy.TenantContextMissing(
                    f"Refusing to write a {type(self).__name__} of tenant {self.tenant_id} "
                    f"while acting for tenant {ctx.id}."
                )
        elif ctx is None:
            raise tenancy.TenantContextMissing(f"Cannot save a {type(self).__name__} with no tenant in context.")
        elif self.tenant_id is None:
            raise tenancy.TenantContextMissing(f"A {type(self).__name__} saved under system_context needs a tenant.")
        actor = current_actor_id()
        if actor is not None:
            if self._state.adding and self.created_by_id is None:
                self.created_by_id = actor
            self.modified_by_id = actor


def is_tenant_model(model: type[models.Model]) -> bool:
    return issubclass(model, TenantModel)


def attachment_path(instance: Attachment, filename: str) -> str:
    """Where an attachment's file is stored: by tenant and month, under the random name given."""
    return f"attachments/t{instance.tenant_id}/{timezone.now():%Y/%m}/{filename}"


class Attachment(TenantModel):
    """A photo, signature, audio, video or document owned by a job, answer, attendance
    event, ticket or work order (any tenant-owned row: ``owner_type`` + ``owner_id``).

    The file is stored under a random name; ``content_type`` is what its bytes were found to
    be (``apps.core.uploads``), never what the client declared, and ``sha256``/``size`` are
    of the bytes stored. ``name`` is the client's file name, kept only to label downloads.
    Written by ``apps.core.attachments.store_attachment``; never edited afterwards.
    """

    changelog_related = ("owner",)

    class Kind(models.TextChoices):
        PHOTO = "PHOTO", "Photo"
        SIGNATURE = "SIGNATURE", "Signature"
        AUDIO = "AUDIO", "Audio"
        VIDEO = "VIDEO", "Video"
        DOCUMENT = "DOCUMENT", "Document"

    owner_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    owner_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("owner_type", "owner_id")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name, for downloads.")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    point = gis.PointField(srid=4326, geography=True, null=True, blank=True, help_text="Where it was taken.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["tenant", "owner_type", "owner_id"], name="core_attachment_owner")]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name or self.pk}"
