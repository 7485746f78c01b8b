"""What drives tension in each neighbourhood: themes, indicators, observations, community reports, profiles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import Area, City, Unchangeable, Visibility


class ThemeGroup(models.TextChoices):
    DRIVERS = "drivers", _("Drivers")
    BASIC_NEEDS = "basic_needs", _("Basic needs")
    SECURITY_TRUST = "security_trust", _("Security and trust")
    INCLUSION = "inclusion", _("Inclusion")
    ECONOMY = "economy", _("Economy")


class Sensitivity(models.TextChoices):
    """Whether a theme's numbers may leave the city team (cities/publication.py reads it)."""

    OPEN = "open", _("Open: shared beyond the city team")
    CITY_TEAM = "city", _("City team only")


# Themes whose numbers could stigmatise a neighbourhood or endanger people who report: trust and security,
# hate speech, violence and crime, grievances about authorities. A city may publish them deliberately.
SENSITIVE_THEMES = {"police-trust", "safety", "hate-speech", "violence", "injustice"}


class Theme(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="themes")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("names by language"), default=dict, blank=True)
    group = models.CharField(_("group"), max_length=20, choices=ThemeGroup.choices)
    order = models.PositiveSmallIntegerField(default=0)
    sensitivity = models.CharField(_("who may see its numbers"), max_length=8, choices=Sensitivity.choices,
                                   default=Sensitivity.OPEN)

    class Meta:
        ordering = ["group", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="theme_code_unique_in_city")]

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    HIGHER_IS_WORSE = "worse", _("Higher is worse")
    HIGHER_IS_BETTER = "better", _("Higher is better")


class Indicator(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("names by language"), default=dict, blank=True)
    unit = models.CharField(_("unit"), max_length=64)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    theme = models.ForeignKey(Theme, on_delete=models.RESTRICT, related_name="indicators")
    source = models.CharField(_("source"), max_length=300, blank=True)
    hxl_tag = models.CharField(_("HXL hashtag"), max_length=100, blank=True)
    denominator = models.ForeignKey("self", on_delete=models.RESTRICT, null=True, blank=True, related_name="+",
                                    help_text=_("Divide by this indicator (e.g. population) before comparing"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["theme__group", "code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="indicator_code_unique_in_city")]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    def display_name(self, language: str | None = None) -> str:
        return (language and self.names.get(language)) or self.name

    @property
    def higher_is_worse(self) -> bool:
        return self.direction == Direction.HIGHER_IS_WORSE


class Observation(models.Model):
    """One value of an indicator in an area for a period, optionally for one group of people."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="observations")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="observations")
    period = models.CharField(_("period"), max_length=32, help_text=_("2024, 2024-Q3, 2024-03 or a date range"))
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.FloatField(_("value"))
    sex = models.CharField(_("sex"), max_length=8, blank=True)
    age_band = models.CharField(_("age band"), max_length=16, blank=True)
    group = models.CharField(_("group"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    method_note = models.CharField(_("method note"), max_length=500, blank=True)

    class Meta:
        ordering = ["indicator", "area", "period_start"]
        constraints = [models.UniqueConstraint(
            fields=["indicator", "area", "period", "sex", "age_band", "group"], name="one_value_per_cell")]
        indexes = [models.Index(fields=["city", "indicator", "period"])]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.area.code} {self.period} = {self.value}"


class ReportCategory(models.TextChoices):
    TENSION = "tension", _("Tension")
    INCIDENT = "incident", _("Incident")
    HATE_SPEECH = "hate_speech", _("Hate speech")
    GRIEVANCE = "grievance", _("Grievance")
    SECURITY_GRIEVANCE = "security_grievance", _("Grievance about security forces")


# The theme each report category belongs to: a category is shown outside the city team only if its theme is
# open. Tensions and everyday grievances (water, services) are the open ones in the default themes.
CATEGORY_THEME = {"tension": "exclusion", "incident": "violence", "hate_speech": "hate-speech",
                  "grievance": "exclusion", "security_grievance": "police-trust"}


class ReportChannel(models.TextChoices):
    FORUM = "forum", _("Community forum")
    HOTLINE = "hotline", _("Hotline")
    WEB = "web", _("Web")
    SMS = "sms", _("SMS")
    PARTNER = "partner", _("Partner organisation")


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    MODERATED = "moderated", _("Moderated")
    CLOSED = "closed", _("Closed")


class CommunityReport(models.Model):
    """What residents reported. No field identifies the reporter, and a point is kept only as its area."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="reports")
    category = models.CharField(_("category"), max_length=24, choices=ReportCategory.choices)
    date = models.DateField(_("date"))
    area = models.ForeignKey(Area, on_delete=models.RESTRICT, related_name="reports")
    channel = models.CharField(_("channel"), max_length=12, choices=ReportChannel.choices)
    # Free text stays inside the city team until a coordinator moderates it.
    text = models.TextField(_("what was reported"), blank=True)
    moderated_text = models.TextField(_("text cleared for sharing"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices,
                              default=ReportStatus.RECEIVED)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.CITY)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["city", "category", "date"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.date} {self.area.code}"


class PriorityProfile(Unchangeable):
    """A saved prioritisation: its settings and results, unchangeable once saved, citable later."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="profiles")
    name = models.CharField(_("name"), max_length=200)
    period = models.CharField(_("period"), max_length=32)
    spec = models.JSONField(_("settings"))
    results = models.JSONField(_("results"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.CITY)
    # Ranked on fewer ward × indicator values than the city's minimum coverage: saved only when a coordinator
    # said so, and shown as such wherever the profile appears (decisions citing it included).
    low_coverage = models.BooleanField(_("saved below the city's minimum data coverage"), default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class TableFormat(models.TextChoices):
    LONG = "long", _("Long: one row per area, indicator and period")
    WIDE = "wide", _("Wide: one column per indicator")


class ImportTemplate(models.Model):
    """A named column mapping, saved once and chosen again for the next file of the same shape."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="import_templates")
    name = models.CharField(_("name"), max_length=120)
    column_map = models.JSONField(_("column mapping"))
    format = models.CharField(_("format"), max_length=8, choices=TableFormat.choices, default=TableFormat.LONG)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="import_template_name_unique")]

    def __str__(self) -> str:
        return self.name
