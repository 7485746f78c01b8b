import sys

from django.core.management.base import BaseCommand, CommandError

from tamasuk.audit.models import INSTALLATION_CHAIN
from tamasuk.audit.queries import verify_all, verify_chain
from tamasuk.cities.models import City


class Command(BaseCommand):
    help = ("Audit log tools. `audit verify` recomputes every chain (one per city, one for the installation) and "
            "names the first broken link; `--city SLUG` verifies that city's chain only.")

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify"])
        parser.add_argument("--city", help="verify only this city's chain (its slug)")

    def handle(self, *args, subcommand, city=None, **options):
        def progress(n):
            if n % 10000 == 0:
                self.stdout.write(f"  checked {n} events…")

        if city:
            target = City.objects.filter(slug=city).first()
            if target is None:
                raise CommandError(f"No city {city!r}.")
            results = [verify_chain(city=target, progress=progress)]
        else:
            results = verify_all(progress=progress)
        names = dict(City.objects.values_list("pk", "slug"))
        broken = False
        for status in results:
            name = ("installation" if status.chain == INSTALLATION_CHAIN
                    else names.get(status.chain, f"city #{status.chain} (deleted)"))
            if status.ok:
                self.stdout.write(self.style.SUCCESS(
                    f"{name}: chain intact, {status.erased} payloads erased by request "
                    f"({status.length} events, head {status.head_hash})"))
            else:
                broken = True
                self.stderr.write(self.style.ERROR(
                    f"{name}: chain BROKEN at event #{status.broken_seq}: {status.problem} "
                    f"({status.length} events verified before it)"))
        if broken:
            sys.exit(1)
        total = sum(s.length for s in results)
        erased = sum(s.erased for s in results)
        self.stdout.write(self.style.SUCCESS(
            f"Audit chains intact: {len(results)} chains, {total} events, {erased} payloads erased by request"))
