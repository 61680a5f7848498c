from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    """Naming (issue 15 item 5): a trained network is ``Network``; who made a restoration is ``created_by``."""

    dependencies = [
        ("restoration", "0003_review_scan"),
        ("annotation", "0004_naming"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="TrainedModel", new_name="Network"),
        migrations.RenameField(model_name="restoration", old_name="owner", new_name="created_by"),
    ]
