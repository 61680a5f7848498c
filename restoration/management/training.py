"""The shared shell of the train_segmentation and train_restoration commands."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from restoration import services
from restoration.core.dataset import DatasetError


class TrainingCommand(BaseCommand):
    #: "segmentation" or "restoration"
    kind: str = ""

    @staticmethod
    def train(**kwargs):  # pragma: no cover - set by subclasses
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("--dataset", type=Path, required=True)
        parser.add_argument("--out", type=Path, required=True, help="Checkpoint file to write (.pt).")
        parser.add_argument("--epochs", type=int, default=20)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--device", default=None, help="cpu or cuda (default: a GPU when there is one)")
        parser.add_argument("--register", metavar="NAME", help="Also register the model in the database as NAME.")

    def handle(self, *args, dataset, out, epochs, seed, device, register, **options):
        import torch

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if device == "cpu":
            self.stderr.write("Training on the CPU.")
        try:
            result = type(self).train(dataset_dir=dataset, out=out, epochs=epochs, seed=seed, device=device,
                                      on_epoch=self.log_epoch)
        except (DatasetError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Saved {result.path}"))
        if register:
            services.trained_model_register(name=register, kind=self.kind, weights_path=result.path)
            self.stdout.write(f"Registered as {register}")

    def log_epoch(self, log) -> None:
        scores = ", ".join(f"{k} {v:.4f}" for k, v in log.val.items())
        self.stdout.write(f"epoch {log.epoch}: loss {log.train_loss:.4f}, validation {scores} ({log.seconds:.0f} s)")
