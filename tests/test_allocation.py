"""Campaign allocation: highest need first, within each organisation's wards and capacity, explained."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from tamasuk.analysis.allocation import AreaNeed, Participant, allocate


def test_hand_checked_plan():
    areas = [AreaNeed("A", 90, 100), AreaNeed("B", 80, 100), AreaNeed("C", 70, 100), AreaNeed("D", 60, 100)]
    orgs = [Participant("clinic", 150, frozenset({"A", "B"})),  # can reach A and B
            Participant("mobile", 120, frozenset({"A", "B", "C"})),
            Participant("none-here", 500, frozenset({"Z"}))]
    result = allocate(areas, orgs, total_capacity=260)
    rows = {r.area: r for r in result.rows}
    # A first: the clinic (fewer other waiting wards) gives 100.
    assert rows["A"].given == (("clinic", 100.0),) and rows["A"].reason == "served"
    # B: the clinic's remaining 50, then mobile 50.
    assert rows["B"].given == (("clinic", 50.0), ("mobile", 50.0))
    # C: the total capacity (260) runs out after 60 more.
    assert rows["C"].given == (("mobile", 60.0),) and rows["C"].unmet == 40
    assert "total capacity ran out" in rows["C"].reason
    assert rows["D"].given == () and rows["D"].reason == "no participating organisation covers it"
    assert result.allocated == 260


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 500)), min_size=1, max_size=8),
       st.lists(st.tuples(st.integers(0, 400), st.sets(st.integers(0, 7), max_size=8)), max_size=5),
       st.integers(0, 2000))
def test_plan_never_exceeds_any_capacity_or_demand(area_specs, org_specs, total):
    areas = [AreaNeed(i, need, demand) for i, (need, demand) in enumerate(area_specs)]
    orgs = [Participant(f"o{j}", cap, frozenset(cov)) for j, (cap, cov) in enumerate(org_specs)]
    result = allocate(areas, orgs, total)
    assert result.allocated <= total + 1e-9
    for r in result.rows:
        assert r.allocated <= r.demand + 1e-9
        assert all(r.area in next(p for p in orgs if p.organisation == o).areas for o, _ in r.given)
    for p in orgs:
        assert sum(a for r in result.rows for o, a in r.given if o == p.organisation) <= p.capacity + 1e-9
    # Higher need is never left unserved while a lower-need ward, reachable by the same organisation, got some.
    ranked = sorted(result.rows, key=lambda r: r.rank)
    for i, hi in enumerate(ranked):
        for lo in ranked[i + 1:]:
            if hi.unmet > 0 and lo.allocated > 0 and hi.need > lo.need:
                shared = {o for o, _ in lo.given} & {p.organisation for p in orgs if hi.area in p.areas}
                assert not shared, (hi, lo)


@pytest.fixture
def profile(users, city):
    from tamasuk.mapping.models import PriorityProfile

    return PriorityProfile.objects.filter(city=city).first()


def test_coordinator_allocates_saves_and_cites_it_in_a_meeting(city, users, client_for, profile):
    from tamasuk.audit.models import AuditEvent
    from tamasuk.network.allocations import Allocation
    from tamasuk.network.forums import Meeting

    assert profile is not None, "the demo provides a saved profile"
    c = client_for("coordinator")
    url = reverse("network:new_allocation", args=[city.slug])
    page = c.get(url, {"profile": profile.pk, "sector": "health", "total": 5000, "rate": "0.05"}).content.decode()
    assert "5000 of 5000 allocated" in page or "of 5000 allocated" in page
    assert "served" in page
    form = {"profile": profile.pk, "sector": "health", "total": 5000, "rate": "0.05", "name": "Vaccination week",
            "unit": "doses"}
    # Every health organisation takes part (the first GET shows them all ticked).
    from tamasuk.network.models import Service

    for org_id in set(Service.objects.filter(city=city, sector="health").values_list("organisation_id", flat=True)):
        form[f"take_{org_id}"] = "on"
    response = c.post(url + "?" + "&".join(f"{k}={v}" for k, v in form.items() if k not in {"name", "unit"}), form)
    allocation = Allocation.objects.get(city=city, name="Vaccination week")
    assert response.status_code == 302 and allocation.total_capacity == 5000
    assert allocation.rows[0]["rank"] == 1 and sum(r["allocated"] for r in allocation.rows) <= 5000
    meeting = Meeting.objects.filter(forum__city=city).first()
    before = AuditEvent.objects.count()
    c.post(reverse("network:allocation", args=[city.slug, allocation.pk]), {"meeting": meeting.pk,
                                                                           "text": "Start on Monday"})
    decision = meeting.decisions.get(text="Start on Monday")
    assert decision.allocation == allocation and decision.profile == profile
    assert AuditEvent.objects.count() == before + 1
    csv_text = c.get(reverse("network:allocation_csv", args=[city.slug, allocation.pk])).content.decode()
    assert csv_text.splitlines()[1].startswith("#severity+rank,#adm2+code")
    with pytest.raises(ValueError, match="cannot be changed"):
        allocation.save()
