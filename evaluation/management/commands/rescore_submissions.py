from django.core.management.base import BaseCommand

from evaluation.services.scoring import card_version, submissions_rescore


class Command(BaseCommand):
    help = ("Enqueue scoring jobs for submissions whose stored scores were made with another metric-card version "
            "(or, with --all, for every submitted one). Jobs run on the Celery workers; nothing blocks.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Re-score every submission from scratch.")

    def handle(self, *args, all: bool, **options):
        ids = submissions_rescore(all=all)
        self.stdout.write(f"Metric card {card_version()}: {len(ids)} submission(s) enqueued for scoring"
                          + (f" ({', '.join(map(str, ids))})" if ids else "") + ".")
