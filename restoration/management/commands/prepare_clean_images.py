from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from restoration.core.clean_images import write_clean_images


class Command(BaseCommand):
    help = ("Write a small clean image set for training on a fresh machine: scikit-image's bundled photographs "
            "and generated scenes (bring your own clean scans for real training).")

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--long-side", type=int, nargs="+", default=[1024],
                            help="Long side of the photographs in px; several values write each at every size "
                                 "(default 1024).")
        parser.add_argument("--generated", type=int, default=10)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, out, long_side, generated, seed, **options):
        try:
            paths = write_clean_images(out, long_side=long_side, generated=generated, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Wrote {len(paths)} clean images into {out}")
