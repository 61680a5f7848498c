from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    """Naming (issue 15 item 5): an annotation set is ``AnnotationSet``; who made a polygon is ``created_by``."""

    dependencies = [
        ("annotation", "0003_review_sets"),
        ("synthesis", "0001_initial"),  # its foreign key to the old name, renamed with the model
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name="Dataset", new_name="AnnotationSet"),
        migrations.RenameField(model_name="polygon", old_name="author", new_name="created_by"),
    ]
