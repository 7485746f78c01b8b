"""What the directory registers with the audit log's erasure requests (audit.erasure): organisations' focal
points (name, email, phone) and services' contacts. Focal points come first: a focal point found by one detail
brings the others along, and the services' contacts are then looked for with them all."""

from django.utils.translation import gettext as _

from tamasuk.audit.erasure import Eraser, Holding, Person, preview

from ..models import Organisation, Service

CONTACT = ["focal_point_name", "focal_point_email", "focal_point_phone"]


class FocalPointEraser(Eraser):
    def has_account(self, user, city) -> bool:
        # A focal point's account belongs to the city through its organisation, even without a role.
        return user.organisations.filter(city=city).exists()

    def find(self, city, person: Person) -> list[Holding]:
        found = []
        for org in Organisation.objects.filter(city=city).order_by("pk"):
            if any(person.matches(getattr(org, f)) for f in CONTACT):
                filled = [f for f in CONTACT if getattr(org, f)]
                found.append(Holding(org, filled, f"organisation #{org.pk} {org.name}", preview(
                    _("Organisation %(name)s: its focal point's details (%(n)s fields)"),
                    name=org.name, n=len(filled))))
        return found


class ServiceContactEraser(Eraser):
    def find(self, city, person: Person) -> list[Holding]:
        found = []
        # A service's contact is a phone number or an email: it is not matched by a person's name.
        for service in Service.objects.filter(city=city).exclude(contact="").select_related("organisation") \
                .order_by("pk"):
            if person.matches(service.contact, by_name=False):
                found.append(Holding(service, ["contact"], f"service #{service.pk} {service.name}", preview(
                    _("Service %(name)s of %(org)s: its contact"),
                    name=service.name, org=service.organisation.name)))
        return found
