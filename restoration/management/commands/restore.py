from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from imaging.io import ImageError, read_image, write_image
from restoration.core.methods import DEFAULT_METHOD, MethodError, MethodUnavailable, restore_image


class Command(BaseCommand):
    help = ("Restore a scan: detect damage and repair it at full resolution. The output format follows the "
            "extension of --out (.tif/.tiff, .png, .jpg); bit depth and channels are kept. --mask-out writes the "
            f"damage mask (255 where damage was found). Default method: {DEFAULT_METHOD}.")

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--method", default=None, help="See `python manage.py list_methods`.")
        parser.add_argument("--mask-out", type=Path)
        parser.add_argument("--device", help="cpu or cuda (default: a GPU when there is one)")

    def handle(self, *args, input: Path, out: Path, method, mask_out, device, **options):
        try:
            image = read_image(input, max_pixels=settings.MAX_IMAGE_PIXELS)
            result = restore_image(
                image, method=method, device=device,
                progress=lambda i, n, msg: self.stderr.write(f"\r{100 * i // n:3d}% {msg:<48}", ending=""))
            self.stderr.write("")
            write_image(out, result.image)
            if mask_out:
                write_image(mask_out, result.mask)
        except (ImageError, MethodError, MethodUnavailable, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        share = float((result.mask > 0).mean())
        self.stdout.write(f"{out}: {result.info['method']} on {result.info['device']}, "
                          f"{share:.3%} of pixels found damaged")
