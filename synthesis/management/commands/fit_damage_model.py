
from django.core.management.base import BaseCommand, CommandError

from annotation.models import AnnotationSet
from synthesis import services
from synthesis.core.model import DamageModelError


class Command(BaseCommand):
    help = ("Fit the statistical damage model (per-patch count hurdle + Gamma, Gamma areas, spatial density) "
            "from a dataset's annotations and store it as the next version of MODEL.")

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--name", required=True, help="Model name; each fit adds a version.")
        parser.add_argument("--scan", action="append", default=[], help="Fit on these scans only (repeatable).")
        parser.add_argument("--min-samples", type=int, default=3,
                            help="Fewest samples for a maximum-likelihood Gamma; fewer fall back (see notes).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="Print the stored model as JSON.")

    def handle(self, *args, dataset, name, scan, min_samples, seed, json: bool, **options):
        ds = AnnotationSet.objects.filter(name=dataset).first()
        if ds is None:
            raise CommandError(f"No dataset named {dataset!r}.")
        try:
            record = services.damage_model_fit(dataset=ds, name=name, scan_names=scan or None,
                                               min_samples=min_samples, seed=seed)
        except (ValueError, DamageModelError) as exc:
            raise CommandError(str(exc)) from exc
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps({"id": record.pk, "name": record.name, "version": record.version,
                                                 "notes": record.notes, "model": record.params}))
            return
        core = services.damage_model_core(record)
        self.stdout.write(f"Fitted {record.label} on {ds.name} (id {record.pk})")
        for cls, m in core.classes.items():
            cg = f"Gamma(k={m.count_gamma.shape:.3g}, theta={m.count_gamma.scale:.3g})" if m.count_gamma else "none"
            ag = f"Gamma(k={m.area_gamma.shape:.3g}, theta={m.area_gamma.scale:.3g} um2)" if m.area_gamma else "none"
            self.stdout.write(f"  {cls:<11} n={m.n_artefacts:<6} P(patch>0)={m.p_nonempty:.4f} counts {cg} areas {ag}")
        if record.notes:
            self.stdout.write(self.style.WARNING(record.notes))
