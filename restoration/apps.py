from django.apps import AppConfig


class RestorationConfig(AppConfig):
    name = "restoration"
    verbose_name = "Restore"

    def ready(self) -> None:
        from restoration.core.methods import default_detector_resolver_set

        from .selectors import default_detector_path

        # The detecting methods use the detector promoted on the networks page, when there is one.
        default_detector_resolver_set(default_detector_path)
