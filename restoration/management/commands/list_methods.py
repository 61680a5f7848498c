from django.core.management.base import BaseCommand

from restoration.services import methods_describe


class Command(BaseCommand):
    help = "List the restoration methods, their kind, what they need and whether they are available here."

    def handle(self, *args, **options):
        for m in methods_describe():
            state = "available" if m["available"] else f"unavailable: {m['reason_unavailable']}"
            self.stdout.write(f"{m['name']:<18} {m['kind']:<26} {state}")
