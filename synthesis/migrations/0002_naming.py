import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Naming (issue 15 item 5): a damage model is fitted on an ``annotation.AnnotationSet``."""

    dependencies = [
        ("annotation", "0004_naming"),
        ("synthesis", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="damagemodel",
            name="dataset",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="damage_models", to="annotation.annotationset"),
        ),
    ]
