from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Naming (issue 15 item 5): who made a submission is ``created_by``."""

    dependencies = [
        ("evaluation", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="submission", name="unique_submission_version"),
        migrations.RenameField(model_name="submission", old_name="submitted_by", new_name="created_by"),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.UniqueConstraint(fields=("benchmark", "created_by", "is_baseline", "method_name",
                                                       "version"), name="unique_submission_version"),
        ),
    ]
