from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotation import services
from annotation.models import Scan


class Command(BaseCommand):
    help = "Assign the scans of a dataset (or the named ones) to an annotator."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--annotator", required=True, help="Username.")
        parser.add_argument("--scan", action="append", default=[], help="Scan name (repeatable; default: all).")

    def handle(self, *args, dataset: str, annotator: str, scan: list[str], **options):
        user = get_user_model().objects.filter(username=annotator).first()
        if user is None:
            raise CommandError(f"No user named {annotator!r}.")
        scans = Scan.objects.filter(dataset__name=dataset)
        if scan:
            scans = scans.filter(name__in=scan)
        if not scans.exists():
            raise CommandError(f"No matching scans in dataset {dataset!r}.")
        for s in scans:
            services.scan_assign(scan=s, annotator=user)
        self.stdout.write(f"Assigned {scans.count()} scan(s) to {annotator}.")
