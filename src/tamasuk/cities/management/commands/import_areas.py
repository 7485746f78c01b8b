from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tamasuk.cities.area_files import name_languages, read_file
from tamasuk.cities.models import City
from tamasuk.cities.services import import_areas


class Command(BaseCommand):
    help = ("Import areas from a GeoJSON FeatureCollection. Everything is validated first; nothing is written "
            "unless the whole file is valid. Re-importing updates areas by code.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--city", required=True, help="the city's short name (slug)")
        parser.add_argument("--code-prop", default="code", help="property holding the area code")
        parser.add_argument("--name-prop", default="name", help="property holding the area name")
        parser.add_argument("--parent-prop", default=None, help="property holding the parent's code")
        parser.add_argument("--name-lang", action="append", default=[], metavar="LANG=PROP",
                            help="extra name property per language, e.g. ar=name_ar (repeatable)")
        parser.add_argument("--population-prop", default=None)
        parser.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")

    def handle(self, *args, file: Path, city: str, code_prop, name_prop, parent_prop, name_lang,
               population_prop, dry_run, **options):
        target = City.objects.filter(slug=city).first()
        if target is None:
            raise CommandError(f"No city with short name {city!r}.")
        try:
            extra = name_languages(name_lang)
        except ValueError as exc:
            raise CommandError("--name-lang takes LANG=PROPERTY, e.g. ar=name_ar") from exc
        self.stdout.write(f"Reading {file} …")
        data = file.read_bytes()
        # The same reading as the web upload's (the areas kind of the import pipeline).
        result = read_file(target, data, code_prop=code_prop, name_prop=name_prop, parent_prop=parent_prop,
                           population_prop=population_prop, name_langs=extra)
        self.stdout.write(f"Validated {len(result.areas)} areas: {len(result.errors)} errors, "
                          f"{len(result.warnings)} warnings.")
        for w in result.warnings:
            self.stdout.write(self.style.WARNING(f"  warning: {_where(w)}{w.message}"))
        report = import_areas(actor="cli", city=target, result=result, dry_run=dry_run)
        for e in report.errors:
            self.stderr.write(self.style.ERROR(f"  error: {_where(e)}{e.message}"))
        if not report.ok:
            raise CommandError("Nothing was written: fix the errors above and run again.")
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(f"{verb} {len(report.created)}, "
                          f"{'would update' if dry_run else 'updated'} {len(report.updated)}, "
                          f"unchanged {len(report.unchanged)}.")
        for code in report.created:
            self.stdout.write(f"  + {code}")
        for code in report.updated:
            self.stdout.write(f"  ~ {code}")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")


def _where(err) -> str:
    parts = []
    if err.index is not None:
        parts.append(f"feature {err.index}")
    if err.field:
        parts.append(f"'{err.field}'")
    return (", ".join(parts) + ": ") if parts else ""
