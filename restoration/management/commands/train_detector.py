from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from restoration import services


class Command(BaseCommand):
    help = ("Train the damage detector on fresh realistic samples (restoration.core.realism) drawn from the training "
            "split of a clean corpus (`make corpus`), at its canonical scale, and save the checkpoint with its model "
            "card; logs validation IoU/F1, precision, recall and the share flagged on undamaged crops.")

    def add_arguments(self, parser):
        parser.add_argument("--corpus", type=Path, default=Path("var/corpus"), help="Corpus folder (manifest.json).")
        parser.add_argument("--out", type=Path, required=True, help="Checkpoint file to write (.pt).")
        parser.add_argument("--model", default="FilmDamageSimulator",
                            help="The damage model whose overlays are drawn (name, NAME:VERSION or id).")
        parser.add_argument("--steps", type=int, default=1500)
        parser.add_argument("--batch-size", type=int, default=16)
        parser.add_argument("--lr", type=float, default=2e-3)
        parser.add_argument("--crop", type=int, default=192, help="Training crop side at the canonical scale.")
        parser.add_argument("--base", type=int, default=8)
        parser.add_argument("--depth", type=int, default=5)
        parser.add_argument("--eval-every", type=int, default=100)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--device", default=None, help="cpu or cuda (default: a GPU when there is one)")
        parser.add_argument("--init", type=Path, help="Checkpoint of the same architecture to go on from.")
        parser.add_argument("--workers", type=int, default=0,
                            help="Processes that make the training samples while the network trains (0: this one, "
                                 "between steps; on a GPU machine use most of its CPU cores).")
        parser.add_argument("--register", metavar="NAME", help="Also register the model in the database as NAME.")

    def handle(self, *args, **o):
        try:
            result = services.detector_train(
                corpus_dir=o["corpus"], out=o["out"], model_ref=o["model"], steps=o["steps"],
                batch_size=o["batch_size"], lr=o["lr"], crop=o["crop"], base=o["base"], depth=o["depth"],
                eval_every=o["eval_every"], seed=o["seed"], device=o["device"], init=o["init"],
                sample_workers=o["workers"],
                on_eval=lambda e: self.stdout.write(
                    f"step {e.step}: loss {e.train_loss:.4f} " + ", ".join(f"{k} {v:.4f}" for k, v in e.val.items())))
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if o["register"]:
            services.network_register(name=o["register"], kind="segmentation", weights_path=result.path)
        self.stdout.write(f"wrote {result.path} (step {result.card['selected_step']} kept: {result.card['val']})")
