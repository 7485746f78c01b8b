"""Local Action Plans, aligned with a country's National Action Plan, and how they are monitored and reviewed.

A plan's structure (pillars → objectives → activities, and its indicators with targets) is edited in place
while the plan is a draft or under review; adopting it freezes the whole structure into a numbered
`PlanVersion` snapshot. Diffs compare snapshots, so "what changed between version 1 and 2" never depends on
rows that were edited since. Every editable row carries a `version` counter: a write names the version it
was based on, and a stale one is refused (see services.StaleEdit) instead of silently overwriting.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import Area, City, Unchangeable, Visibility

YEAR = [MinValueValidator(1990), MaxValueValidator(2100)]
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
quarter_validator = RegexValidator(QUARTER_RE.pattern, _("Write the quarter as YYYY-Qn, e.g. 2025-Q3."))


class NationalFramework(models.Model):
    """A country's National Action Plan, shared by every city of that country."""

    country = models.CharField(_("country"), max_length=3, help_text=_("ISO 3166-1 alpha-3 code"),
                               validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the ISO 3166 alpha-3 code, e.g. KEN."))])
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("names by language"), default=dict, blank=True)
    start_year = models.PositiveSmallIntegerField(_("first year"), validators=YEAR)
    end_year = models.PositiveSmallIntegerField(_("last year"), validators=YEAR)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("national action plan")
        verbose_name_plural = _("national action plans")
        ordering = ["country", "-start_year"]
        constraints = [models.UniqueConstraint(fields=["country", "name"], name="framework_name_unique_in_country")]

    def __str__(self) -> str:
        return f"{self.name} ({self.country}, {self.start_year}–{self.end_year})"

    def display_name(self, language: str | None = None) -> str:
        return (language and self.names.get(language)) or self.name


class NationalPillar(models.Model):
    framework = models.ForeignKey(NationalFramework, on_delete=models.CASCADE, related_name="pillars")
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    titles = models.JSONField(_("titles by language"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("national pillar")
        verbose_name_plural = _("national pillars")
        ordering = ["framework", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="national_pillar_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def display_title(self, language: str | None = None) -> str:
        return (language and self.titles.get(language)) or self.title


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")
    UNDER_REVIEW = "under_review", _("Under review")
    REVISED = "revised", _("Revised")
    CLOSED = "closed", _("Closed")


# The structure can change only while these hold; progress is recorded once the plan is in force.
EDITABLE_STATUSES = {PlanStatus.DRAFT, PlanStatus.UNDER_REVIEW}
IN_FORCE_STATUSES = {PlanStatus.ADOPTED, PlanStatus.UNDER_REVIEW, PlanStatus.REVISED}


class Plan(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(_("title"), max_length=300)
    titles = models.JSONField(_("titles by language"), default=dict, blank=True)
    start_year = models.PositiveSmallIntegerField(_("first year"), validators=YEAR)
    end_year = models.PositiveSmallIntegerField(_("last year"), validators=YEAR)
    framework = models.ForeignKey(NationalFramework, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="plans", verbose_name=_("national action plan"))
    status = models.CharField(_("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.NETWORK,
                                  help_text=_("“National level” shares the plan with the country's national liaisons."))
    currency = models.CharField(_("currency"), max_length=3, default="USD",
                                validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the ISO 4217 code, e.g. KES."))])
    iati_organisation = models.CharField(
        _("IATI organisation identifier"), max_length=100, blank=True,
        help_text=_("The city's identifier in the IATI organisation registry, e.g. KE-GOV-…; leave empty "
                    "until it has one."))
    adopted_version = models.PositiveIntegerField(_("version in force"), default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("local action plan")
        verbose_name_plural = _("local action plans")
        ordering = ["city", "-start_year"]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_year}–{self.end_year})"

    def display_title(self, language: str | None = None) -> str:
        return (language and self.titles.get(language)) or self.title

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_in_force(self) -> bool:
        return self.status in IN_FORCE_STATUSES

    def clean(self):
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": _("The last year comes before the first year.")})


class PlanItem(models.Model):
    """What pillars, objectives, activities and indicators share: a plan, a code, an order, a version."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. 1, 1.2, 1.2.3"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    @property
    def city(self):
        return self.plan.city


class Pillar(PlanItem):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="pillars")
    title = models.CharField(_("title"), max_length=300)
    titles = models.JSONField(_("titles by language"), default=dict, blank=True)

    class Meta:
        verbose_name = _("pillar")
        verbose_name_plural = _("pillars")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="pillar_code_unique_in_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def display_title(self, language: str | None = None) -> str:
        return (language and self.titles.get(language)) or self.title


class Objective(PlanItem):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(_("title"), max_length=300)
    titles = models.JSONField(_("titles by language"), default=dict, blank=True)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="objective_code_unique_in_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def display_title(self, language: str | None = None) -> str:
        return (language and self.titles.get(language)) or self.title


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(PlanItem):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="activities")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("title"), max_length=300)
    titles = models.JSONField(_("titles by language"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey("network.Organisation", on_delete=models.RESTRICT, related_name="led_activities",
                             verbose_name=_("lead organisation"))
    partners = models.ManyToManyField("network.Organisation", blank=True, related_name="partner_activities",
                                      verbose_name=_("partners"))
    areas = models.ManyToManyField(Area, blank=True, related_name="activities", verbose_name=_("areas"))
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(0)])
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    status = models.CharField(_("status"), max_length=12, choices=ActivityStatus.choices,
                              default=ActivityStatus.PLANNED)
    national_pillars = models.ManyToManyField(NationalPillar, blank=True, related_name="activities",
                                              verbose_name=_("national pillars served"))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="activity_code_unique_in_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def display_title(self, language: str | None = None) -> str:
        return (language and self.titles.get(language)) or self.title

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The end comes before the start.")})


class IndicatorKind(models.TextChoices):
    OUTPUT = "output", _("Output")
    OUTCOME = "outcome", _("Outcome")


class Disaggregation(models.TextChoices):
    SEX = "sex", _("Sex")
    AGE_BAND = "age_band", _("Age band")
    GROUP = "group", _("Group")


class PlanIndicator(PlanItem):
    """An indicator of the plan: a mapping indicator followed over time, or one of the plan's own."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="indicators", verbose_name=_("objective"))
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="indicators", verbose_name=_("activity"))
    mapping_indicator = models.ForeignKey("mapping.Indicator", on_delete=models.RESTRICT, null=True, blank=True,
                                          related_name="plan_indicators", verbose_name=_("mapping indicator"))
    name = models.CharField(_("name"), max_length=300)
    names = models.JSONField(_("names by language"), default=dict, blank=True)
    unit = models.CharField(_("unit"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=IndicatorKind.choices, default=IndicatorKind.OUTPUT)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    # Counts of people are summed across cities and suppressed below k when they leave the city team.
    counts_people = models.BooleanField(_("counts people"), default=False)
    baseline_value = models.DecimalField(_("baseline"), max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    disaggregation = models.JSONField(_("disaggregated by"), default=list, blank=True)

    class Meta:
        verbose_name = _("plan indicator")
        verbose_name_plural = _("plan indicators")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="plan_indicator_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.unit})"

    def display_name(self, language: str | None = None) -> str:
        return (language and self.names.get(language)) or self.name


class Target(models.Model):
    indicator = models.ForeignKey(PlanIndicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR)
    value = models.DecimalField(_("target"), max_digits=16, decimal_places=4)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="one_target_per_year")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"


class Actual(models.Model):
    """What an indicator reached in a year; blank sex/age band/group is the total."""

    indicator = models.ForeignKey(PlanIndicator, on_delete=models.CASCADE, related_name="actuals")
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR)
    sex = models.CharField(_("sex"), max_length=1, blank=True, choices=[("f", _("Female")), ("m", _("Male"))])
    age_band = models.CharField(_("age band"), max_length=10, blank=True)
    group = models.CharField(_("group"), max_length=60, blank=True)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=4)
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("actual value")
        verbose_name_plural = _("actual values")
        ordering = ["indicator", "year", "sex", "age_band", "group"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year", "sex", "age_band", "group"],
                                               name="one_actual_per_cell")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"

    @property
    def is_total(self) -> bool:
        return not (self.sex or self.age_band or self.group)


class ProgressStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    LATE = "late", _("Late")
    COMPLETED = "completed", _("Completed")


class ProgressUpdate(models.Model):
    """One quarter's progress of one activity, by its lead organisation's focal point or a coordinator."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="progress")
    period = models.CharField(_("quarter"), max_length=7, validators=[quarter_validator])
    status = models.CharField(_("status"), max_length=12, choices=ProgressStatus.choices)
    narrative = models.TextField(_("what happened"))
    spent = models.DecimalField(_("spent in the quarter"), max_digits=14, decimal_places=2, null=True,
                                blank=True, validators=[MinValueValidator(0)])
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["activity", "-period"]
        constraints = [models.UniqueConstraint(fields=["activity", "period"], name="one_update_per_quarter")]

    def __str__(self) -> str:
        return f"{self.activity.code} {self.period}: {self.status}"

    @property
    def city(self):
        return self.activity.plan.city


def evidence_path(instance, filename):
    # The stored name is the content hash: never the uploader's file name, which may name people.
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(Unchangeable):
    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def city(self):
        return self.update.activity.plan.city


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ADOPTED = "adopted", _("Changes adopted")
    CLOSED = "closed", _("Closed without changes")


class Review(models.Model):
    """A review cycle (e.g. yearly): while open the plan is under review and its structure can change."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    title = models.CharField(_("title"), max_length=300)
    period = models.CharField(_("period reviewed"), max_length=40, help_text=_("e.g. 2024"))
    reviewers = models.CharField(_("reviewers"), max_length=500, blank=True,
                                 help_text=_("Who took part, e.g. the forum, the external auditor"))
    findings = models.TextField(_("findings"), blank=True)
    recommendations = models.TextField(_("recommendations"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True,
                                 help_text=_("What the review decided to change, and why; shown with the new version."))
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["plan", "-opened_at"]
        constraints = [models.UniqueConstraint(fields=["plan"], condition=models.Q(status="open"),
                                               name="one_open_review_per_plan")]

    def __str__(self) -> str:
        return self.title

    @property
    def city(self):
        return self.plan.city


class PlanVersion(Unchangeable):
    """The whole structure of a plan as adopted: never changes, so any two versions can be compared."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField()
    reason = models.TextField(_("why"), blank=True)
    review = models.OneToOneField(Review, on_delete=models.RESTRICT, null=True, blank=True,
                                  related_name="resulting_version")
    adopted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    adopted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"

    @property
    def city(self):
        return self.plan.city


class RenderStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the task worker")
    RUNNING = "running", _("Being drawn")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ReportRender(models.Model):
    """A review report rendered as PDF, kept for as long as its content does not change.

    ``digest`` is the SHA-256 of everything the PDF shows except when it was made (the report's HTML without
    its footer, the print stylesheet and the renderer's version): the same digest is the same report, so a
    second download is served from here at once. The task worker renders it (plans.tasks), so the first one
    shows a page that waits for it instead of holding the request for 10 seconds or more."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="renders")
    language = models.CharField(max_length=10)
    digest = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=RenderStatus.choices, default=RenderStatus.QUEUED)
    html = models.TextField()
    pdf = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rendered review report")
        verbose_name_plural = _("rendered review reports")
        constraints = [models.UniqueConstraint(fields=["review", "language", "digest"],
                                               name="one_render_per_report_content")]

    def __str__(self) -> str:
        return f"{self.review} ({self.language}, {self.status})"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
