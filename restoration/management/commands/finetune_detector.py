import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from restoration import services


class Command(BaseCommand):
    help = ("Fine-tune the default damage detector from every reviewed scan (kept and added components are damage, "
            "rejected ones negatives) plus synthetic samples of a clean corpus, hold out part of the reviewed scans "
            "(by scan, seeded), report the new detector against the current default on them, and register it "
            "(--promote: make it the default). --queue runs it as a gpu job instead of here.")

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Name the fine-tuned detector is registered as.")
        parser.add_argument("--steps", type=int, default=300)
        parser.add_argument("--lr", type=float, default=2e-4)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--holdout", type=float, default=0.2, help="Share of the reviewed scans held out.")
        parser.add_argument("--corpus", type=Path, default=None,
                            help="Clean corpus (`make corpus`) the synthetic samples come from; default var/corpus "
                                 "when it exists, else none (reviewed scans only).")
        parser.add_argument("--no-corpus", action="store_true",
                            help="Reviewed scans only, even when var/corpus exists (no synthetic samples).")
        parser.add_argument("--crop", type=int, default=192, help="Training crop side at the canonical scale.")
        parser.add_argument("--batch-size", type=int, default=8)
        parser.add_argument("--init", type=Path, help="Start from these weights instead of the current default.")
        parser.add_argument("--promote", action="store_true", help="Make it the default detector when it is done.")
        parser.add_argument("--queue", action="store_true", help="Queue it as a gpu job and print the job's id.")

    def handle(self, *args, **o):
        corpus = o["corpus"]
        if o["no_corpus"] and corpus is not None:
            raise CommandError("--corpus and --no-corpus contradict each other: give one.")
        if corpus is None and not o["no_corpus"] and (Path("var/corpus") / "manifest.json").is_file():
            corpus = Path("var/corpus")
        kwargs = {"name": o["name"], "steps": o["steps"], "lr": o["lr"], "seed": o["seed"], "holdout": o["holdout"],
                  "corpus_dir": str(corpus) if corpus else None, "crop": o["crop"], "batch_size": o["batch_size"]}
        try:
            if o["queue"]:
                if o["init"]:
                    raise CommandError("--init is for a run here; a queued job starts from the current default.")
                job = services.detector_finetune_start(**kwargs, promote=o["promote"])
                self.stdout.write(f"queued job {job.pk} (train.finetune, gpu queue)")
                return
            record = services.detector_finetune(**kwargs, init=o["init"], on_log=lambda step, loss: self.stdout.write(
                f"step {step}: loss {loss:.4f}"))
            if o["promote"]:
                services.network_promote(record=record)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        held = record.card.get("held_out") or {}
        self.stdout.write(f"wrote {record.weights_path} (registered as {record.name!r}"
                          f"{', promoted to default' if o['promote'] else ''})")
        for who in ("baseline", "new"):
            if who in held:
                s = held[who]
                self.stdout.write(f"held out, {who}: IoU {s['iou']:.4f}, flagged {s['flagged_share']:.4%}, "
                                  f"rejected flagged again {s['rejected_flagged']:.2%} ({s['scans']} scans)")
        self.stdout.write(f"proxy benchmark: {record.card.get('proxy_benchmark')}")
        if o["verbosity"] > 1:
            self.stdout.write(json.dumps(held, indent=1))
