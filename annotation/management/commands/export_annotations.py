import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotation.core.formats import export_coco, export_public_json
from annotation.models import AnnotationSet
from annotation.selectors import annotation_set_scan_artefacts


class Command(BaseCommand):
    help = ("Export a dataset's annotations: --format coco writes one COCO file; --format json writes one "
            "public-format file per scan (full-resolution coordinates) into --out DIR.")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--format", choices=["json", "coco"], default="json")
        parser.add_argument("--out", type=Path, required=True, help="A folder (json) or a file (coco).")

    def handle(self, *args, dataset: str, format: str, out: Path, **options):
        ds = AnnotationSet.objects.filter(name=dataset).first()
        if ds is None:
            raise CommandError(f"No dataset named {dataset!r}.")
        scans = annotation_set_scan_artefacts(dataset=ds)
        if format == "coco":
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(export_coco(scans, dataset=ds.name)))
            self.stdout.write(f"Wrote {out}")
            return
        out.mkdir(parents=True, exist_ok=True)
        for scan in scans:
            (out / f"{scan.name}.json").write_text(json.dumps(export_public_json(scan)))
        self.stdout.write(f"Wrote {len(scans)} file(s) into {out}")
