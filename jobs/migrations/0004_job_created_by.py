from django.db import migrations


class Migration(migrations.Migration):
    """A job's creator is ``created_by``, as on every other row (docs/GLOSSARY.md)."""

    dependencies = [("jobs", "0003_job_lease")]

    operations = [migrations.RenameField(model_name="job", old_name="owner", new_name="created_by")]
