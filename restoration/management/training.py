"""The shared shell of the train_segmentation and train_restoration commands."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from restoration import services
from restoration.core.dataset import DatasetError
from restoration.core.training import TrainingConfig
from restoration.core.unet import CheckpointError, UNetConfig


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
        parser.add_argument("--base", type=int, default=16, help="Width of the first level (default 16).")
        parser.add_argument("--depth", type=int, default=3, help="Number of poolings (default 3).")
        parser.add_argument("--crop", type=int, default=256, help="Training crop side in pixels (default 256).")
        parser.add_argument("--crops-per-item", type=int, default=4, help="Crops of each item per epoch (default 4).")
        parser.add_argument("--batch-size", type=int, default=16)
        parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3).")
        parser.add_argument("--init", type=Path, help="Checkpoint to start from (see the README's recipes).")
        parser.add_argument("--keep", choices=("best", "last"), default="best",
                            help="Save the epoch with the best validation score (default) or the last one.")

    def architecture(self, options) -> UNetConfig:
        return UNetConfig(in_channels=3, out_channels=1, base=options["base"], depth=options["depth"],
                          task="segmentation")

    def extra(self, options) -> dict:
        return {}

    def handle(self, *args, dataset, out, epochs, seed, device, register, **options):
        import torch

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if device == "cpu":
            self.stderr.write("Training on the CPU.")
        try:
            config = TrainingConfig(epochs=epochs, seed=seed, batch_size=options["batch_size"], lr=options["lr"],
                                    crop=options["crop"], crops_per_item=options["crops_per_item"],
                                    select=options["keep"])
            result = type(self).train(dataset_dir=dataset, out=out, config=config, arch=self.architecture(options),
                                      device=device, on_epoch=self.log_epoch, init=options["init"],
                                      **self.extra(options))
        except (DatasetError, CheckpointError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Saved {result.path}"))
        if register:
            services.network_register(name=register, kind=self.kind, weights_path=result.path)
            self.stdout.write(f"Registered as {register}")

    def log_epoch(self, log) -> None:
        scores = ", ".join(f"{k} {v:.4f}" for k, v in log.val.items())
        self.stdout.write(f"epoch {log.epoch}: loss {log.train_loss:.4f}, validation {scores} ({log.seconds:.0f} s)")
