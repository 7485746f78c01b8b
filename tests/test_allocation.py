"""Campaign allocation: highest need first, within each organisation's wards and capacity, explained."""

from __future__ import annotations

import re

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
    from tamasuk.network.models import Allocation, Meeting

    assert profile is not None, "the demo provides a saved profile"
    c = client_for("coordinator")
    url = reverse("network:new_allocation", args=[city.slug])
    page = c.get(url, {"profile": profile.pk, "sector": "health", "total": 5000, "rate": "0.05"}).content.decode()
    assert "of 5000 units allocated" in page  # no unit typed: neutral "units", not "doses"
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


def _orgs_serving(city, sector):
    from tamasuk.network.models import Service

    return set(Service.objects.filter(city=city, sector=sector).values_list("organisation_id", flat=True))


def test_changing_the_sector_never_allocates_from_the_old_list(city, users, client_for, profile):
    """Issue 10.6: the list was drawn for health; the sector is now youth. The old ticks must not be read (which
    allocated "0 of 3000"): the youth organisations are listed, all taking part, and nothing is allocated yet."""
    health, youth = _orgs_serving(city, "health"), _orgs_serving(city, "youth")
    assert health and youth and youth - health
    c = client_for("coordinator")
    url = reverse("network:new_allocation", args=[city.slug])
    query = {"run": "1", "profile": profile.pk, "listed_sector": "health", "sector": "youth", "total": 3000,
             "rate": "0.05", "unit": "places", **{f"take_{o}": "on" for o in health}}
    page = c.get(url, query).content.decode()
    assert "of 3000 places allocated" not in page
    assert "now shows those serving" in page
    for org_id in youth:
        assert re.search(rf'name="take_{org_id}" checked', page), org_id
    # The refreshed list (listed_sector=youth) allocates on the next run, and never 0 while someone serves wards.
    query = {"run": "1", "profile": profile.pk, "listed_sector": "youth", "sector": "youth", "total": 3000,
             "rate": "0.05", "unit": "places", **{f"take_{o}": "on" for o in youth}}
    page = c.get(url, query).content.decode()
    allocated = int(re.search(r"(\d+) of 3000 places allocated", page).group(1))
    assert allocated > 0


def test_the_sector_list_is_redrawn_in_place_with_htmx(city, users, client_for, profile):
    c = client_for("coordinator")
    url = reverse("network:new_allocation", args=[city.slug])
    response = c.get(url, {"run": "1", "refresh": "1", "profile": profile.pk, "listed_sector": "health",
                           "sector": "youth", "total": 3000}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith('<fieldset id="participants"')  # only the list, not the whole page
    assert 'name="listed_sector" value="youth"' in page
    assert 'id="allocation-results" hx-swap-oob="true"' in page  # the old results are cleared
    for org_id in _orgs_serving(city, "youth"):
        assert f'name="take_{org_id}" checked' in page


def test_without_javascript_the_sector_has_an_update_the_list_button(city, users, client_for, profile):
    page = client_for("coordinator").get(reverse("network:new_allocation", args=[city.slug])).content.decode()
    assert 'name="refresh"' in page and "Update the list of organisations" in page
    assert "doses" not in page.split('id="unit-suggestions"')[0]  # the wording assumes no vaccination


def test_the_service_refuses_organisations_that_do_not_serve_the_sector(city, users, profile):
    from django.core.exceptions import ValidationError

    from tamasuk.network.allocations.services import save_allocation
    from tamasuk.network.models import Organisation

    outsider = Organisation.objects.filter(city=city).exclude(pk__in=_orgs_serving(city, "health")).first()
    with pytest.raises(ValidationError, match="offer no service in the sector") as info:
        save_allocation(actor=users["coordinator"], city=city, name="stale", profile=profile, sector="health",
                        unit="kits", total_capacity=10, participants=[{"id": outsider.pk, "name": outsider.name}],
                        rows=[])
    assert outsider.name in str(info.value)


def test_a_decision_citing_an_allocation_shows_its_wards_on_the_meeting_page_and_in_the_minutes(
        city, users, client_for, profile, tmp_path):
    import shutil
    import subprocess

    from tamasuk.network.allocations.services import cite_in_meeting, save_allocation
    from tamasuk.network.models import Meeting

    org = sorted(_orgs_serving(city, "health"))[0]
    rows = [{"rank": 1, "area": "KE00100402", "name": "Nyali Ward 2", "need": 80.0, "demand": 500, "allocated": 420,
             "unmet": 80, "given": [{"organisation": "Clinic A", "id": org, "amount": 420}], "reason": "served"},
            {"rank": 2, "area": "KE00100101", "name": "x", "need": 10.0, "demand": 100, "allocated": 0,
             "unmet": 100, "given": [], "reason": "no participating organisation covers it"}]
    allocation = save_allocation(actor=users["coordinator"], city=city, name="Hygiene kits round", profile=profile,
                                 sector="health", unit="kits", total_capacity=420,
                                 participants=[{"id": org, "name": "Clinic A"}], rows=rows)
    meeting = Meeting.objects.filter(forum__city=city).first()
    cite_in_meeting(actor=users["coordinator"], allocation=allocation, meeting=meeting, text="Hand out the kits")
    c = client_for("coordinator")
    page = c.get(reverse("network:meeting", args=[city.slug, meeting.pk])).content.decode()
    assert "Hygiene kits round" in page and "420 of 420 kits to 1 ward" in page
    assert "Nyali Ward 2" in page and reverse("network:allocation", args=[city.slug, allocation.pk]) in page
    md = c.get(reverse("network:minutes_md", args=[city.slug, meeting.pk])).content.decode()
    assert "Hygiene kits round" in md and "| 1 | Nyali Ward 2 (KE00100402) | 420 | Clinic A: 420 |" in md
    pdf = c.get(reverse("network:minutes_pdf", args=[city.slug, meeting.pk])).content
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Hygiene kits round" in text and "Nyali Ward 2" in text and "420" in text
