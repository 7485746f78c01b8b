import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tamasuk.audit import checkpoints
from tamasuk.audit.models import INSTALLATION_CHAIN
from tamasuk.audit.queries import verify_all, verify_chain
from tamasuk.cities.models import City


class Command(BaseCommand):
    help = ("Audit log tools. `audit verify` recomputes every chain (one per city, one for the installation) and "
            "names the first broken link; `--city SLUG` verifies that city's chain only; `--checkpoint FILE` also "
            "checks that no chain was cut or rewritten since that checkpoint. `audit checkpoint` writes a signed "
            "checkpoint (each chain's length and head) for auditors to keep.")

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify", "checkpoint"])
        parser.add_argument("--city", help="verify only this city's chain (its slug)")
        parser.add_argument("--checkpoint", help="verify: a checkpoint file from `audit checkpoint` or an "
                                                 "evidence pack (audit/checkpoint.json)")
        parser.add_argument("--output", help="checkpoint: the file to write (default: print it)")

    def handle(self, *args, subcommand, city=None, checkpoint=None, output=None, **options):
        if subcommand == "checkpoint":
            text = checkpoints.dumps(checkpoints.make())
            if output:
                Path(output).write_text(text)
                self.stdout.write(self.style.SUCCESS(f"Checkpoint written to {output}; keep it outside this "
                                                     "installation."))
            else:
                self.stdout.write(text)
            return
        saved = None
        if checkpoint:
            try:
                saved = checkpoints.read(Path(checkpoint).read_text())
            except (OSError, checkpoints.CheckpointError) as exc:
                raise CommandError(str(exc)) from exc

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
        if saved is not None:
            for finding in checkpoints.check(saved, results if not city else None):
                name = ("installation" if finding.chain == INSTALLATION_CHAIN
                        else names.get(finding.chain, f"city #{finding.chain} (deleted)"))
                if finding.ok:
                    self.stdout.write(self.style.SUCCESS(f"{name}: against the checkpoint: {finding.message}"))
                else:
                    broken = True
                    self.stderr.write(self.style.ERROR(f"{name}: against the checkpoint: {finding.message}"))
        if broken:
            sys.exit(1)
        total = sum(s.length for s in results)
        erased = sum(s.erased for s in results)
        self.stdout.write(self.style.SUCCESS(
            f"Audit chains intact: {len(results)} chains, {total} events, {erased} payloads erased by request"))
