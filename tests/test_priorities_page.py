"""The priorities page asks its data once (mapping.queries.priorities_page): a bounded number of permission
checks and of SQL queries, whatever the number of wards and indicators (issue 11, item 7)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tamasuk.cities import permissions
from tamasuk.mapping.models import Indicator

# Before issue 11 the page made 17 permission checks (20 with a ranking) and 11 SQL queries (14): every read
# asked again, the areas were read twice and the navigation asked once per link.
MAX_CHECKS = 6
MAX_QUERIES_EMPTY = 11
MAX_QUERIES_RANKING = 12


@pytest.fixture
def checks(monkeypatch):
    """How many permission checks run: every can() (and so every require()) asks city_of first."""
    counted = {"n": 0}
    real = permissions.city_of

    def counting(obj):
        counted["n"] += 1
        return real(obj)

    monkeypatch.setattr(permissions, "city_of", counting)
    return counted


def _params(city):
    return {"period": "", "preset": "balanced", "normalisation": "minmax", "aggregation": "arithmetic",
            "impute": "mean", "indicators": list(Indicator.objects.filter(city=city).values_list("code", flat=True))}


def test_the_empty_page(city, client_for, checks, django_assert_max_num_queries):
    client = client_for("analyst")
    client.get(reverse("mapping:priorities", args=["mombasa"]))  # warm the session and caches
    checks["n"] = 0
    with django_assert_max_num_queries(MAX_QUERIES_EMPTY):
        response = client.get(reverse("mapping:priorities", args=["mombasa"]))
    assert response.status_code == 200
    assert checks["n"] <= MAX_CHECKS


def test_a_ranking(city, client_for, checks, django_assert_max_num_queries):
    client = client_for("analyst")
    url = reverse("mapping:priorities", args=["mombasa"])
    html = client.get(url).content.decode()
    period = re.search(r'<option value="([^"]+)"[^>]*selected', html[html.index('name="period"'):]).group(1)
    params = {**_params(city), "period": period}
    checks["n"] = 0
    with django_assert_max_num_queries(MAX_QUERIES_RANKING):
        response = client.get(url, params)
    assert response.status_code == 200 and 'class="ranking"' in response.content.decode()
    assert checks["n"] <= MAX_CHECKS




def test_actions_in_answers_what_can_answers_for_every_action(city, users):
    from tamasuk.cities.models import City

    others = list(City.objects.exclude(pk=city.pk)[:1])
    for user in users.values():
        for place in [city, *others]:
            assert permissions.actions_in(user, place) == {
                a for a in permissions.Action if permissions.can(user, a, place)}, (user.username, place.slug)
