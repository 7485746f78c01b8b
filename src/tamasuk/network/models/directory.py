"""Who does what where: organisations of the prevention network, their services and the links between them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import Area, City, Visibility


class OrganisationType(models.TextChoices):
    MUNICIPAL = "municipal", _("Municipal department")
    NATIONAL_AGENCY = "national_agency", _("National agency")
    POLICE = "police", _("Police")
    CIVIL_SOCIETY = "civil_society", _("Civil society")
    HEALTH = "health", _("Health provider")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    FAITH = "faith", _("Faith group")
    YOUTH = "youth", _("Youth group")
    WOMEN = "women", _("Women's group")
    SCHOOL = "school", _("School")
    BUSINESS = "business", _("Local business")
    OTHER = "other", _("Other")


class Sector(models.TextChoices):
    HEALTH = "health", _("Health")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    EDUCATION = "education", _("Education")
    LIVELIHOODS = "livelihoods", _("Livelihoods and jobs")
    FOOD = "food", _("Food")
    SHELTER = "shelter", _("Shelter and housing")
    WASH = "wash", _("Water and sanitation")
    PROTECTION = "protection", _("Protection")
    SECURITY = "security", _("Community safety")
    YOUTH = "youth", _("Youth")
    WOMEN = "women", _("Women")
    COHESION = "cohesion", _("Social cohesion and dialogue")


class Organisation(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("names by language"), default=dict, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=OrganisationType.choices)
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    # The focal point's contact is for the network, never for the public.
    focal_point_name = models.CharField(_("focal point"), max_length=200, blank=True)
    focal_point_email = models.EmailField(_("focal point's email"), blank=True)
    focal_point_phone = models.CharField(_("focal point's phone"), max_length=40, blank=True)
    is_member = models.BooleanField(_("member of the prevention network"), default=True)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.NETWORK)
    focal_points = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="organisations",
                                          verbose_name=_("users who edit it"))

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="organisation_name_unique_in_city")]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    description = models.TextField(_("description"), blank=True)
    areas = models.ManyToManyField(Area, related_name="services", verbose_name=_("areas covered"))
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people per year)"), null=True, blank=True)
    reached_f = models.PositiveIntegerField(_("people reached: women and girls"), null=True, blank=True)
    reached_m = models.PositiveIntegerField(_("people reached: men and boys"), null=True, blank=True)
    reached_total = models.PositiveIntegerField(_("people reached: total"), null=True, blank=True)
    eligibility = models.CharField(_("who may use it"), max_length=300, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # A shelter, a safe house: its location and contact never leave the city team, anywhere.
    confidential = models.BooleanField(_("confidential (location and contact stay in the city team)"),
                                       default=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True,
                                 validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), null=True, blank=True,
                                  validators=[MinValueValidator(-180), MaxValueValidator(180)])
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    # A confidential service's wards and organisation narrow down where it is: outside the city team they are
    # withheld too, unless the city decides they may be shown (its address and contact never are).
    share_where_and_who = models.BooleanField(
        _("show its wards and organisation outside the city team (confidential services)"), default=False,
        help_text=_("A confidential service's wards and organisation are withheld from the network and from "
                    "exports unless this is ticked. Its address and contact are never shown outside the city "
                    "team."))

    class Meta:
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.name}"


class LinkKind(models.TextChoices):
    PARTNERSHIP = "partnership", _("Partnership")
    REFERRAL = "referral", _("Referral")
    FUNDING = "funding", _("Funding")
    COORDINATION = "coordination", _("Coordination")


class Link(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    strength = models.PositiveSmallIntegerField(_("strength (1–5)"), default=3,
                                                validators=[MinValueValidator(1), MaxValueValidator(5)])
    since = models.DateField(_("since"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target", "kind"], name="one_link_per_kind")]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.kind})"
