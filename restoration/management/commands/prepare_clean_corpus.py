from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from restoration.core.corpus import (
    DEFAULT_FONT_DIRS,
    DEFAULT_WALLPAPER_ROOTS,
    HELDOUT_SOURCES,
    KINDS,
    SPLITS,
    write_corpus,
)


class Command(BaseCommand):
    help = ("Write the clean corpus the damage detector is trained and evaluated on: the photographs among the "
            "installed Debian wallpapers and scikit-image's samples, and hard negatives (text, line art, wires, "
            "stars, highlights) rendered on them, split by source into train and heldout, with manifest.json. "
            "Resumable: files already made with the same settings are kept.")

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True, help="Corpus folder (e.g. var/corpus).")
        parser.add_argument("--long-side", type=int, default=2048, help="Longest side of the photographs in px.")
        parser.add_argument("--renders-per-kind", type=int, default=40, help="Renders of each kind in each split.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--wallpaper-root", type=Path, action="append", dest="wallpaper_roots",
                            help="Folder of wallpapers (repeat; default "
                                 f"{' '.join(map(str, DEFAULT_WALLPAPER_ROOTS))}).")
        parser.add_argument("--font-dir", type=Path, action="append", dest="font_dirs",
                            help=f"Folder of TrueType fonts (repeat; default {' '.join(map(str, DEFAULT_FONT_DIRS))}).")
        parser.add_argument("--heldout-source", action="append", dest="heldout_sources",
                            help=f"Source held out (repeat; default {' '.join(HELDOUT_SOURCES)}).")

    def handle(self, *args, out, long_side, renders_per_kind, seed, wallpaper_roots, font_dirs, heldout_sources,
               **options):
        step = max(1, renders_per_kind)

        def progress(done, total):
            if done == total or done % step == 0:
                self.stdout.write(f"  {done}/{total}")

        try:
            result = write_corpus(out, wallpaper_roots=wallpaper_roots or DEFAULT_WALLPAPER_ROOTS,
                                  font_dirs=font_dirs or DEFAULT_FONT_DIRS, long_side=long_side,
                                  renders_per_kind=renders_per_kind, seed=seed,
                                  heldout_sources=heldout_sources or HELDOUT_SOURCES, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{'split':8} {'source':10} " + " ".join(f"{k:>10}" for k in KINDS))
        for split in SPLITS:
            for source, counts in sorted(result["counts"].get(split, {}).items()):
                self.stdout.write(f"{split:8} {source:10} " + " ".join(f"{counts.get(k, 0):>10}" for k in KINDS))
        rejected = {}
        for r in result["rejected"]:
            rejected[r["source"]] = rejected.get(r["source"], 0) + 1
        self.stdout.write("not photographs (skipped): " + ", ".join(f"{s} {n}" for s, n in sorted(rejected.items())))
        for line in result["skipped"]:
            self.stdout.write(self.style.WARNING(f"no renders: {line}"))
        self.stdout.write(f"{result['photos']} photographs and {result['renders']} renders in {out} "
                          f"({result['made']} made now, {result['kept']} already there); {result['manifest']}")
