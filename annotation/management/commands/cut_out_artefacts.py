from django.core.management.base import BaseCommand, CommandError

from annotation import services
from annotation.models import Scan


class Command(BaseCommand):
    help = ("Cut each annotated artefact of the dataset's scans with pixels out into the artefact bank "
            "(zero-padded square, alpha from the polygon); polygons already cut out are skipped.")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--scan", action="append", default=[], help="Scan name (repeatable; default: all).")

    def handle(self, *args, dataset: str, scan: list[str], **options):
        scans = Scan.objects.filter(dataset__name=dataset).exclude(image="")
        if scan:
            scans = scans.filter(name__in=scan)
        if not scans.exists():
            raise CommandError(f"No scans with pixels in dataset {dataset!r}.")
        for s in scans:
            n = services.bank_cutout_scan(scan=s)
            self.stdout.write(f"{s.name}: {n} artefact(s) cut out")
