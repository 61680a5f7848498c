from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.core.layout import __doc__ as LAYOUTS
from evaluation.core.scoring import DEFAULT_DAMAGE_THRESHOLD, DEFAULT_DILATION
from evaluation.services.benchmarks import BenchmarkImportError, benchmark_import, benchmark_import_zip


class Command(BaseCommand):
    help = ("Import a benchmark: authentic damaged scans paired with expert restorations, matched by file name "
            "without extension. DIR is a folder (or a .zip of one) in one of these layouts: "
            "DIR/damaged/<name>.<ext> + DIR/restored/<name>.<ext> (the paper's public dataset as published); "
            "DIR/input/ + DIR/gt/; DIR/damaged/ + DIR/clean/; or DIR/<name>_damaged.<ext> + "
            "DIR/<name>_restored.<ext> in one folder. Folder names are matched case-insensitively; a DIR holding "
            "only one folder is looked into. Ambiguous layouts (two at once), unpaired names, and pairs that "
            "differ in size, channels or bit depth are refused and nothing is kept. Ground-truth masks are "
            "|damaged - restored| (max over channels, divided by the full range) > --threshold, which the "
            "benchmark records.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = LAYOUTS
        return parser

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="The benchmark folder, or a zip of it.")
        parser.add_argument("--name", required=True, help="Name of the new benchmark.")
        parser.add_argument("--threshold", type=float, default=DEFAULT_DAMAGE_THRESHOLD,
                            help=f"Ground-truth binarisation threshold in [0, 1) (default {DEFAULT_DAMAGE_THRESHOLD}).")
        parser.add_argument("--dilation", type=int, default=DEFAULT_DILATION,
                            help=f"Pixels around the damage counted as damage (default {DEFAULT_DILATION}).")
        parser.add_argument("--description", default="")
        parser.add_argument("--source", default="", help="Where the pairs came from (default: the path).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, directory: Path, name, threshold, dilation, description, source, json: bool, **opts):
        def progress(done, total, message=None):
            if not json:
                self.stdout.write(f"  {done}/{total}")

        options = dict(name=name, threshold=threshold, dilation=dilation, description=description,
                       source=source or str(directory), progress=progress)
        try:
            if directory.is_file() and directory.suffix.lower() == ".zip":
                benchmark = benchmark_import_zip(archive=directory, **options)
            else:
                benchmark = benchmark_import(directory=directory, **options)
        except BenchmarkImportError as exc:
            raise CommandError(str(exc)) from exc
        images = list(benchmark.images.values("name", "width", "height", "channels", "bit_depth", "damage_fraction"))
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps({"id": benchmark.pk, "name": benchmark.name, "layout": benchmark.layout,
                                                 "threshold": benchmark.threshold, "dilation": benchmark.dilation,
                                                 "images": images}))
            return
        self.stdout.write(self.style.SUCCESS(
            f"Benchmark {benchmark.name!r} (id {benchmark.pk}): {len(images)} pairs from the {benchmark.layout} "
            f"layout, ground truth at threshold {benchmark.threshold}, dilation {benchmark.dilation} px."))
