"""Synthetic mapping data for the demo city: correlated indicators with gaps, and community reports.

Every number is made up (seeded); pages carry the "synthetic demo data" banner.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from tamasuk.cities.models import Area, City

from . import services
from .models import Direction, Theme

# code, theme, name, unit, direction, loading on the latent need, base, spread
INDICATORS = [
    ("youth-unemployment", "unemployment", "Youth unemployment rate", "%", Direction.HIGHER_IS_WORSE, 0.8, 38, 12),
    ("food-insecurity", "food", "Households with insufficient food", "%", Direction.HIGHER_IS_WORSE, 0.7, 22, 9),
    ("informal-housing", "housing", "Households in informal housing", "%", Direction.HIGHER_IS_WORSE, 0.75, 30, 14),
    ("no-sanitation", "sanitation", "Households without improved sanitation", "%", Direction.HIGHER_IS_WORSE, 0.7, 18, 9),
    ("below-poverty-line", "economic-stability", "Households below the poverty line", "%",
     Direction.HIGHER_IS_WORSE, 0.85, 34, 11),
    ("trust-in-police", "police-trust", "Residents who trust the police", "%", Direction.HIGHER_IS_BETTER, -0.6, 48, 12),
    ("feel-safe-at-night", "safety", "Residents who feel safe walking at night", "%", Direction.HIGHER_IS_BETTER,
     -0.65, 55, 13),
    ("feel-excluded", "exclusion", "Residents who feel excluded from local decisions", "%",
     Direction.HIGHER_IS_WORSE, 0.6, 41, 10),
    ("unfair-treatment", "injustice", "Residents reporting unfair treatment by authorities", "%",
     Direction.HIGHER_IS_WORSE, 0.55, 27, 9),
    ("hate-speech-incidents", "hate-speech", "Hate speech incidents recorded", "per 10,000 residents",
     Direction.HIGHER_IS_WORSE, 0.5, 6, 3),
    ("violent-crime", "violence", "Violent crime", "per 10,000 residents", Direction.HIGHER_IS_WORSE, 0.6, 14, 6),
    ("youth-in-programmes", "youth", "Young people in youth programmes", "%", Direction.HIGHER_IS_BETTER,
     -0.4, 16, 6),
    ("women-in-committees", "women", "Women among ward committee members", "%", Direction.HIGHER_IS_BETTER,
     -0.3, 31, 8),
    ("small-businesses", "local-business", "Registered small businesses", "per 1,000 residents",
     Direction.HIGHER_IS_BETTER, -0.5, 22, 7),
]
# Arabic names, so an Arabic page reads in Arabic (machine-drafted like the interface translations).
NAMES_AR = {
    "youth-unemployment": "معدل بطالة الشباب",
    "food-insecurity": "الأسر التي لا يكفيها الغذاء",
    "informal-housing": "الأسر في مساكن غير رسمية",
    "no-sanitation": "الأسر دون صرف صحي محسّن",
    "below-poverty-line": "الأسر تحت خط الفقر",
    "trust-in-police": "السكان الذين يثقون بالشرطة",
    "feel-safe-at-night": "السكان الذين يشعرون بالأمان ليلاً",
    "feel-excluded": "السكان الذين يشعرون بالإقصاء من القرارات المحلية",
    "unfair-treatment": "السكان الذين يبلّغون عن معاملة غير عادلة من السلطات",
    "hate-speech-incidents": "حوادث خطاب الكراهية المسجلة",
    "violent-crime": "جرائم العنف",
    "youth-in-programmes": "الشباب المنخرطون في برامج الشباب",
    "women-in-committees": "النساء في لجان الأحياء",
    "small-businesses": "المشاريع الصغيرة المسجلة",
}


def survey_years(today: dt.date) -> list[int]:
    """The demo's yearly surveys: the last three full years before today, so the data is always current."""
    return [today.year - 3, today.year - 2, today.year - 1]


SOURCE = "Synthetic demo survey (not real data)"
CATEGORIES = [("tension", 0.3), ("incident", 0.2), ("hate_speech", 0.2), ("grievance", 0.2),
              ("security_grievance", 0.1)]
CHANNELS = ["forum", "hotline", "web", "sms", "partner"]
REPORT_TEXT = {
    "tension": "Synthetic demo report: argument between groups near the market.",
    "incident": "Synthetic demo report: stones thrown at a bus stop after a football match.",
    "hate_speech": "Synthetic demo report: insulting slogans painted on a wall.",
    "grievance": "Synthetic demo report: water points closed for a week without notice.",
    "security_grievance": "Synthetic demo report: residents say a patrol treated young men roughly.",
}


def load(*, city: City, progress=lambda _m: None, seed: int = 23, today: dt.date | None = None) -> None:
    """``today``: the day the demo is loaded; report and survey dates count back from it."""
    rng = np.random.default_rng(seed)
    today = today or timezone.localdate()
    years = survey_years(today)
    services.seed_themes(actor="demo", city=city)
    themes = {t.code: t for t in Theme.objects.filter(city=city)}
    progress(f"Adding {len(INDICATORS)} synthetic neighbourhood indicators…")
    for code, theme, name, unit, direction, *_rest in INDICATORS:
        services.create_indicator(actor="demo", city=city, code=code, name=name, unit=unit, direction=direction,
                                  theme=themes[theme], source=SOURCE, hxl_tag=f"#indicator+{code.replace('-', '_')}",
                                  names={"ar": NAMES_AR[code]})
    wards = list(Area.objects.filter(city=city, level=2).order_by("code"))
    # A latent "need" that is smooth in space (neighbouring wards resemble each other) and drifts by year.
    centroids = np.array([_centre(w.geometry) for w in wards])
    hot = centroids[[3, 17, 26]]  # three synthetic clusters of high need
    dist = np.min(np.linalg.norm(centroids[:, None, :] - hot[None, :, :], axis=2), axis=1)
    latent = 1.6 * np.exp(-((dist / 0.025) ** 2)) + rng.normal(0, 0.35, len(wards))
    latent = (latent - latent.mean()) / latent.std()
    records = []
    row = 0
    for y_i, year in enumerate(years):
        drift = latent + rng.normal(0, 0.15, len(wards)) - 0.08 * y_i
        for code, _t, _n, unit, _d, loading, base, spread in INDICATORS:
            noise = rng.normal(0, np.sqrt(max(1 - loading**2, 0.05)), len(wards))
            values = base + spread * (loading * drift + noise)
            values = np.clip(values, 0.5, 99.5 if unit == "%" else None)
            for w, v in zip(wards, values, strict=True):
                if rng.random() < 0.05:  # gaps, as real data has
                    continue
                row += 1
                records.append(services.ObservationInput(
                    row=row, area=w.code, indicator=code, period=str(year),
                    period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31), value=round(float(v), 1),
                    source=SOURCE))
    progress(f"Importing {len(records)} synthetic observations for {years[0]}–{years[-1]}…")
    summary = services.import_observations(actor="demo", city=city, records=records, source_name="demo")
    if not summary.ok:
        raise RuntimeError(f"demo observations did not import: {summary.errors[:3]}")
    progress("Adding synthetic community reports…")
    weights = np.exp(0.9 * latent)
    weights /= weights.sum()
    cats, probs = zip(*CATEGORIES, strict=True)
    for _ in range(420):
        ward = wards[rng.choice(len(wards), p=weights)]
        category = str(rng.choice(cats, p=probs))
        date = today - dt.timedelta(days=int(rng.integers(0, 640)))
        services.create_report(actor="demo", city=city, category=category, date=date,
                               channel=str(rng.choice(CHANNELS)), text=REPORT_TEXT[category], area=ward)
    _hate_speech_wave(city, wards, centroids, today)


# A wave of hate speech before a by-election, in the last three months (the hotspots page's default period):
# many reports around one ward, almost none around another, so the hotspot analysis has true hot and cold spots
# to find. Wards by index in code order; 17 and 7 are a Nyali and a Jomvu ward.
WAVE_CENTRE, WAVE_QUIET = 17, 7
WAVE_DAYS = 88


def _hate_speech_wave(city: City, wards, centroids: np.ndarray, today: dt.date) -> None:
    rng = np.random.default_rng(31)
    near = np.linalg.norm(centroids - centroids[WAVE_CENTRE], axis=1)
    quiet = np.linalg.norm(centroids - centroids[WAVE_QUIET], axis=1)
    expected = (4 + 10 * np.exp(-((near / 0.03) ** 2))) * (1 - np.exp(-((quiet / 0.05) ** 2)))
    for ward, n in zip(wards, np.round(expected).astype(int), strict=True):
        for _ in range(int(n)):
            date = today - dt.timedelta(days=int(rng.integers(0, WAVE_DAYS)))
            services.create_report(actor="demo", city=city, category="hate_speech", date=date,
                                   channel=str(rng.choice(CHANNELS)), text=REPORT_TEXT["hate_speech"], area=ward)


def _centre(geometry: dict) -> tuple[float, float]:
    from shapely.geometry import shape

    c = shape(geometry).representative_point()
    return (c.x, c.y)
