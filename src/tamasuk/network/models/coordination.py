"""The coordination forum: the network's regular meetings, their decisions and the action items they assign.

A meeting's notes (agenda, information shared, staff present, decisions) are city-only by default; the
action items an organisation owns are always shown to that organisation's focal points, who must act on them.
No resident is ever named: a meeting counts the people present, and only staff names may be written down.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import Area, City, Visibility


class Forum(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="forums")
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("names by language"), default=dict, blank=True)
    description = models.TextField(_("purpose"), blank=True)
    members = models.ManyToManyField("network.Organisation", blank=True, related_name="forums",
                                     verbose_name=_("member organisations"))
    rhythm = models.CharField(_("meeting rhythm"), max_length=200, blank=True,
                              help_text=_("For example “weekly on Tuesdays”."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="forum_name_unique_in_city")]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str | None = None) -> str:
        return (self.names.get(language) if language else None) or self.name


# Meeting notes go no further than the prevention network: wider sharing would need moderation first.
NOTE_VISIBILITIES = [(Visibility.CITY.value, Visibility.CITY.label), (Visibility.NETWORK.value, Visibility.NETWORK.label)]


class Meeting(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField(_("date"))
    attendees = models.ManyToManyField("network.Organisation", blank=True, related_name="meetings_attended",
                                       verbose_name=_("organisations present"))
    people_present = models.PositiveIntegerField(_("people present"), null=True, blank=True)
    staff_present = models.TextField(_("staff present (optional; never residents' names)"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    information = models.TextField(_("information shared"), blank=True)
    visibility = models.CharField(_("who may read the notes"), max_length=10, choices=NOTE_VISIBILITIES,
                                  default=Visibility.CITY)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["forum", "date"])]

    def __str__(self) -> str:
        return f"{self.forum} · {self.date.isoformat()}"


class Decision(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    text = models.TextField(_("decision"))
    # A saved priority profile never changes, so citing it keeps the evidence behind the decision.
    profile = models.ForeignKey("mapping.PriorityProfile", on_delete=models.RESTRICT, null=True, blank=True,
                                related_name="decisions", verbose_name=_("priority profile cited"))
    allocation = models.ForeignKey("network.Allocation", on_delete=models.RESTRICT, null=True, blank=True,
                                   related_name="decisions", verbose_name=_("campaign allocation cited"))
    analysis_ref = models.CharField(_("coverage analysis cited"), max_length=300, blank=True,
                                    help_text=_("A coverage analysis the decision rests on: its name or address."))

    class Meta:
        ordering = ["meeting", "number"]

    def __str__(self) -> str:
        return self.text[:80]


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ActionItem(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    text = models.TextField(_("action"))
    owner = models.ForeignKey("network.Organisation", on_delete=models.RESTRICT, related_name="action_items",
                              verbose_name=_("owner"))
    due = models.DateField(_("due"))
    areas = models.ManyToManyField(Area, blank=True, related_name="+", verbose_name=_("areas"))
    status = models.CharField(_("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["city", "status", "due"])]

    def __str__(self) -> str:
        return self.text[:80]

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Open and past its due date."""
        return self.status == ActionStatus.OPEN and self.due < (today or timezone.localdate())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()
