from django.db.models import QuerySet

from webapp.permissions import visible

from .models import Restoration


def restoration_list_for(*, user) -> QuerySet[Restoration]:
    """Restorations a user may see (``webapp.permissions``): their own; administrators every one."""
    return visible(user, "restoration", Restoration.objects.select_related("job", "created_by"))
