from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotation import services
from annotation.core.bank import DEFAULT_PUBLIC_MAPPING, parse_mapping


class Command(BaseCommand):
    help = ("Import RGBA artefact images from DIR/<folder>/*.png into the artefact bank, each folder "
            "mapped to a class (default: the public data's map). Images already imported are skipped.")

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--mapping", help="folder=class,... e.g. sprinkles=dust,hair=long hair "
                                              "(default: the map in the public data's README)")

    def handle(self, *args, directory: Path, mapping: str | None, **options):
        try:
            chosen = parse_mapping(mapping) if mapping else dict(DEFAULT_PUBLIC_MAPPING)
            counts = services.bank_import_folder(
                root=directory, mapping=chosen,
                progress=lambda i, n: self.stderr.write(f"\r{i}/{n}", ending="") if i % 500 == 0 else None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for error in counts.pop("errors"):
            self.stdout.write(self.style.WARNING(f"skipped {error}"))
        self.stdout.write(self.style.SUCCESS(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items())))
