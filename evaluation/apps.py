from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = "Leaderboard"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(rescore_after_migrate, sender=self, weak=False,
                             dispatch_uid="evaluation.rescore_after_migrate")


def rescore_after_migrate(sender=None, **kwargs) -> None:
    """After ``migrate`` (every start with ``make run``): enqueue re-scoring of submissions whose
    scores were made with another metric-card version. Only enqueues; never blocks or fails."""
    from .services.scoring import rescore_stale_after_migrate

    rescore_stale_after_migrate(**kwargs)
