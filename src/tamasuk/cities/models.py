"""Cities, their areas, and who may work in them."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# Usual names of area levels, so a city that uses them gets them translated on every page.
COMMON_LEVEL_NAMES = [gettext_noop("Region"), gettext_noop("County"), gettext_noop("Sub-county"),
                      gettext_noop("District"), gettext_noop("Ward"), gettext_noop("Neighbourhood"),
                      gettext_noop("Quarter")]


class Unchangeable(models.Model):
    """A record that is written once and never altered (saved profiles, allocations): cite it safely."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"a saved {self._meta.verbose_name} cannot be changed; save a new one")
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    COORDINATOR = "coordinator", _("Coordinator")
    MEMBER = "member", _("Member focal point")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("External auditor")
    NATIONAL = "national", _("National liaison")


# A national liaison reads every city of a country: only an operator (`tamasuk` command) appoints one.
ROLES_A_CITY_ADMIN_GRANTS = [Role.ADMIN, Role.COORDINATOR, Role.MEMBER, Role.ANALYST, Role.AUDITOR]


class Visibility(models.TextChoices):
    """Who may read a shared record, from the narrowest circle to everyone."""

    CITY = "city", _("City team")
    NETWORK = "network", _("Prevention network")
    NATIONAL = "national", _("National level")
    PEERS = "peers", _("Peer cities")
    PUBLIC = "public", _("Public")


class City(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    country = models.CharField(
        _("country"),
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the ISO 3166 alpha-3 code, e.g. KEN."))],
        help_text=_("ISO 3166-1 alpha-3 code"),
    )
    languages = models.JSONField(_("languages"), default=list, help_text=_("Language codes, first is default"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    suppression_k = models.PositiveSmallIntegerField(
        _("suppression threshold k"),
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_("Counts below k are shown as “<k” outside the city team."),
    )
    # A ranking built on a few wards' data looks as certain as one built on all of them; below this share of
    # ward × indicator values present, a priority profile is refused (or saved visibly flagged).
    coverage_threshold = models.PositiveSmallIntegerField(
        _("minimum data coverage for priorities (%)"),
        default=70,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("A priority profile needs at least this share of ward × indicator values for its period."),
    )
    # Arabic readers in Saida write 1٬056٫5 with Arabic-Indic digits; others use Western digits with Arabic
    # separators. One choice per city so ward names and numbers never mix the two.
    arabic_digits = models.CharField(
        _("digits in Arabic"),
        max_length=8,
        choices=[("latn", _("Western digits (0123)")), ("arab", _("Arabic-Indic digits (٠١٢٣)"))],
        default="latn",
    )
    level_names = models.JSONField(
        _("names of area levels"), default=dict, blank=True,
        help_text=_('e.g. {"1": "Sub-county", "2": "Ward"}'),
    )
    is_demo = models.BooleanField(_("synthetic demo data"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def level_name(self, level: int) -> str:
        name = self.level_names.get(str(level))
        return gettext(name) if name else gettext("Level %(level)s") % {"level": level}


class Area(models.Model):
    """A district, sub-county, ward or neighbourhood: any depth below the city."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="areas")
    parent = models.ForeignKey("self", on_delete=models.RESTRICT, null=True, blank=True, related_name="children")
    code = models.CharField(_("code"), max_length=64, help_text=_("P-code style, unique within the city"))
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("names by language"), default=dict, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), default=1, help_text=_("1 = directly below the city"))
    geometry = models.JSONField(_("boundary"), null=True, blank=True, help_text=_("GeoJSON, WGS84"))
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_detail = models.JSONField(
        _("population by sex and age band"), default=dict, blank=True,
        help_text=_('e.g. {"f": {"0-14": 1200, …}, "m": {…}}'),
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["level", "code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="area_code_unique_in_city")]
        indexes = [models.Index(fields=["city", "level"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def display_name(self, language: str | None = None) -> str:
        if language and (name := self.names.get(language)):
            return name
        return self.name

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        if self.min_lon is None:
            return None
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True,
        help_text=_("Last day the membership works; required for auditors."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "city"], name="one_membership_per_city"),
            models.CheckConstraint(
                condition=~models.Q(role="auditor") | models.Q(ends_on__isnull=False),
                name="auditor_membership_has_end_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.city}"

    def is_active(self, today=None) -> bool:
        """Ends at midnight of the end date in the city's own time zone."""
        today = today or timezone.localdate(timezone=ZoneInfo(self.city.time_zone))
        return self.ends_on is None or today <= self.ends_on
