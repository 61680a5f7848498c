from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from celery.signals import worker_ready
        from django.utils.module_loading import autodiscover_modules

        # Every app's tasks module declares its job kinds (jobs.registry), so that services can
        # start a job by kind in any process, not only in a Celery worker.
        autodiscover_modules("tasks")
        worker_ready.connect(requeue_after_restart, weak=False)


def requeue_after_restart(sender=None, **kwargs) -> None:
    """When a worker starts, resume the jobs its previous run (same hostname) left running."""
    import logging

    from .services import jobs_requeue_orphaned

    hostname = getattr(sender, "hostname", "")
    if hostname:
        ids = jobs_requeue_orphaned(worker=hostname)
        if ids:
            logging.getLogger(__name__).warning("Requeued jobs %s left running by %s", ids, hostname)
