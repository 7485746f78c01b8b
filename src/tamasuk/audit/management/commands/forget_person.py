from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tamasuk.audit.queries import find_person
from tamasuk.audit.services import forget_person
from tamasuk.cities.models import City
from tamasuk.cities.permissions import Action, can


class Command(BaseCommand):
    help = ("Erase a person's contact details from a city: blank them in organisations' focal points, services' "
            "contacts and their account, and erase every audit payload of the city (and of the installation) that "
            "holds them. The erasure is itself recorded in the audit chain, by a city administrator, with a reason.")

    def add_arguments(self, parser):
        parser.add_argument("--city", required=True, help="the city's short name (slug)")
        parser.add_argument("--username", default="", help="the person's account")
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--reason", default="", help="why (for example, the person's request of a given date)")
        parser.add_argument("--actor", default="", help="the city administrator making the request (username)")
        parser.add_argument("--dry-run", action="store_true", help="list what would be erased; change nothing")

    def handle(self, *args, city, username, email, phone, name, reason, actor, dry_run, **options):
        target = City.objects.filter(slug=city).first()
        if target is None:
            raise CommandError(f"No city {city!r}.")
        person = dict(username=username, email=email, phone=phone, name=name)
        try:
            match = find_person(target, **person)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self._describe(match)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
            return
        if match.empty:
            self.stdout.write("Nothing to erase.")
            return
        admin = get_user_model().objects.filter(username=actor).first() if actor else None
        if admin is None or not can(admin, Action.ERASE_PERSONAL_DATA, target):
            raise CommandError(f"--actor must name an administrator of {target.name}: erasures are theirs to make.")
        try:
            result = forget_person(actor=admin, city=target, reason=reason, **person)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Erased: {result.payloads} audit payloads, {len(result.records)} records; recorded as "
            + ", ".join(f"chain {e.chain} event #{e.seq}" for e in result.erasures) + "."))

    def _describe(self, match):
        if match.empty:
            self.stdout.write("No record and no audit payload of this city holds these details.")
            return
        for holding in match.holdings:
            self.stdout.write(f"{holding.label}: blank {', '.join(holding.fields)}")
        if match.user is not None and match.user_fields:
            self.stdout.write(f"account {match.user.username}: blank {', '.join(match.user_fields)}")
        for chain, events in sorted(match.events.items()):
            label = "installation" if chain == 0 else match.city.slug
            for event in events:
                self.stdout.write(f"audit payload of {label} event #{event.seq} ({event.action} "
                                  f"{event.object_type}:{event.object_id}): erase")
