"""Synthetic organisations, services and links for the demo city (names are made up)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.contrib.auth import get_user_model

from tamasuk.cities.models import Area, City

from .directory import services
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
    # Small organisations that reach the network only through one larger one, so the network page has true
    # bridging organisations to find: four traders' cooperatives through the first, three youth groups through
    # the member focal point's youth group.
    hubs = {by_type[OrganisationType.BUSINESS][0]: by_type[OrganisationType.BUSINESS][1:],
            by_type[OrganisationType.YOUTH][0]: by_type[OrganisationType.YOUTH][-3:]}
    peripheral = {o.pk for group in hubs.values() for o in group}
    # Synthetic gap for the network page to find: health providers never work with the police or the national
    # security agencies, so the health and security sectors never talk.
    apart = {OrganisationType.POLICE, OrganisationType.NATIONAL_AGENCY}
    for _ in range(270):
        a, b = rng.choice(len(orgs), size=2, replace=False)
        src, dst = orgs[int(a)], orgs[int(b)]
        if OrganisationType.HEALTH in {src.type, dst.type} and {src.type, dst.type} & apart:
            continue
        if src.pk in peripheral or dst.pk in peripheral:
            continue
        key = (src.pk, dst.pk)
        if key in made or (dst.pk, src.pk) in made:
            continue
        made.add(key)
        services.create_link(actor="demo", source=src, target=dst, kind=str(rng.choice(kinds)),
                             strength=int(rng.integers(1, 6)), since=dt.date(int(rng.integers(2015, 2026)), 1, 1))
    for hub, group in hubs.items():
        for org in group:
            services.create_link(actor="demo", source=hub, target=org, kind="coordination", strength=3,
                                 since=dt.date(2020, 1, 1))
    load_forums(city, progress)


# ---- coordination forums ------------------------------------------------------------------------------

FORUM_ROUNDS = [
    # (agenda, information shared, decision, action items as (text, owner type, due in days after the meeting))
    ("Review of last month's community reports; school holiday programme.",
     "Reports of tension near two markets went up after the football final; youth groups offer evening sport.",
     "Run evening sport sessions in the wards with most tension reports for the school holidays.",
     [("Draft the holiday sport timetable with two youth groups", "youth", 10),
      ("Share the list of safe venues with the police post", "municipal", 14)]),
    ("Water points and sanitation complaints; referral pathway for psychosocial support.",
     "Three water points were closed for a week without notice; residents raised it at the barazas.",
     "Publish water-point closures a week ahead through faith leaders and SMS.",
     [("Set up an SMS notice list with the water department", "municipal", 21),
      ("Brief faith leaders at the interfaith council", "faith", 14)]),
    ("Women's economic empowerment; market traders' grievances.",
     "Traders report harassment at the new market gate; women's groups ask for a savings scheme.",
     "Open a joint desk with the traders' cooperative and the police post on market days.",
     [("Agree the desk's opening hours with traders", "business", 7),
      ("Map women's savings groups by ward", "women", 30)]),
    ("Hate speech online before the by-election; dialogue sessions.",
     "Insulting slogans were painted on walls in two wards; schools report name-calling between pupils.",
     "Hold dialogue sessions in secondary schools before the by-election.",
     [("Plan three school dialogue sessions", "school", 21),
      ("Paint over the slogans with the youth groups", "youth", 7)]),
    ("Psychosocial referrals; follow-up of the evening sport sessions.",
     "Counsellors receive more referrals from schools than they can see within two weeks.",
     "Counselling networks share one waiting list and triage referrals from schools together.",
     [("Set up the shared waiting list", "psychosocial", 14),
      ("Report referral numbers by ward (counts only)", "psychosocial", 28)]),
    ("Planning of next quarter; who does what where.",
     "The directory shows no link between health providers and the police posts.",
     "Invite the police posts to the next health network meeting.",
     [("Send the invitation and agenda", "health", 7),
      ("Prepare the list of shared cases (no names)", "police", 21)]),
]

HEALTH_ROUNDS = [
    ("Vaccination campaign: which wards first.",
     "Coverage of the last round was lowest in the wards with the highest need score.",
     "Start the vaccination round in the ten wards of highest need, as ranked by the saved profile.",
     [("Allocate outreach teams to the first ten wards", "health", 7),
      ("Tell the faith councils of the first ten wards", "faith", 5)]),
    ("Maternal health referrals; transport.",
     "Two health centres lack transport for referrals at night.",
     "Pool transport between the centres on a shared night rota.",
     [("Write the night transport rota", "health", 14)]),
    ("Mental health in schools.",
     "Schools ask for a counsellor visit each term.",
     "Counselling networks visit each secondary school once a term.",
     [("Agree the school visit calendar", "psychosocial", 21),
      ("Share the calendar with head teachers", "school", 28)]),
    ("Cholera preparedness.",
     "Water points in three wards failed the last water test.",
     "Chlorinate the failing water points and retest within two weeks.",
     [("Chlorinate and retest the failing water points", "municipal", 14)]),
    ("Vaccination round: progress.",
     "Seven of the ten first wards are done; two outreach teams lacked cold boxes.",
     "Move the spare cold boxes to the teams that lack them and finish the first ten wards.",
     [("Move spare cold boxes", "health", 3),
      ("Report doses given by ward and sex", "health", 10)]),
    ("Next round; lessons from the campaign.",
     "Faith leaders' announcements doubled turnout where they were made.",
     "Ask faith leaders to announce every outreach day from now on.",
     [("Send the outreach calendar to the faith councils", "faith", 7)]),
]


def _demo_profile(city: City, actor):
    """A real prioritisation ("basic needs first", latest year), saved as a profile the decisions can cite."""
    from tamasuk.cities.models import Area as AreaModel
    from tamasuk.mapping.models import Indicator, Observation, Theme
    from tamasuk.mapping.priorities import PRESETS, Choices, run
    from tamasuk.mapping.services import save_profile

    indicators = list(Indicator.objects.filter(city=city).select_related("theme", "denominator"))
    if not indicators:
        return None
    themes = {t.pk: t for t in Theme.objects.filter(city=city)}
    period = max(Observation.objects.filter(city=city).values_list("period", flat=True))
    level = max(AreaModel.objects.filter(city=city).values_list("level", flat=True))
    areas = list(AreaModel.objects.filter(city=city, level=level).order_by("code"))
    ids = [i.pk for i in indicators] + [i.denominator_id for i in indicators if i.denominator_id]
    values = {(a, i): v for a, i, v in Observation.objects.filter(
        city=city, period=period, indicator_id__in=ids, sex="", age_band="", group="").values_list(
        "area_id", "indicator_id", "value")}
    weights = {themes[i.theme_id].code: float(PRESETS["basic-needs-first"].get(themes[i.theme_id].group, 1.0))
               for i in indicators}
    choices = Choices(period=period, indicators=[i.code for i in indicators], theme_weights=weights,
                      preset="basic-needs-first", level=level)
    outcome = run(areas=areas, indicators=indicators, themes=themes, values=values, choices=choices, runs=100)
    return save_profile(actor=actor, city=city, name=f"Basic needs first, {period} (demo)", period=period,
                        spec=outcome.choices.to_dict(), results=outcome.to_dict())


def _tuesdays(today: dt.date, n: int) -> list[dt.date]:
    """The last n Tuesdays before today, oldest first."""
    last = today - dt.timedelta(days=(today.weekday() - 1) % 7 or 7)
    return [last - dt.timedelta(weeks=n - 1 - k) for k in range(n)]


def _first_thursdays(today: dt.date, n: int) -> list[dt.date]:
    """The first Thursdays of the last n months (before today), oldest first."""
    out, year, month = [], today.year, today.month
    while len(out) < n:
        first = dt.date(year, month, 1)
        thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
        if thursday < today:
            out.append(thursday)
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def load_forums(city: City, progress=lambda _m: None) -> None:
    """Two forums with six past meetings each, decisions (one citing a saved profile) and action items, some
    overdue, some done; dates count back from today so the forum page always has something overdue."""
    from tamasuk.network.coordination import services as forum_services
    from tamasuk.network.models import ActionStatus, Organisation

    progress("Adding two coordination forums with past meetings…")
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    actor = coordinator or "demo"
    profile = _demo_profile(city, coordinator) if coordinator is not None else None
    orgs = list(Organisation.objects.filter(city=city).order_by("pk"))
    by_type: dict[str, list] = {}
    for o in orgs:
        by_type.setdefault(o.type, []).append(o)
    wards = list(Area.objects.filter(city=city, level=2).order_by("code"))
    rng = np.random.default_rng(7)
    lpn_members = [*by_type["municipal"][:3], *by_type["police"][:2], *by_type["civil_society"][:3],
                   *by_type["faith"][:2], *by_type["youth"][:3], *by_type["women"][:2], *by_type["school"][:2],
                   *by_type["business"][:1], *by_type["psychosocial"][:2], *by_type["health"][:1]]
    health_members = [*by_type["health"][:8], *by_type["psychosocial"][:3], *by_type["municipal"][:1],
                      *by_type["faith"][:2], *by_type["school"][:1]]
    today = dt.date.today()
    plans = [
        (forum_services.create_forum(
            actor=actor, city=city, name="Local Prevention Network", rhythm="monthly, first Thursday",
            names={"ar": "شبكة الوقاية المحلية", "sw": "Mtandao wa Kinga wa Eneo"},
            description="The city's prevention network: civil society, police, faith, youth, women, schools, "
                        "business and the county's departments.", members=lpn_members),
         FORUM_ROUNDS, _first_thursdays(today, len(FORUM_ROUNDS)), lpn_members),
        (forum_services.create_forum(
            actor=actor, city=city, name="Health network", rhythm="weekly on Tuesdays",
            names={"ar": "الشبكة الصحية", "sw": "Mtandao wa Afya"},
            description="Hospitals, health centres and psychosocial providers: campaigns and referrals.",
            members=health_members),
         HEALTH_ROUNDS, _tuesdays(today, len(HEALTH_ROUNDS)), health_members),
    ]
    for forum, rounds, dates, members in plans:
        for k, (agenda, information, decision, items) in enumerate(rounds):
            date = dates[k]
            present = [m for m in members if rng.random() < 0.75]
            cites = profile if (profile is not None and forum.name == "Health network" and k in (0, 4)) else None
            inputs = []
            for text, owner_type, days in items:
                candidates = [m for m in members if m.type == owner_type] or by_type.get(owner_type) or orgs
                owner = candidates[k % len(candidates)]  # the member demo user's youth group owns some
                picked = sorted({int(x) for x in rng.integers(0, len(wards), size=int(rng.integers(0, 4)))})
                inputs.append(forum_services.ActionItemInput(text=text, owner=owner,
                                                             due=date + dt.timedelta(days=days),
                                                             areas=[wards[j] for j in picked]))
            meeting = forum_services.record_meeting(
                actor=actor, forum=forum, date=date, attendees=present,
                people_present=len(present) + int(rng.integers(2, 9)), agenda=agenda, information=information,
                # The latest network meeting's notes are shared with the network; the rest stay city-only.
                visibility="network" if (forum is plans[0][0] and k == len(rounds) - 1) else "city",
                decisions=[forum_services.DecisionInput(text=decision, profile=cites)],
                action_items=inputs)
            # Older rounds are mostly done; the latest rounds still open, so some are overdue and some are not.
            for item in meeting.action_items.all():
                if k < len(rounds) - 3 and rng.random() < 0.7:
                    forum_services.set_action_item_status(actor=actor, item=item, status=ActionStatus.DONE)
