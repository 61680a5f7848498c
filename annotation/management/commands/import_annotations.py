"""Import annotation polygons: the public data by its manifest, or single files."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotation import services
from annotation.core.formats import FormatError, import_public_file, load_manifest_dataset, parse_frame_mm


class Command(BaseCommand):
    help = ("Import annotation files. Either --manifest PATH (the public data: each file with its coordinate "
            "scale and canvas size) or FILE... with --width and --height. Degenerate polygons are reported "
            "and skipped; re-importing a scan replaces its imported polygons.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path, help="Annotation JSON files (public format).")
        parser.add_argument("--manifest", type=Path, help="manifest.json of the public data.")
        parser.add_argument("--dataset", required=True, help="Dataset to import into (created if missing).")
        parser.add_argument("--width", type=int, help="Canvas width in full-resolution pixels (single files).")
        parser.add_argument("--height", type=int, help="Canvas height in full-resolution pixels (single files).")
        parser.add_argument("--coordinate-scale", type=float, default=1.0,
                            help="Factor from file coordinates to full-resolution pixels (default 1).")
        parser.add_argument("--frame-mm", default="35x24", help="Physical frame, long x short edge (default 35x24).")
        parser.add_argument("--image", type=Path, help="The scan image the single file annotates (optional).")
        parser.add_argument("--no-tiles", action="store_true", help="Do not start tile-pyramid jobs.")

    def handle(self, *args, files, manifest, dataset, width, height, coordinate_scale, frame_mm, image,
               no_tiles, **options):
        if bool(manifest) == bool(files):
            raise CommandError("Give either --manifest PATH or one or more annotation FILEs.")
        try:
            if manifest:
                scans, report = load_manifest_dataset(manifest)
                images = [None] * len(scans)
            else:
                if not (width and height):
                    raise CommandError("Single files need --width and --height (full-resolution pixels).")
                if image and len(files) > 1:
                    raise CommandError("--image goes with exactly one annotation file.")
                frame = parse_frame_mm(frame_mm)
                scans, report = [], None
                for f in files:
                    scan, r = import_public_file(f, name=f.stem, width=width, height=height,
                                                 coordinate_scale=coordinate_scale, frame_mm=frame)
                    scans.append(scan)
                    report = r if report is None else (report.merge(r) or report)
                images = [image] * len(scans)
        except (FormatError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        ds = services.annotation_set_get_or_create(name=dataset)
        for scan_artefacts, img in zip(scans, images):
            try:
                scan = services.scan_import_artefacts(dataset=ds, scan_artefacts=scan_artefacts,
                                                      image_path=img, source=str(manifest or files[0]),
                                                      build_tiles=not no_tiles)
            except ValueError as exc:
                raise CommandError(f"{scan_artefacts.name}: {exc}") from exc
            self.stdout.write(f"{scan.name}: {len(scan_artefacts.artefacts)} artefacts "
                              f"({scan.width} x {scan.height} px)")
        for skipped in report.skipped:
            self.stdout.write(self.style.WARNING(
                f"skipped {skipped.scan} #{skipped.key} ({skipped.cls}): {skipped.reason}"))
        self.stdout.write(self.style.SUCCESS(
            f"Dataset {ds.name}: {report.scans} scan(s), {report.imported} artefacts imported, "
            f"{len(report.skipped)} skipped, {len(report.repaired)} repaired."))
