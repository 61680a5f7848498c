from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotation.core.formats import parse_frame_mm
from synthesis import services
from synthesis.selectors import damage_model_lookup


class Command(BaseCommand):
    help = ("Render damage overlays from a fitted model: writes overlay_NNNN.png (RGBA) and mask_NNNN.png "
            "(255 where damaged) into --out.")

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="Model name (latest version), NAME:VERSION or id.")
        parser.add_argument("--width", type=int, required=True)
        parser.add_argument("--height", type=int, required=True)
        parser.add_argument("--count", type=int, default=1)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--polarity", choices=["negative", "positive", "random"], default="negative")
        parser.add_argument("--frame-mm", help="Physical frame of the target, long x short (default 35x24).")
        parser.add_argument("--damage-level", type=float, default=1.0, help="Multiplies the expected counts.")
        parser.add_argument("--device", help="cpu, cuda, ... (default: a GPU when there is one)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, model, width, height, count, seed, out, polarity, frame_mm, damage_level, device,
               json: bool, **options):
        record = damage_model_lookup(model)
        if record is None:
            raise CommandError(f"No damage model {model!r}.")
        try:
            result = services.overlays_generate(
                record=record, width=width, height=height, count=count, seed=seed, out_dir=out, polarity=polarity,
                frame_mm=parse_frame_mm(frame_mm) if frame_mm else None, damage_level=damage_level,
                device=device)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps(result))
            return
        for item in result["overlays"]:
            self.stdout.write(f"{item['overlay']}  {item['damaged_fraction']:.4%} damaged  {item['seconds']:.2f} s")
