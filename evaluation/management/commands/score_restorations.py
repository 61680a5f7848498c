from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.core.scoring import (
    DEFAULT_DAMAGE_THRESHOLD,
    DEFAULT_DILATION,
    ScoringError,
    report_to_json,
    score_folders,
)


class Command(BaseCommand):
    help = ("Score a folder of restorations against a folder of ground truth (images matched by file name "
            "without extension) with the metric card: PSNR, SSIM, LPIPS; with --damaged also PSNR and SSIM inside "
            "and outside the damage. --json prints {\"images\": [{\"name\", \"psnr\", \"ssim\", \"lpips\", "
            "\"psnr_damage\", \"psnr_clean\", ...}], \"mean\": {...}, \"std\": {...}, \"metric_card\": {...}} "
            "with non-finite values as null.")

    def add_arguments(self, parser):
        parser.add_argument("--gt", type=Path, required=True, help="Folder of expert restorations.")
        parser.add_argument("--restored", type=Path, required=True, help="Folder of the method's restorations.")
        parser.add_argument("--damaged", type=Path, help="Folder of the damaged inputs (adds the region scores).")
        parser.add_argument("--threshold", type=float, default=DEFAULT_DAMAGE_THRESHOLD,
                            help="Ground-truth damage threshold of the normalised difference.")
        parser.add_argument("--dilation", type=int, default=DEFAULT_DILATION)
        parser.add_argument("--device", default=None, help="Where LPIPS runs (default: cuda when present).")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, gt, restored, damaged, threshold, dilation, device, json: bool, **options):
        from jobs.tasking import torch_device

        try:
            report = score_folders(gt, restored, damaged, lpips_device=device or torch_device(),
                                   damage_threshold=threshold, dilation=dilation)
        except (ScoringError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if json:
            self.stdout.write(report_to_json(report))
            return
        keys = [k for k in report["mean"] if k != "damage_fraction"]
        self.stdout.write("image  " + "  ".join(keys))
        for row in report["images"]:
            self.stdout.write(f"{row['name']}  " + "  ".join(f"{row[k]:.4f}" for k in keys))
        self.stdout.write("mean   " + "  ".join(f"{report['mean'][k]:.4f}" for k in keys))
        self.stdout.write("std    " + "  ".join(f"{report['std'][k]:.4f}" for k in keys))
