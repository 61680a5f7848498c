from django.core.management.base import BaseCommand

from webapp.roles import ensure_roles


class Command(BaseCommand):
    help = "Create the annotator, researcher and administrator groups and set their permissions."

    def handle(self, *args, **options):
        for role, count in ensure_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
