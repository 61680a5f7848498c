from django.core.management.base import BaseCommand

from webapp.demo import DEMO_APPS, demo_load


class Command(BaseCommand):
    help = "Create the demo users and each app's demo content (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--apps", default=",".join(DEMO_APPS),
                            help="Comma-separated apps whose demo content to load (default: all).")

    def handle(self, *args, apps: str, **options):
        chosen = tuple(a.strip() for a in apps.split(",") if a.strip())
        demo_load(log=lambda m: self.stdout.write(m), apps=chosen)
        self.stdout.write(self.style.SUCCESS("Demo content ready."))
