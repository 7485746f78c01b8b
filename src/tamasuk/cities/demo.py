"""The demo city: Mombasa County's real sub-county codes and names, everything else synthetic.

Ward names, boundaries and every number are made up (seeded, so every installation gets the same demo);
pages say so in a banner. Real ward names are deliberately not used: synthetic needs attached to a real
neighbourhood's name could be mistaken for facts about the people who live there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import shapely
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from shapely.geometry import MultiPoint, Point, Polygon, mapping

from tamasuk.audit.services import record
from tamasuk.interop.geojson import read_areas

from . import services
from .models import Area, City, Membership, Role

SLUG = "mombasa"
SUB_COUNTIES = [  # real P-codes and names; seed points are rough synthetic positions
    ("KE001001", "Changamwe", (39.615, -4.025)),
    ("KE001002", "Jomvu", (39.585, -3.975)),
    ("KE001003", "Kisauni", (39.700, -3.960)),
    ("KE001004", "Nyali", (39.700, -4.020)),
    ("KE001005", "Likoni", (39.640, -4.095)),
    ("KE001006", "Mvita", (39.663, -4.050)),
]
WARDS_PER_SUB_COUNTY = 5
AGE_BANDS = ["0-14", "15-24", "25-34", "35-59", "60+"]
AGE_SHARES = [0.36, 0.21, 0.19, 0.19, 0.05]

# Demo users: (username, role, password). Printed by `make run`; never use such passwords for real.
DEMO_USERS = [
    ("admin", Role.ADMIN, "admin-demo-pass"),
    ("coordinator", Role.COORDINATOR, "coordinator-demo-pass"),
    ("member", Role.MEMBER, "member-demo-pass"),
    ("analyst", Role.ANALYST, "analyst-demo-pass"),
    ("auditor", Role.AUDITOR, "auditor-demo-pass"),
    ("national", Role.NATIONAL, "national-demo-pass"),
]


def _county_outline() -> Polygon:
    # A rough synthetic coastline-like blob around Mombasa: no real boundary is reproduced.
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radii = 0.085 + 0.012 * np.sin(3 * angles) + 0.006 * np.cos(5 * angles)
    return Polygon(zip(39.648 + 1.1 * radii * np.cos(angles), -4.025 + radii * np.sin(angles), strict=True))


def _cells(seeds: list[tuple[float, float]], clip: Polygon) -> list[Polygon]:
    """Voronoi cells of the seeds clipped to the outline, in the seeds' order."""
    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=clip.envelope.buffer(0.1))
    cells = []
    for seed in seeds:
        point = Point(seed)
        cell = next(g for g in regions.geoms if g.contains(point) or g.touches(point))
        cells.append(cell.intersection(clip))
    return cells


def _random_points(rng, polygon: Polygon, n: int) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = polygon.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        # Keep seeds apart so no ward becomes a sliver.
        if polygon.buffer(-0.004).contains(Point(x, y)) and all(
            (x - px) ** 2 + (y - py) ** 2 > 0.008 ** 2 for px, py in points
        ):
            points.append((x, y))
    return points


def demo_geojson(seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    outline = _county_outline()
    features = []
    sub_cells = _cells([s[2] for s in SUB_COUNTIES], outline)
    for (code, name, _seed), cell in zip(SUB_COUNTIES, sub_cells, strict=True):
        ward_cells = _cells(_random_points(rng, cell, WARDS_PER_SUB_COUNTY), cell)
        features.append({"type": "Feature", "geometry": mapping(cell),
                         "properties": {"code": code, "name": name, "parent": None,
                                                "name_ar": _arabic(name)}})
        for i, ward in enumerate(ward_cells, start=1):
            features.append({"type": "Feature", "geometry": mapping(ward), "properties": {
                "code": f"{code}{i:02d}", "name": f"{name} Ward {i}", "parent": code,
                "name_ar": f"{_arabic(name)} - الحي {_arabic_digits(i)}",
            }})
    return {"type": "FeatureCollection", "features": features}


_AR_NAMES = {"Changamwe": "شانغاموي", "Jomvu": "جومفو", "Kisauni": "كيساوني", "Nyali": "نيالي",
             "Likoni": "ليكوني", "Mvita": "مفيتا"}


def _arabic(name: str) -> str:
    return _AR_NAMES.get(name, name)


def _arabic_digits(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def _population(rng) -> tuple[int, dict]:
    total_by_sex = {"f": int(rng.integers(9_000, 46_000)), "m": int(rng.integers(9_000, 46_000))}
    detail = {}
    for sex, total in total_by_sex.items():
        counts = [int(total * share) for share in AGE_SHARES]
        counts[-1] += total - sum(counts)
        detail[sex] = dict(zip(AGE_BANDS, counts, strict=True))
    return sum(total_by_sex.values()), detail


def is_loaded() -> bool:
    return City.objects.filter(slug=SLUG).exists()


def load(*, reset: bool = False, force: bool = False,
         progress: Callable[[str], None] = lambda _msg: None) -> City:
    """Load the demo city (or replace it with `reset`). Every write goes through the services.

    Refused on a database that holds real cities (unless forced): demo users with printed passwords,
    among them a national liaison for Kenya, have no place beside real data.
    """
    if not force and City.objects.filter(is_demo=False).exists():
        raise DemoRefused("this database holds real cities; the demo city is not loaded beside them")
    with transaction.atomic():
        if reset:
            progress("Removing the previous demo city…")
            _remove()
        elif is_loaded():
            return City.objects.get(slug=SLUG)
        progress("Creating the city of Mombasa (synthetic demo data)…")
        city = services.create_city(actor="demo", name="Mombasa", slug=SLUG, country="KEN",
                                    languages=["en", "sw", "ar"], time_zone="Africa/Nairobi",
                                    level_names={"1": "Sub-county", "2": "Ward"}, is_demo=True)
        progress("Drawing 6 sub-counties and 30 synthetic wards…")
        data = json.dumps(demo_geojson()).encode()
        result = read_areas(data, code_property="code", name_property="name", parent_property="parent",
                            extra_name_properties={"ar": "name_ar"})
        report = services.import_areas(actor="demo", city=city, result=result)
        if not report.ok:
            raise RuntimeError(f"demo areas did not import: {report.errors[:3]}")
        rng = np.random.default_rng(11)
        progress("Adding synthetic populations…")
        for ward in Area.objects.filter(city=city, level=2).order_by("code"):
            total, detail = _population(rng)
            services.set_population(actor="demo", area=ward, total=total, detail=detail)
        for sub in Area.objects.filter(city=city, level=1):
            wards = Area.objects.filter(parent=sub)
            services.set_population(actor="demo", area=sub, total=sum(w.population for w in wards))
        progress("Creating demo users for each role…")
        _users(city)
        return city


class DemoRefused(Exception):
    pass


def _is_demo_only(user) -> bool:
    """A demo account: its memberships, if any, are all in demo cities."""
    return not Membership.objects.filter(user=user, city__is_demo=False).exists()


def _users(city: City) -> None:
    User = get_user_model()
    for username, role, password in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is not None and not _is_demo_only(user):
            raise DemoRefused(f"a real account named {username!r} exists; the demo would take it over")
        if user is None:
            user, _ = services.create_user(actor="demo", username=username, password=password, city=city)
        ends_on = timezone.localdate() + dt.timedelta(days=30) if role == Role.AUDITOR else None
        services.grant_membership(actor="demo", city=city, user=user, role=role, ends_on=ends_on)


def _remove() -> None:
    city = City.objects.filter(slug=SLUG).first()
    if city is None:
        return
    record(actor="demo", action="city.delete", obj=city, city=city,
           before={"name": city.name, "areas": Area.objects.filter(city=city).count(),
                   "memberships": Membership.objects.filter(city=city).count()})
    # Areas, memberships and everything recorded about the city go with it (restricted links between them
    # only stop deleting a part on its own).
    city.delete()
    for user in get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS]):
        if _is_demo_only(user):  # never a real account that happens to share a demo name
            user.delete()


def logins() -> list[tuple[str, str, str]]:
    return [(u, str(Role(r).label), p) for u, r, p in DEMO_USERS]
