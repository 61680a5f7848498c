from django.core.management.base import BaseCommand, CommandError

from surveys.models import Survey
from surveys.selectors import GROUP_LABELS, survey_results


class Command(BaseCommand):
    help = "A survey's results: Table 2 (mean and std of participant scores by familiarity and crop size) and tests."

    def add_arguments(self, parser):
        parser.add_argument("--survey", required=True, help="The survey's slug.")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args, survey: str, json: bool, **options):
        record = Survey.objects.filter(slug=survey).first()
        if record is None:
            raise CommandError(f"No survey with slug {survey!r}.")
        results = survey_results(survey=record)
        if json:
            import json as json_module

            keep = ("table", "groups", "between", "side_bias", "flagged", "excluded", "started", "finished")
            self.stdout.write(json_module.dumps({"survey": record.slug, **{k: results[k] for k in keep}}))
            return
        self.stdout.write(f"{record.title} ({record.get_kind_display()}): {results['finished']} of "
                          f"{results['started']} participants finished")
        cols = results["table"]["columns"]
        self.stdout.write(f"{'':<20}{'n':>4}" + "".join(f"{str(c):>16}" for c in cols))
        for row in results["table"]["rows"]:
            cells = "".join(_cell(row["cells"][c]) for c in cols)
            self.stdout.write(f"{GROUP_LABELS[row['group']]:<20}{row['participants']:>4}{cells}")
        k = results["between"]["kruskal"]
        self.stdout.write(f"{k['test']}: " + (f"H = {k['statistic']:.3f}, p = {k['p_value']:.4f}"
                                               if "statistic" in k else k["note"]))


def _cell(cell) -> str:
    if cell["mean"] is None:
        return f"{'-':>16}"
    std = "-" if cell["std"] is None else f"{cell['std']:.1f}"
    return f"{cell['mean']:>10.1f} {std:>5}"
