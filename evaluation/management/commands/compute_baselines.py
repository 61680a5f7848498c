from django.core.management.base import BaseCommand, CommandError

from evaluation.models import Benchmark
from evaluation.services.baselines import baselines_compute, baselines_enqueue


class Command(BaseCommand):
    help = ("Compute the baseline rows of a benchmark: the do-nothing row and every available restoration method "
            "(unavailable ones are skipped with the reason). Enqueues a job on the gpu queue, or runs here with "
            "--sync.")

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", required=True, help="Benchmark name.")
        parser.add_argument("--method", action="append", dest="methods", help="Only this method (repeatable).")
        parser.add_argument("--sync", action="store_true", help="Run in this process instead of a job.")

    def handle(self, *args, benchmark, methods, sync, **options):
        record = Benchmark.objects.filter(name=benchmark).first()
        if record is None:
            raise CommandError(f"No benchmark named {benchmark!r}.")
        if not sync:
            job = baselines_enqueue(benchmark=record, methods=methods)
            self.stdout.write(f"Job {job.pk} enqueued on the gpu queue.")
            return
        try:
            report = baselines_compute(benchmark=record, methods=methods)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Computed: {', '.join(report['computed']) or 'none'}")
        for name, reason in report["skipped"].items():
            self.stdout.write(f"Skipped {name}: {reason}")
