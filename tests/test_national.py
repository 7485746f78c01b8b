"""The national level: National Action Plans, the liaison's view across a country's cities, its heatmap and
its roll-ups of people reached with small cells hidden."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tamasuk.analysis.heatmap import classes, count_by_column, heatmap
from tamasuk.analysis.svg import SEQUENTIAL_PALETTES
from tamasuk.audit.models import AuditEvent
from tamasuk.plans import services
from tamasuk.plans.models import NationalFramework

# ---- the drawing (pure) ----


def test_activities_are_counted_once_per_pillar_they_serve():
    rows = [
        [{"N1"}, {"N1", "N2"}, set(), {"other-framework"}],  # one activity serves two pillars: counts in both
        [["N3", "N3"]],  # a key named twice counts once
        [],
    ]
    assert count_by_column(rows, ["N1", "N2", "N3"]) == [[2, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_classes_are_one_per_count_up_to_five_then_five_bins():
    assert classes(0) == []
    assert classes(3) == [(1, 1), (2, 2), (3, 3)]
    assert classes(12) == [(1, 2), (3, 4), (5, 7), (8, 9), (10, 12)]


def test_the_heatmap_writes_every_number_and_describes_itself():
    svg = heatmap([[2, 1, 0], [0, 1, 9]], row_labels=["Mombasa 2024–2026", "Kisumu 2025–2027"],
                  column_labels=["N1", "N2", "N3"], column_titles=["N1 Prevention", "N2 Policing", "N3 Rehab"],
                  title="Activities & pillars", desc="Rows are plans.", legend_title="Activities")
    assert 'role="img"' in svg and 'aria-labelledby="heatmap-title heatmap-desc"' in svg
    assert '<title id="heatmap-title">Activities &amp; pillars</title>' in svg
    assert "Mombasa 2024–2026: N1 Prevention 2, N2 Policing 1, N3 Rehab 0" in svg
    cells = re.findall(r'<g class="cell"><rect [^>]*fill="(#[0-9a-f]{6})"[^>]*/><text [^>]*fill="(#[0-9a-f]{6})">(\d+)<',
                       svg)
    assert [int(n) for _, _, n in cells] == [2, 1, 0, 0, 1, 9]
    fills = {int(n): fill for fill, _, n in cells}
    assert fills[0] == "#ffffff" and fills[9] == SEQUENTIAL_PALETTES[5][-1]  # the darkest class for the largest
    inks = {int(n): ink for _, ink, n in cells}
    assert inks[9] == "#ffffff" and inks[1] == "#222222"  # white on the dark cell, dark on the light ones
    assert "<style" not in svg and "style=" not in svg


def test_right_to_left_puts_the_first_pillar_on_the_right():
    def first_column_x(rtl):
        svg = heatmap([[1, 2]], row_labels=["ممباسا"], column_labels=["N1", "N2"], title="t", rtl=rtl)
        xs = [float(x) for x in re.findall(r'<g class="col"><title>[^<]*</title><text x="([\d.]+)"', svg)]
        return xs

    ltr, rtl = first_column_x(False), first_column_x(True)
    assert ltr[0] < ltr[1] and rtl[0] > rtl[1]


# ---- two Kenyan cities' plans ----


@pytest.fixture
def kenya(db, city, users):
    """Plans of Mombasa and Kisumu aligned with a KEN framework; Kisumu also has a plan shared only with its
    network, which the national level must never see."""
    from tamasuk.cities.models import City
    from tamasuk.network.directory.services import create_organisation

    liaison, coordinator = users["national"], users["coordinator"]
    framework = services.create_framework(actor=liaison, country="KEN", name="NAP national test", start_year=2024,
                                          end_year=2028, pillars=[("N1", "Prevention"), ("N2", "Policing"),
                                                                  ("N3", "Rehabilitation")])
    n1, n2, n3 = framework.pillars.order_by("code")
    kisumu = City.objects.get(slug="kisumu")
    kisumu_org = create_organisation(actor="test", city=kisumu, name="Kisumu Youth Hub", type="youth")
    mombasa_org = city.organisations.first()

    def plan(where, lead, title, visibility, activities, indicators):
        p = services.create_plan(actor=coordinator, city=where, title=title, start_year=2024, end_year=2026,
                                 framework=framework, visibility=visibility, currency="KES")
        pillar = services.add_pillar(actor=coordinator, plan=p, code="1", title="Youth")
        objective = services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Youth jobs")
        made = {}
        for code, serves, status in activities:
            made[code] = services.add_activity(actor=coordinator, objective=objective, code=code, title=f"A {code}",
                                               lead=lead, start=dt.date(2024, 1, 1), end=dt.date(2025, 12, 31),
                                               national_pillars=serves, status=status)
        specs = []
        for code, on, dims, values in indicators:
            attached = {"objective": objective} if on is None else {"activity": made[on]}
            ind = services.add_indicator(actor=coordinator, plan=p, code=code, name=f"People {code}",
                                         unit="people", counts_people=True, disaggregation=dims, **attached)
            specs.append((ind, values))
        services.adopt_plan(actor=coordinator, plan=p)
        for ind, values in specs:
            services.record_actuals(actor=coordinator, indicator=ind, year=2025, values=[
                services.ActualInput(value=Decimal(v), **cell) for cell, v in values])
        return p

    mombasa = plan(city, mombasa_org, "Mombasa national test plan", "national",
                   [("1.1.1", [n1], "planned"), ("1.1.2", [n1, n2], "ongoing"), ("1.1.3", [], "planned"),
                    ("1.1.4", [n3], "cancelled")],
                   [("I1", "1.1.1", ["sex"], [({"sex": "f"}, 3), ({"sex": "m"}, 40), ({}, 43)])])
    kisumu_plan = plan(kisumu, kisumu_org, "Kisumu national test plan", "national",
                       [("1.1.1", [n2], "planned"), ("1.1.2", [n3], "planned")],
                       [("J1", "1.1.1", ["sex", "age_band"],
                         [({"sex": "f"}, 20), ({"sex": "m"}, 25), ({"age_band": "15-24"}, 30),
                          ({"age_band": "25-34"}, 15), ({}, 45)]),
                        ("J2", None, ["sex"], [({"sex": "f"}, 6), ({"sex": "m"}, 6), ({}, 12)])])
    network_only = plan(kisumu, kisumu_org, "Kisumu network-only plan", "network",
                        [("1.1.1", [n1, n2, n3], "planned")],
                        [("K1", "1.1.1", ["sex"], [({"sex": "f"}, 1000), ({"sex": "m"}, 1000)])])
    return {"framework": framework, "mombasa": mombasa, "kisumu": kisumu_plan, "network_only": network_only}


def _national(client, framework, **params):
    return client.get(reverse("plans:national", args=["KEN"]), {"framework": framework.pk, **params})


def test_the_liaison_sees_shared_plans_and_the_heatmap_but_not_the_network_only_plan(kenya, client_for):
    response = _national(client_for("national"), kenya["framework"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mombasa national test plan" in html and "Kisumu national test plan" in html
    assert "Kisumu network-only plan" not in html
    assert reverse("plans:plan", args=["mombasa", kenya["mombasa"].pk]) in html
    heat = response.context["overview"].heatmap
    assert [p.title for p in heat.plans] == ["Kisumu national test plan", "Mombasa national test plan"]
    # Kisumu: one activity for N2, one for N3. Mombasa: N1 twice, N2 once (through the two-pillar activity),
    # N3 not at all (its only activity there is cancelled); one activity serves no national pillar.
    assert heat.counts == [[0, 1, 1], [2, 1, 0]]
    assert heat.unaligned == [0, 1]
    svg = response.context["heatmap_svg"]
    assert "Mombasa 2024–2026: N1 Prevention 2, N2 Policing 1, N3 Rehabilitation 0" in svg
    table = html[html.index('class="heatmap-table"'):]
    assert re.search(r"Mombasa 2024–2026</bdi></a></th><td class=\"num\">2</td><td class=\"num\">1</td>"
                     r"<td class=\"num\">0</td>", table)


def test_roll_ups_add_up_only_what_the_cities_publish(kenya, client_for):
    response = _national(client_for("national"), kenya["framework"])
    rollup = response.context["overview"].rollup
    assert (rollup.year, rollup.k, rollup.indicators, rollup.plans) == (2025, 5, 3, 2)
    by_sex, by_age = rollup.breakdowns
    assert by_sex.columns == ["f", "m", ""] and by_age.columns == ["15-24", "25-34", ""]
    # Rows: N1 (Mombasa's 3 women and 40 men), N2 (Kisumu's 20 and 25), N3 (nobody), not linked (6 and 6).
    # Mombasa publishes 3 as "<5" and hides its partner 40 as "x" (else 43 - 40 would give it away); the roll-up
    # shows those markers, never a sum that includes them (the women's column, N1's "not recorded"). The
    # network-only plan's 2,000 people are nowhere.
    assert by_sex.cells == [["<5", "x", "–"], [20, 25, 0], [0, 0, 0], [6, 6, 0]]
    assert by_sex.row_totals == [43, 45, 0, 12] and by_sex.col_totals == ["–", "–", "–"] and by_sex.total == 100
    # Ages: only Kisumu recorded them; the rest of each row's people are "not recorded".
    assert by_age.cells == [[0, 0, 43], [30, 15, 0], [0, 0, 0], [0, 0, 12]]
    html = response.content.decode()
    assert '<td class="num suppressed"><bdi dir="ltr">&lt;5</bdi></td>' in html
    assert '<bdi dir="ltr">3</bdi>' not in html.split('class="rollup"')[1]
    # The same cells as the plan's own page shows the liaison.
    plan = client_for("national").get(reverse("plans:plan", args=["mombasa", kenya["mombasa"].pk]))
    assert plan.status_code == 200


def test_a_small_count_stays_hidden_in_the_roll_up(kenya, users, client_for):
    from tamasuk.plans.models import PlanIndicator

    j2 = PlanIndicator.objects.get(plan=kenya["kisumu"], code="J2")
    services.record_actuals(actor=users["coordinator"], indicator=j2, year=2025,
                            values=[services.ActualInput(value=Decimal(3)),
                                    services.ActualInput(value=Decimal(2), sex="f"),
                                    services.ActualInput(value=Decimal(1), sex="m")])
    rollup = _national(client_for("national"), kenya["framework"]).context["overview"].rollup
    assert rollup.totals[3] == "<5" and rollup.total == "–"
    assert rollup.breakdowns[0].cells[3] == ["–", "–", "–"]


@pytest.mark.parametrize("role", ["national_other", "admin", "coordinator", "peer", "outsider"])
def test_only_the_countrys_liaison_opens_the_national_view(kenya, client_for, role):
    assert _national(client_for(role), kenya["framework"]).status_code == 403


def test_the_liaisons_home_links_to_the_national_view(client_for):
    response = client_for("national").get(reverse("web:home"))
    assert response.status_code == 200
    assert reverse("plans:national", args=["KEN"]) in response.content.decode()


# ---- entering the National Action Plan ----


def test_a_national_liaison_enters_a_framework_and_its_pillars(db, client_for):
    client = client_for("national")
    url = reverse("plans:frameworks", args=["KEN"])
    response = client.post(url, {"name": "NAP entered in the page", "start_year": 2025, "end_year": 2029,
                                 "pillars": "P1 Prevention\nP2. Policing and trust\n"})
    assert response.status_code == 302
    framework = NationalFramework.objects.get(country="KEN", name="NAP entered in the page")
    assert response["Location"] == reverse("plans:framework", args=["KEN", framework.pk])
    assert [(p.code, p.title) for p in framework.pillars.all()] == [("P1", "Prevention"), ("P2", "Policing and trust")]
    assert AuditEvent.objects.filter(action="framework.create", object_id=str(framework.pk)).exists()

    page = reverse("plans:framework", args=["KEN", framework.pk])
    assert client.post(page, {"action": "add", "add-code": "P3", "add-title": "Rehabilitation"}).status_code == 302
    assert framework.pillars.filter(code="P3").exists()
    again = client.post(page, {"action": "add", "add-code": "P3", "add-title": "Twice"})
    assert again.status_code == 200 and framework.pillars.filter(code="P3").count() == 1


def test_repeated_codes_are_named_by_line(db, client_for):
    response = client_for("national").post(reverse("plans:frameworks", args=["KEN"]), {
        "name": "NAP with a repeat", "start_year": 2025, "end_year": 2029, "pillars": "P1 A\nP1 B"})
    assert response.status_code == 200
    assert "Line 2 repeats the code “P1” of line 1." in response.content.decode()
    assert not NationalFramework.objects.filter(name="NAP with a repeat").exists()


def test_a_stale_pillar_title_is_refused_and_shows_the_saved_one(db, users, client_for):
    framework = services.create_framework(actor=users["national"], country="KEN", name="NAP rename", start_year=2025,
                                          end_year=2029, pillars=[("P1", "Prevnetion")])
    pillar = framework.pillars.get()
    page = reverse("plans:framework", args=["KEN", framework.pk])
    first = {"rename": pillar.pk, f"p{pillar.pk}-pillar": pillar.pk, f"p{pillar.pk}-seen": "Prevnetion",
             f"p{pillar.pk}-title": "Prevention"}
    assert client_for("admin").post(page, first).status_code == 302
    second = {**first, f"p{pillar.pk}-title": "Prevention of violence"}
    response = client_for("national").post(page, second)
    assert response.status_code == 200
    assert "admin changed this title to “Prevention”" in response.content.decode()
    pillar.refresh_from_db()
    assert pillar.title == "Prevention"
    assert AuditEvent.objects.filter(action="framework.pillar.rename", object_id=str(pillar.pk)).count() == 1


def test_a_coordinator_of_another_country_may_not_enter_or_read_kenyas_plan(db, client_for):
    from tamasuk.cities import services as city_services
    from tamasuk.cities.models import City, Role

    saida = City.objects.get(slug="saida")
    user, _ = city_services.create_user(actor="test", username="saida_coordinator", password="test-pass-123",
                                        city=saida)
    city_services.grant_membership(actor="test", city=saida, user=user, role=Role.COORDINATOR)
    client = client_for("saida_coordinator")
    url = reverse("plans:frameworks", args=["KEN"])
    assert client.post(url, {"name": "Not theirs", "start_year": 2025, "end_year": 2029}).status_code == 403
    assert client.get(url).status_code == 403
    assert not NationalFramework.objects.filter(name="Not theirs").exists()


def test_a_kenyan_coordinator_reads_the_framework_but_does_not_edit_it(db, client_for):
    client = client_for("coordinator")
    url = reverse("plans:frameworks", args=["KEN"])
    response = client.get(url)
    assert response.status_code == 200 and response.context["form"] is None
    assert client.post(url, {"name": "Not a coordinator's", "start_year": 2025, "end_year": 2029}).status_code == 403


def test_a_crossing_of_sex_and_age_band_gives_the_roll_up_its_published_margins(kenya, users, client_for):
    """Cells of sex × age band are small, their margins are not: the roll-up shows the margins the crossing was
    published with, never a sum of hidden cells."""
    from tamasuk.plans.models import PlanIndicator

    j1 = PlanIndicator.objects.get(plan=kenya["kisumu"], code="J1")
    cells = {("f", "15-24"): 3, ("f", "25-34"): 20, ("m", "15-24"): 30, ("m", "25-34"): 2}
    services.record_actuals(actor=users["coordinator"], indicator=j1, year=2025, values=[
        services.ActualInput(value=Decimal(55)),
        *(services.ActualInput(value=Decimal(v), sex=s, age_band=b) for (s, b), v in cells.items())])
    rollup = _national(client_for("national"), kenya["framework"]).context["overview"].rollup
    by_sex, by_age = rollup.breakdowns
    n2 = 1  # J1's activity serves N2 only
    assert dict(zip(by_sex.columns, by_sex.cells[n2], strict=True)) == {"f": 23, "m": 32, "": 0}
    assert dict(zip(by_age.columns, by_age.cells[n2], strict=True))["15-24"] == 33
    assert rollup.totals[n2] == 55
