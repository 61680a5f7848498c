from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from celery.signals import worker_process_init, worker_ready, worker_shutting_down
        from django.utils.module_loading import autodiscover_modules

        from . import worker

        # Every app's tasks module declares its job kinds (jobs.registry), so that services can
        # start a job by kind in any process, not only in a Celery worker.
        autodiscover_modules("tasks")
        # A worker takes over the jobs of gone workers when it starts, and stops its jobs when it stops.
        worker_ready.connect(worker.on_worker_ready, weak=False)
        worker_shutting_down.connect(worker.on_worker_shutting_down, weak=False)
        worker_process_init.connect(worker.on_worker_process_init, weak=False)
