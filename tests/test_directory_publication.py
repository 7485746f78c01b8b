"""The directory through the publication layer (issue 9, item 6).

A confidential service (the demo's safe house) shows neither its wards, nor its organisation, nor its address
outside the city team — on the directory's pages, in its API, in the 3W and HSDS exports (which leave the city,
so the city team's download is the same) — unless a coordinator marks it shareable. People reached by services
are the publication layer's one published table on every surface: the same value for a service on the
organisation page, in the API and in the 3W sheet, small counts as markers, and nothing a linear-programming
attacker can pin down from all of them together.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from lxml import html as lxml_html
from scipy.optimize import linprog

from tamasuk.audit.models import AuditEvent
from tamasuk.cities import publication
from tamasuk.cities.models import Area
from tamasuk.interop.hsds.kinds import validate
from tamasuk.interop.hsds.records import stable_id
from tamasuk.interop.hsds.schemas import load_schemas
from tamasuk.network.directory import queries
from tamasuk.network.directory import services as network_services
from tamasuk.network.models import Service

SECRET = "Synthetic confidential address 7"
OUTSIDERS = ["member", "national", "national_other", "peer", "outsider", "anonymous"]
CITY_TEAM = ["admin", "coordinator", "analyst", "auditor"]
HSDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hsds-3.0"


@pytest.fixture
def shelter(db):
    return Service.objects.select_related("organisation").get(name="Safe house", confidential=True)


def _ward_of(shelter) -> Area:
    return shelter.areas.get()


def _doc(response):
    return lxml_html.fromstring(response.content.decode())


def _directory_row(client, city, name: str, **params):
    """The directory's list row of a service, as {column header: cell text}, or None."""
    doc = _doc(client.get(reverse("network:directory", args=[city.slug]), params))
    table = doc.xpath('//h2[contains(., "Services")][not(contains(., "sector"))]/following-sibling::div[1]//table')[0]
    heads = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr/th")]
    for tr in table.xpath("./tbody/tr"):
        cells = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        if len(cells) == len(heads) and cells[1] == name:
            return dict(zip(heads, cells, strict=True))
    return None


def _threew(client, city) -> list[dict]:
    text = client.get(reverse("network:threew_export", args=[city.slug])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]


# ---- a confidential service: wards, organisation, address ---------------------------------------------------

@pytest.mark.parametrize("role", OUTSIDERS)
def test_outside_the_city_team_a_confidential_service_shows_no_ward_organisation_or_address(
        city, shelter, client_for, role):
    client = client_for(role)
    org, ward = shelter.organisation, _ward_of(shelter)
    directory = client.get(reverse("network:directory", args=[city.slug]))
    if role != "member":  # the directory is the city team's and its network's: everyone else is refused whole
        assert directory.status_code in (302, 403, 404)  # 404: no role in the city, which then does not exist
        for name in ("network:organisation", "network:threew_export", "network:hsds_export"):
            args = [city.slug, org.pk] if name == "network:organisation" else [city.slug]
            r = client.get(reverse(name, args=args))
            assert r.status_code in (302, 403, 404) and b"Safe house" not in r.content
        r = client.get(f"/api/v1/cities/{city.slug}/organisations")
        assert r.status_code in (401, 403, 404) and b"Safe house" not in r.content
        return
    # The directory lists it (it is known to exist), with its organisation and wards withheld...
    row = _directory_row(client, city, "Safe house")
    assert row is not None
    assert row["Organisation"] == "withheld: confidential service" and row["Wards"] == "withheld"
    assert row["Where"] == "confidential" and SECRET not in directory.content.decode()
    # ...and no filter places it: not by its ward, not by its organisation's type.
    assert _directory_row(client, city, "Safe house", area=ward.code) is None
    assert _directory_row(client, city, "Safe house", type=org.type) is None
    assert _directory_row(client, city, "Safe house", sector="protection") is not None
    # The sector × ward table counts it in no ward (the city team's counts it in its ward).
    def protection_in_ward(c):
        doc = _doc(c.get(reverse("network:directory", args=[city.slug]), {"sector": "protection"}))
        table = doc.xpath('//table[@class="www"]')[0]
        codes = [th.get("title") for th in table.xpath("./thead/tr/th")[1:]]
        rows = table.xpath("./tbody/tr")
        return sum(int(tr.xpath("./td")[codes.index(ward.name)].text_content()) for tr in rows)
    assert protection_in_ward(client) == protection_in_ward(client_for("coordinator")) - 1
    # Its organisation's page does not list it; the API does not list it under any organisation.
    page = client.get(reverse("network:organisation", args=[city.slug, org.pk])).content.decode()
    assert "Safe house" not in page
    api = client.get(f"/api/v1/cities/{city.slug}/organisations").json()
    assert not [s for o in api for s in o["services"] if s["name"] == "Safe house"]
    # The network drawing's suggested links do not compare its ward.
    team = queries.organisation_areas(_user("coordinator"), city).get(org.pk, set())
    mine = queries.organisation_areas(_user(role), city).get(org.pk, set())
    others = {a.code for s in Service.objects.filter(organisation=org).exclude(pk=shelter.pk) for a in s.areas.all()}
    assert ward.code in team and mine == others


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


@pytest.mark.parametrize("role", CITY_TEAM + ["member"])
def test_exports_leave_the_city_without_a_confidential_service_unless_it_is_shared(city, shelter, client_for, role):
    """3W and HSDS leave the city: whoever downloads them gets what the public may see."""
    client = client_for(role)
    rows = _threew(client, city)
    assert not [r for r in rows if r["#subsector"] == "Safe house"]
    text = client.get(reverse("network:hsds_export", args=[city.slug])).content.decode()
    assert "Safe house" not in text and SECRET not in text
    assert stable_id("service", city.pk, shelter.pk) not in text


def test_a_shared_confidential_service_shows_its_ward_and_organisation_but_never_its_address(
        city, shelter, client_for):
    shelter.share_where_and_who = True
    shelter.save()
    org, ward = shelter.organisation, _ward_of(shelter)
    member = client_for("member")
    row = _directory_row(member, city, "Safe house", area=ward.code)
    assert row is not None and row["Organisation"] == org.name and row["Wards"] == "1"
    assert row["Where"] == "confidential"
    page = member.get(reverse("network:organisation", args=[city.slug, org.pk])).content.decode()
    assert "Safe house" in page and ward.name in page and SECRET not in page
    api = member.get(f"/api/v1/cities/{city.slug}/organisations").json()
    (found,) = [s for o in api for s in o["services"] if s["name"] == "Safe house"]
    assert found["areas"] == [ward.code] and found["withheld"] and found["address"] == "" and found["contact"] == ""
    assert [o["name"] for o in api if found in o["services"]] == [org.name]
    for role in ("coordinator", "member"):
        rows = [r for r in _threew(client_for(role), city) if r["#subsector"] == "Safe house"]
        assert [(r["#org"], r["#adm2+code"]) for r in rows] == [(org.name, ward.code)]
        text = client_for(role).get(reverse("network:hsds_export", args=[city.slug])).content.decode()
        assert SECRET not in text and "+254 799 000 111" not in text
        doc = json.loads(text)
        (o,) = [o for o in doc["contents"] if any(s["name"] == "Safe house" for s in o.get("services", []))]
        (s,) = [s for s in o["services"] if s["name"] == "Safe house"]
        assert o["name"] == org.name and [a["name"] for a in s["service_areas"]] == [ward.name]
        assert not s.get("service_at_locations") and not s.get("phones") and not s.get("email")
        if (HSDS_DIR / "schema-compiled").is_dir():
            assert validate(doc, schemas=load_schemas(HSDS_DIR / "schema-compiled")) == []


def test_only_a_coordinator_marks_a_confidential_service_shareable_and_it_is_audited(
        city, shelter, users, client_for):
    org = shelter.organisation
    url = reverse("network:edit_service", args=[city.slug, org.pk, shelter.pk])
    form = client_for("coordinator").get(url).content.decode()
    assert 'name="share_where_and_who"' in form
    data = {"name": shelter.name, "sector": shelter.sector, "areas": [_ward_of(shelter).code],
            "capacity": shelter.capacity or "", "confidential": "on", "share_where_and_who": "on",
            "address": shelter.address, "contact": shelter.contact, "latitude": shelter.latitude,
            "longitude": shelter.longitude, "opened": network_services.service_token(shelter)}
    before = AuditEvent.objects.order_by("-pk").first().pk
    assert client_for("coordinator").post(url, data).status_code == 302
    shelter.refresh_from_db()
    assert shelter.share_where_and_who
    (event,) = AuditEvent.objects.filter(pk__gt=before, action="service.update")
    assert event.before_value["share_where_and_who"] is False and event.after_value["share_where_and_who"] is True
    # A focal point's form has no such field, and the service refuses the change from anyone but the city team.
    org.focal_points.add(users["member"])
    assert 'name="share_where_and_who"' not in client_for("member").get(url).content.decode()
    client_for("member").post(url, {**data, "share_where_and_who": ""})
    shelter.refresh_from_db()
    assert shelter.share_where_and_who  # the field is not the focal point's: left as it was
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        network_services.save_service(actor=users["member"], organisation=org, service=shelter,
                                      areas=list(shelter.areas.all()), share_where_and_who=False)


def test_a_focal_point_sees_its_own_confidential_service_whole_but_not_its_address(city, shelter, users, client_for):
    """Who runs the shelter entered its wards: its own focal point is not kept from them (nor from editing it)."""
    shelter.organisation.focal_points.add(users["member"])
    page = client_for("member").get(reverse("network:organisation", args=[city.slug, shelter.organisation.pk]))
    text = page.content.decode()
    assert "Safe house" in text and _ward_of(shelter).name in text and SECRET not in text
    # Exports leave the city: even its own focal point's download does not carry it.
    assert not [r for r in _threew(client_for("member"), city) if r["#subsector"] == "Safe house"]


# ---- people reached: one published table on every surface ---------------------------------------------------

SMALL = [(3, 12, 15), (None, None, 4), (7, 2, 9), (20, 30, 52), (1, 0, 1), (14, 11, None), (6, 6, 12), (2, 8, 10)]


@pytest.fixture
def small_services(city, users, shelter):
    """An organisation whose services reached few people, in several wards."""
    coordinator = users["coordinator"]
    wards = list(Area.objects.filter(city=city, level=max(Area.objects.filter(city=city)
                                                         .values_list("level", flat=True))).order_by("code"))
    org = network_services.create_organisation(actor=coordinator, city=city, name="Small Steps Youth Trust",
                                               type="youth", sectors=["youth"])
    made = []
    for n, (f, m, total) in enumerate(SMALL):
        made.append(network_services.save_service(
            actor=coordinator, organisation=org, areas=wards[n % 4: n % 4 + 1 + n % 2], name=f"Small step {n}",
            sector="youth", reached_f=f, reached_m=m, reached_total=total))
    # The safe house reached few women too: its count is in the table (protected with the rest), never shown.
    network_services.save_service(actor=coordinator, organisation=shelter.organisation, service=shelter,
                                  areas=list(shelter.areas.all()), reached_f=3, reached_total=3)
    return org, made


_MARK = re.compile(r"^<\d+$")


def _shown(text):
    text = text.strip() if isinstance(text, str) else text
    return None if text in ("", "—", None) else (int(text) if isinstance(text, str) and text.isdigit() else text)


def _surfaces(client, city, org) -> dict[str, dict[int, tuple]]:
    """{surface: {service pk: (women, men, total) as shown}} for the member's organisation page, API and 3W."""
    pks = {(s.organisation.name, s.name): s.pk for s in Service.objects.filter(city=city).select_related(
        "organisation")}
    out = {"page": {}, "api": {}, "3w": {}}
    doc = _doc(client.get(reverse("network:organisation", args=[city.slug, org.pk])))
    for tr in doc.xpath("//tr[@data-service]"):
        (cell,) = tr.xpath('./td[@data-dataset="service-reach"]')
        out["page"][int(tr.get("data-service"))] = tuple(
            _shown(cell.xpath(f'./*[@data-part="{p}"]')[0].text_content()) for p in ("f", "m", "total"))
    for o in client.get(f"/api/v1/cities/{city.slug}/organisations").json():
        for s in o["services"]:
            out["api"][s["id"]] = (s["reached_f"], s["reached_m"], s["reached_total"])
    for r in _threew(client, city):
        if r["#reached+f"] or r["#reached+m"] or r["#reached+total"]:
            pk = pks[(r["#org"], r["#subsector"])]
            assert pk not in out["3w"], "a service's counts are on its first ward's row only"
            out["3w"][pk] = (_shown(r["#reached+f"]), _shown(r["#reached+m"]), _shown(r["#reached+total"]))
    return out


def test_people_reached_are_the_same_published_values_on_every_surface(city, small_services, client_for):
    org, made = small_services
    k = publication.threshold(city)
    published = publication.service_reach(city, publication.Audience.NETWORK)
    seen = _surfaces(client_for("member"), city, org)
    markers = 0
    for s in made:
        expected = tuple(getattr(published[s.pk], p) for p in ("women", "men", "total"))
        for surface in ("page", "api", "3w"):
            assert seen[surface][s.pk] == expected, (surface, s.name, seen[surface][s.pk], expected)
        for recorded, shown in zip((s.reached_f, s.reached_m, s.reached_total), expected, strict=True):
            if recorded is not None and 0 < recorded < k:
                assert isinstance(shown, str) and _MARK.match(shown), (s.name, recorded, shown)
            markers += isinstance(shown, str)
    assert markers >= 6
    # The safe house's reach is in no outsider's view, and the city team reads the numbers as recorded.
    assert all(s["name"] != "Safe house" for o in client_for("member").get(
        f"/api/v1/cities/{city.slug}/organisations").json() for s in o["services"])
    team = _surfaces(client_for("coordinator"), city, org)
    assert team["page"][made[0].pk] == (3, 12, 15)
    assert team["3w"][made[0].pk] == seen["3w"][made[0].pk]  # the export leaves the city: published values
    # The 3W sheet explains its markers, and reading it back leaves the recorded numbers as they are.
    rows = [r for r in _threew(client_for("coordinator"), city) if r["#org"] == org.name]
    assert any("“x”" in r.get("#meta+note", "") or "<" in r.get("#meta+note", "") for r in rows)
    data = client_for("coordinator").get(reverse("network:threew_export", args=[city.slug])).content
    from tamasuk.network.directory import import_services

    plan = import_services.import_threew(actor=_user("coordinator"), city=city,
                                         sheet=import_services.read_threew(data, "3w.csv"))
    assert plan.ok and not plan.changes_anything


def test_no_count_of_people_reached_can_be_recovered_from_page_api_and_3w_together(city, small_services, client_for):
    """Every value the member sees, as linear constraints on the true cells (women, men, the rest of each
    service); for each cell below k and each hidden value, the smallest and largest value it can take. The
    city team's view (numbers as recorded on its pages) is the control: there the attack pins small cells."""
    assert not _pinned(city, small_services, client_for("member"))
    assert _pinned(city, small_services, client_for("coordinator"))


def _pinned(city, small_services, client) -> list[str]:
    org, made = small_services
    k = publication.threshold(city)
    seen = _surfaces(client, city, org)
    services = {s.pk: s for s in Service.objects.filter(city=city)}
    index: dict = {}

    def var(pk, part):
        return index.setdefault((pk, part), len(index))

    constraints = []  # (coefficients {var: 1}, lo, hi)
    for surface in seen.values():
        for pk, values in surface.items():
            s = services[pk]
            forms = ({var(pk, "f"): 1}, {var(pk, "m"): 1},
                     {var(pk, "f"): 1, var(pk, "m"): 1, var(pk, "rest"): 1})
            for form, value, recorded in zip(forms, values, (s.reached_f, s.reached_m, s.reached_total),
                                             strict=True):
                if value is None or recorded is None:
                    continue
                if isinstance(value, int):
                    constraints.append((form, value, value))
                elif value == "x":
                    constraints.append((form, k, None))
                else:
                    constraints.append((form, 0, k - 1))
    n = len(index)
    A_ub, b_ub, A_eq, b_eq = [], [], [], []
    for form, lo, hi in constraints:
        row = np.zeros(n)
        for j, c in form.items():
            row[j] = c
        if lo == hi:
            A_eq.append(row)
            b_eq.append(lo)
            continue
        A_ub.append(-row)
        b_ub.append(-lo)
        if hi is not None:
            A_ub.append(row)
            b_ub.append(hi)

    def extreme(form, sign):
        c = np.zeros(n)
        for j, v in form.items():
            c[j] = sign * v
        kwargs = {"A_ub": np.array(A_ub), "b_ub": np.array(b_ub)} if A_ub else {}
        if A_eq:
            kwargs.update(A_eq=np.array(A_eq), b_eq=np.array(b_eq))
        res = linprog(c, bounds=[(0, 1e6)] * n, method="highs", **kwargs)
        assert res.status == 0, res.message
        return sign * res.fun

    truth = defaultdict(int)
    for (pk, part) in index:
        s = services[pk]
        truth[(pk, part)] = {"f": s.reached_f or 0, "m": s.reached_m or 0}.get(
            part, (s.reached_total or 0) - (s.reached_f or 0) - (s.reached_m or 0))
    targets = [({index[key]: 1}, f"{services[key[0]].name} {key[1]} = {v}")
               for key, v in truth.items() if 0 < v < k]
    targets += [(form, f"hidden value of {form}") for form, lo, hi in constraints if lo != hi]
    assert len(targets) >= 6
    return [why for form, why in targets if extreme(form, -1) - extreme(form, 1) < 1 - 1e-6]
