from django.core.management.base import BaseCommand, CommandError

from annotation.core.stats import damage_stats
from annotation.models import AnnotationSet
from annotation.selectors import annotation_set_scan_artefacts


class Command(BaseCommand):
    help = "Per-class artefact counts and area statistics (square microns, population std) of a dataset."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--json", action="store_true", help="Print the statistics as JSON.")

    def handle(self, *args, dataset: str, json: bool, **options):
        ds = AnnotationSet.objects.filter(name=dataset).first()
        if ds is None:
            raise CommandError(f"No dataset named {dataset!r}.")
        stats = damage_stats(annotation_set_scan_artefacts(dataset=ds), name=ds.name)
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps(stats))
            return
        self.stdout.write(f"Dataset {stats['dataset']}: {stats['scans']} scans")
        self.stdout.write(f"{'class':<12}{'count':>8}{'mean um2':>14}{'std um2':>14}")
        for cls, s in stats["classes"].items():
            self.stdout.write(f"{cls:<12}{s['count']:>8}{s['area_um2']['mean']:>14.0f}{s['area_um2']['std']:>14.0f}")
