import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tamasuk.cities import services
from tamasuk.cities.models import City, Role


class Command(BaseCommand):
    help = "Create a city administrator (and the city itself when it does not exist yet)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--city", required=True, help="the city's short name (slug)")
        parser.add_argument("--city-name", help="name of a new city")
        parser.add_argument("--country", help="ISO 3166 alpha-3 code of a new city, e.g. KEN")
        parser.add_argument("--languages", default="en", help="comma-separated, e.g. ar,en")
        parser.add_argument("--password", help="omit to be asked (or to get a random one with --no-input)")
        parser.add_argument("--no-input", action="store_true")

    def handle(self, *args, username, email, city, city_name, country, languages, password, no_input, **o):
        password = password or (None if no_input else getpass.getpass("Password: "))
        with transaction.atomic():
            target = City.objects.filter(slug=city).first()
            if target is None:
                if not (city_name and country):
                    raise CommandError(f"No city {city!r}: give --city-name and --country to create it.")
                target = services.create_city(actor="cli", name=city_name, slug=city, country=country,
                                              languages=[s.strip() for s in languages.split(",") if s.strip()])
            user = get_user_model().objects.filter(username=username).first()
            generated = None
            if user is None:
                user, generated = services.create_user(actor="cli", username=username, email=email,
                                                       password=password, city=target)
            services.grant_membership(actor="cli", city=target, user=user, role=Role.ADMIN)
        self.stdout.write(self.style.SUCCESS(f"{username} is now administrator of {target.name}."))
        if generated:
            self.stdout.write(f"Temporary password (shown once): {generated}")
