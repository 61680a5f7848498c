from django.db.models import QuerySet

from .models import Restoration


def restoration_list_for(*, user) -> QuerySet[Restoration]:
    """Staff see every restoration; others their own."""
    qs = Restoration.objects.select_related("job", "owner")
    return qs if user.is_staff else qs.filter(owner=user)
