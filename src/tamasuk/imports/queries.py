"""Reads of the import pipeline: which kinds a user may import, and their jobs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from tamasuk.cities.models import City
from tamasuk.cities.permissions import can

from . import adapters
from .adapters import Adapter
from .models import ImportJob


def kinds_for(user, city: City) -> list[Adapter]:
    return [a for a in adapters.kinds() if can(user, a.permission, city)]


def adapter_for(user, city: City, kind: str) -> Adapter:
    """The kind's adapter, if the user may import it here: an unknown kind is not found, a forbidden one 403."""
    try:
        adapter = adapters.get(kind)
    except KeyError:
        raise Http404 from None
    if not can(user, adapter.permission, city):
        raise PermissionDenied
    return adapter


def jobs_for(user, city: City, kind: str | None = None, limit: int = 30) -> list[ImportJob]:
    allowed = [a.kind for a in kinds_for(user, city)]
    if kind is not None and kind not in allowed:
        return []
    jobs = list(ImportJob.objects.filter(city=city, kind__in=[kind] if kind else allowed)
                .select_related("created_by")[:limit])
    for job in jobs:
        job.kind_label = adapters.get(job.kind).label  # for the list of every kind's jobs
    return jobs


def job_for(user, city: City, pk: int) -> tuple[ImportJob, Adapter]:
    job = get_object_or_404(ImportJob.objects.select_related("created_by", "confirmed_by"), city=city, pk=pk)
    return job, adapter_for(user, city, job.kind)
