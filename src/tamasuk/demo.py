"""The whole demo city, across apps: boundaries and people (cities), then indicators and reports (mapping)."""

from __future__ import annotations

from django.db import transaction

from tamasuk.cities import demo as cities_demo
from tamasuk.mapping import demo as mapping_demo
from tamasuk.network import demo as network_demo
from tamasuk.plans import demo as plans_demo


def load(*, reset: bool = False, force: bool = False, progress=lambda _m: None):
    with transaction.atomic():
        already = cities_demo.is_loaded() and not reset
        city = cities_demo.load(reset=reset, force=force, progress=progress)
        if not already:
            mapping_demo.load(city=city, progress=progress)
            network_demo.load(city=city, progress=progress)
            plans_demo.load(city=city, progress=progress)
    return city
