import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from imaging.io import ImageError, read_image, write_image
from restoration.core.components import components_document, dropped_components, mask_to_components
from restoration.core.methods import DEFAULT_METHOD, MethodError, MethodUnavailable, restore_image


class Command(BaseCommand):
    help = ("Restore a scan: detect damage and repair it at full resolution. The output format follows the "
            "extension of --out (.tif/.tiff, .png, .jpg); bit depth and channels are kept. --mask-out writes the "
            f"damage mask (255 where damage was found), --review-out the list of its components (polygons, class, "
            f"score, area, bbox) as JSON. Default method: {DEFAULT_METHOD}.")

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--method", default=None, help="See `python manage.py list_methods`.")
        parser.add_argument("--mask-out", type=Path)
        parser.add_argument("--review-out", type=Path,
                            help="write the repaired mask's components as JSON: one polygon per connected "
                                 "component with its class, score (peak detector probability), area and bbox")
        parser.add_argument("--device", help="cpu or cuda (default: a GPU when there is one)")
        parser.add_argument("--polarity", choices=("negative", "positive", "auto"),
                            help="the film's: negative (damage light), positive (slides, damage dark) or auto "
                                 "(decided from the image; the default of detecting methods)")
        parser.add_argument("--px-per-mm", type=float,
                            help="the scan's scale in pixels per mm of film (default: its long side spans 35 mm)")
        parser.add_argument("--frame-mm", type=float,
                            help="the long edge of the film frame in mm (35 for 35 mm film, 56 for 6x6, ...)")
        parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                            help="any other option of the method (see list_methods), e.g. threshold=0.6")

    def handle(self, *args, input: Path, out: Path, method, mask_out, review_out, device, polarity, px_per_mm,
               frame_mm, option, **options):
        try:
            image = read_image(input, max_pixels=settings.MAX_IMAGE_PIXELS)
            opts = _parse_options(option)
            if polarity:
                opts["polarity"] = polarity
            if px_per_mm is not None or frame_mm is not None:
                if px_per_mm is not None and frame_mm is not None:
                    raise CommandError("give --px-per-mm or --frame-mm, not both")
                opts["px_per_mm"] = px_per_mm if px_per_mm is not None else max(image.shape[:2]) / frame_mm
            result = restore_image(
                image, method=method, device=device, options=opts,
                progress=lambda i, n, msg: self.stderr.write(f"\r{100 * i // n:3d}% {msg:<48}", ending=""))
            self.stderr.write("")
            write_image(out, result.image)
            if mask_out:
                write_image(mask_out, result.mask)
            if review_out:
                scale = result.info.get("px_per_mm") or opts.get("px_per_mm") or max(image.shape[:2]) / 35.0
                comps = mask_to_components(result.mask, probability=result.probability, px_per_mm=scale)
                if result.dropped is not None:  # the do-no-harm review's, rejected with the reason
                    comps += dropped_components(result.dropped[0], result.mask, result.dropped[1],
                                                probability=result.probability, px_per_mm=scale)
                doc = components_document(comps, width=image.shape[1], height=image.shape[0], px_per_mm=scale)
                review_out.write_text(json.dumps(doc))
        except (ImageError, MethodError, MethodUnavailable, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        share = float((result.mask > 0).mean())
        facts = [f"polarity {result.info['polarity']}" + (" (auto)" if result.info.get("polarity_asked") == "auto"
                                                          else "")] if "polarity" in result.info else []
        review = result.info.get("components")
        if review:
            dropped = ", ".join(f"{n} {why}" for why, n in sorted(review["dropped"].items())) or "none"
            facts.append(f"components kept {review['kept']}, dropped {sum(review['dropped'].values())} ({dropped})")
        self.stdout.write(f"{out}: {result.info['method']} on {result.info['device']}, "
                          f"{share:.3%} of pixels found damaged" + "".join(f"; {f}" for f in facts))


def _parse_options(pairs: list[str]) -> dict:
    """``NAME=VALUE`` pairs as method options: numbers become int or float, the rest stay strings."""
    opts: dict = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"--option needs NAME=VALUE, got {pair!r}")
        for cast in (int, float):
            try:
                opts[name] = cast(value)
                break
            except ValueError:
                continue
        else:
            opts[name] = value
    return opts
