import graphene
from graphene_django import DjangoObjectType

from apps.tenants.models import Lookup


class LookupType(DjangoObjectType):
    """An entry of one of the tenant's code lists."""

    kind = graphene.String(
        required=True, description="DEPARTMENT, DESIGNATION, TICKET_CATEGORY, ASSET_CLASS or EVENT_TYPE."
    )

    class Meta:
        model = Lookup
        fields = ["id", "uuid", "kind", "code", "name", "position", "is_active", "version"]
