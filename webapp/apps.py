from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WebappConfig(AppConfig):
    name = "webapp"
    verbose_name = "Film artefact lab"

    def ready(self) -> None:
        from .roles import ensure_roles_after_migrate

        post_migrate.connect(ensure_roles_after_migrate, sender=self)
