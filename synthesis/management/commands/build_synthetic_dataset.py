from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from synthesis import services
from synthesis.core.dataset import DatasetError
from synthesis.models import SyntheticDataset
from synthesis.selectors import damage_model_lookup


class Command(BaseCommand):
    help = ("Build (or resume) a synthetic dataset: damaged images, masks and clean targets with a 9:1 "
            "train/validation split and manifest.json, polarity chosen per image with equal probability.")

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True)
        parser.add_argument("--clean", type=Path, required=True, help="Folder of clean images.")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--count", type=int, help="Number of items (default: one per clean image).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--crop", help="WxH: a seeded random crop of each clean image, e.g. 512x512.")
        parser.add_argument("--px-per-mm", type=float,
                            help="With --crop: treat crops as parts of a scan of this resolution (4944/35 = 141.3 "
                                 "for the paper's 4K scans) rather than each clean image as a whole frame.")
        parser.add_argument("--no-grain", action="store_true", help="Do not add film grain to the clean targets.")
        parser.add_argument("--damage-level", type=float, default=1.0)
        parser.add_argument("--name", help="Record the build under this name (default: the output folder's name).")

    def handle(self, *args, model, clean, out, count, seed, crop, px_per_mm, no_grain, damage_level, name,
               **options):
        record = damage_model_lookup(model)
        if record is None:
            raise CommandError(f"No damage model {model!r}.")
        options_ = {"grain": not no_grain, "damage_level": damage_level}
        if px_per_mm is not None:
            if not crop or px_per_mm <= 0:
                raise CommandError("--px-per-mm needs --crop and a positive value.")
            options_["px_per_mm"] = px_per_mm
        if crop:
            try:
                options_["crop"] = [int(v) for v in crop.lower().split("x")]
            except ValueError:
                raise CommandError("--crop must look like 512x512") from None
        name = name or out.resolve().name
        try:
            dataset = SyntheticDataset.objects.filter(name=name, out_dir=str(out)).first() or \
                services.synthetic_dataset_create(name=name, record=record, clean_dir=str(clean), out_dir=str(out),
                                                  count=count, seed=seed, options=options_, enqueue=False)
            summary = services.synthetic_dataset_build(
                dataset=dataset, progress=lambda i, n: self.stderr.write(f"\r{i}/{n}", ending=""))
        except (ValueError, DatasetError) as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(
            f"{out}: {summary['present']} items ({summary.get('train', '?')} train, {summary.get('val', '?')} val)"))
