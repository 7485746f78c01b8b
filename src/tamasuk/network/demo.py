"""Synthetic organisations, services and links for the demo city (names are made up)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.contrib.auth import get_user_model

from tamasuk.cities.models import Area, City

from . import services
from .models import LinkKind, OrganisationType, Sector

# type → (how many, typical sectors, name pattern)
KINDS = [
    (OrganisationType.MUNICIPAL, 6, ["wash", "shelter", "livelihoods", "cohesion"], "County {} Department"),
    (OrganisationType.NATIONAL_AGENCY, 3, ["security", "protection"], "National {} Office"),
    (OrganisationType.POLICE, 4, ["security"], "Police Post {}"),
    (OrganisationType.CIVIL_SOCIETY, 14, ["cohesion", "protection", "livelihoods"], "{} Community Initiative"),
    (OrganisationType.HEALTH, 10, ["health"], "{} Health Centre"),
    (OrganisationType.PSYCHOSOCIAL, 5, ["psychosocial", "protection"], "{} Counselling Network"),
    (OrganisationType.FAITH, 9, ["cohesion", "food"], "{} Interfaith Council"),
    (OrganisationType.YOUTH, 10, ["youth", "livelihoods", "cohesion"], "{} Youth Group"),
    (OrganisationType.WOMEN, 7, ["women", "livelihoods", "protection"], "{} Women's Association"),
    (OrganisationType.SCHOOL, 7, ["education", "youth"], "{} Secondary School"),
    (OrganisationType.BUSINESS, 5, ["livelihoods"], "{} Traders' Cooperative"),
]
WORDS = ["Amani", "Baraka", "Tumaini", "Upendo", "Umoja", "Jamii", "Nuru", "Pwani", "Bahari", "Neema", "Faraja",
         "Imani", "Furaha", "Mwanga", "Tulia", "Salama", "Hekima", "Uzima", "Kesho", "Msingi"]


def load(*, city: City, progress=lambda _m: None, seed: int = 5) -> None:
    rng = np.random.default_rng(seed)
    wards = list(Area.objects.filter(city=city, level=2).order_by("code"))
    orgs = []
    progress("Adding about 80 synthetic organisations with their services…")
    n = 0
    for kind, count, sectors, pattern in KINDS:
        for i in range(count):
            word = WORDS[(n * 7 + i) % len(WORDS)]
            name = pattern.format(f"{word} {i + 1}" if "{}" in pattern else word)
            n += 1
            org = services.create_organisation(
                actor="demo", city=city, name=name, type=kind, sectors=list(sectors),
                description="Synthetic demo organisation.", focal_point_name=f"Focal point {n}",
                focal_point_email=f"focal{n}@example.org", focal_point_phone=f"+254 700 000 {n:03d}")
            orgs.append(org)
            home = rng.integers(len(wards))
            for sector in rng.choice(sectors, size=min(len(sectors), int(rng.integers(1, 3))), replace=False):
                covered = {int(home)} | {int(x) for x in rng.integers(0, len(wards), size=int(rng.integers(0, 4)))}
                reached_f, reached_m = int(rng.integers(20, 900)), int(rng.integers(20, 900))
                services.save_service(
                    actor="demo", organisation=org, areas=[wards[j] for j in sorted(covered)],
                    name=f"{Sector(sector).label} programme", sector=str(sector),
                    capacity=int(rng.integers(100, 3000)), reached_f=reached_f, reached_m=reached_m,
                    reached_total=reached_f + reached_m, start=dt.date(2025, 1, 1), end=dt.date(2026, 12, 31),
                    address=f"Plot {int(rng.integers(1, 400))}, {wards[int(home)].name}", contact=f"+254 711 {n:06d}")
    # One confidential service: its address must never leave the city team.
    shelter_org = next(o for o in orgs if o.type == OrganisationType.WOMEN)
    services.save_service(actor="demo", organisation=shelter_org, areas=[wards[12]], name="Safe house",
                          sector=Sector.PROTECTION, confidential=True, capacity=40,
                          address="Synthetic confidential address 7", latitude=-4.03, longitude=39.66,
                          contact="+254 799 000 111")
    member = get_user_model().objects.filter(username="member").first()
    youth = next(o for o in orgs if o.type == OrganisationType.YOUTH)
    if member is not None:
        services.set_focal_points(actor="demo", organisation=youth, users=[member])
    progress("Linking the organisations…")
    kinds = list(LinkKind.values)
    made = set()
    by_type = {}
    for o in orgs:
        by_type.setdefault(o.type, []).append(o)
    for _ in range(220):
        a, b = rng.choice(len(orgs), size=2, replace=False)
        src, dst = orgs[int(a)], orgs[int(b)]
        # Synthetic gap for the network page to find: health providers and police never linked.
        if {src.type, dst.type} == {OrganisationType.HEALTH, OrganisationType.POLICE}:
            continue
        key = (src.pk, dst.pk)
        if key in made or (dst.pk, src.pk) in made:
            continue
        made.add(key)
        services.create_link(actor="demo", source=src, target=dst, kind=str(rng.choice(kinds)),
                             strength=int(rng.integers(1, 6)), since=dt.date(int(rng.integers(2015, 2026)), 1, 1))
