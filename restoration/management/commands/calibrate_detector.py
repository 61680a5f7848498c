from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from restoration import services


class Command(BaseCommand):
    help = ("Choose a damage detector's operating point: the threshold with the best IoU among those that flag at "
            "most --max-flagged of the pixels of undamaged samples, on fresh realistic samples of the clean corpus's "
            "calibration pictures (held-out sources that neither training nor the proxy benchmark uses; no text "
            "renders, whose fonts the benchmark's text shares). --write stores it in the "
            "checkpoint's card, where the detecting methods take it as their default threshold.")

    def add_arguments(self, parser):
        parser.add_argument("--weights", type=Path, required=True, help="Detector checkpoint (.pt).")
        parser.add_argument("--corpus", type=Path, default=Path("var/corpus"), help="Corpus folder (manifest.json).")
        parser.add_argument("--model", default="FilmDamageSimulator", help="Damage model (name, NAME:VERSION or id).")
        parser.add_argument("--samples", type=int, default=256)
        parser.add_argument("--max-flagged", type=float, default=5e-4,
                            help="Largest share of undamaged pixels flagged (default 0.0005 = 0.05%%).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--write", action="store_true", help="Write the threshold into the checkpoint's card.")

    def handle(self, *args, **o):
        if not 0 < o["max_flagged"] < 1 or o["samples"] < 4:
            raise CommandError("--max-flagged must be in (0, 1) and --samples at least 4")
        try:
            scores = services.detector_calibrate(weights=o["weights"], corpus_dir=o["corpus"], model_ref=o["model"],
                                                 samples=o["samples"], max_clean_flagged=o["max_flagged"],
                                                 seed=o["seed"], write=o["write"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("at 0.5: " + ", ".join(f"{k} {scores[k]:.4f}" for k in
                                                 ("iou", "f1", "precision", "recall", "clean_flagged")))
        self.stdout.write(f"operating point {scores['threshold']}: " + ", ".join(
            f"{k} {scores['op_' + k]:.4f}" for k in ("iou", "f1", "precision", "recall", "clean_flagged")))
        self.stdout.write(f"written to {o['weights']}" if o["write"] else "not written (add --write)")
