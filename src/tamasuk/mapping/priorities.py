"""From the city's observations to a ranked list of neighbourhoods, through analysis.index.

Turns the user's choices into an IndexSpec, the observations into a matrix, and the engine's result into a
JSON-ready snapshot that a page shows and a saved profile keeps unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from tamasuk.analysis import index as engine
from tamasuk.analysis import uncertainty as robustness

from .models import Indicator, Theme, ThemeGroup

NORMALISATIONS = ("minmax", "rank", "zscore")
AGGREGATIONS = ("arithmetic", "geometric", "high_dominates")

# Presets weight the theme groups; indicators share their theme's weight equally.
PRESETS = {
    "balanced": {g.value: 1.0 for g in ThemeGroup},
    "basic-needs-first": {ThemeGroup.BASIC_NEEDS: 3.0, ThemeGroup.DRIVERS: 1.0, ThemeGroup.SECURITY_TRUST: 1.0,
                          ThemeGroup.INCLUSION: 1.0, ThemeGroup.ECONOMY: 1.0},
    "drivers-first": {ThemeGroup.DRIVERS: 3.0, ThemeGroup.BASIC_NEEDS: 1.0, ThemeGroup.SECURITY_TRUST: 1.0,
                      ThemeGroup.INCLUSION: 1.0, ThemeGroup.ECONOMY: 1.0},
}


@dataclass
class Choices:
    """What the user chose on the prioritisation page (all JSON-serialisable, kept in a saved profile)."""

    period: str
    indicators: list[str]
    theme_weights: dict[str, float] = field(default_factory=dict)
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    impute: str = "mean"
    level: int = 2
    preset: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def build_spec(indicators: list[Indicator], themes: dict[int, Theme], weights: dict[str, float]) -> engine.IndexSpec:
    nodes = [engine.Node(code="index", level=3, name="index")]
    used_themes = {ind.theme_id for ind in indicators}
    for tid in used_themes:
        theme = themes[tid]
        nodes.append(engine.Node(code=f"theme:{theme.code}", level=2, parent="index",
                                 weight=float(weights.get(theme.code, 1.0)), name=theme.name))
    for ind in indicators:
        nodes.append(engine.Node(
            code=ind.code, level=1, parent=f"theme:{themes[ind.theme_id].code}", weight=1.0,
            direction=1 if ind.higher_is_worse else -1, name=ind.name,
            denominator=ind.denominator.code if ind.denominator_id else None))
    return engine.IndexSpec(tuple(nodes))


@dataclass
class Outcome:
    choices: Choices
    areas: list[dict]          # one per area, ranked: code, name, score, rank, rank_low/high, drivers, coverage
    sensitivity: list[dict]    # per assumption: first-order and total Sobol index
    missing: dict[str, int]    # indicator code → areas without a value (imputed)
    indicators: list[dict]     # each with its coverage: areas with a value, of how many
    coverage: dict             # overall share of ward × indicator values present, the threshold, sufficient

    def to_dict(self) -> dict:
        return {"choices": self.choices.to_dict(), "areas": self.areas, "sensitivity": self.sensitivity,
                "missing": self.missing, "indicators": self.indicators, "coverage": self.coverage}

    @property
    def sufficient(self) -> bool:
        return self.coverage["sufficient"]


def run(*, areas: list, indicators: list[Indicator], themes: dict[int, Theme], values: dict[tuple[int, int], float],
        choices: Choices, threshold: int = 70, runs: int = 300, seed: int = 1) -> Outcome:
    """Score, rank and explain. `values[(area_id, indicator_id)]` holds the period's observations;
    `threshold` is the city's minimum share (%) of ward × indicator values for a ranking to be trusted."""
    spec = build_spec(indicators, themes, choices.theme_weights)
    ordered = spec.indicators  # engine's column order
    by_code = {i.code: i for i in indicators}
    X = np.full((len(areas), len(ordered)), np.nan)
    for r, area in enumerate(areas):
        for c, code in enumerate(ordered):
            v = values.get((area.pk, by_code[code].pk))
            if v is not None:
                X[r, c] = v
    # Counts become rates (e.g. per resident) where the indicator names a denominator indicator.
    denominators = {}
    for ind in indicators:
        if ind.denominator_id:
            den = ind.denominator
            denominators[den.code] = np.array([values.get((a.pk, den.pk), np.nan) for a in areas], dtype=float)
    options = engine.IndexOptions(impute=choices.impute, normalisation=choices.normalisation,
                                  aggregation=choices.aggregation, denominate=True,
                                  bounds=(1.0, 100.0) if choices.aggregation != "arithmetic" else (0.0, 100.0))
    units = [a.code for a in areas]
    result = engine.compute(X, spec, options, units=units, denominators=denominators)
    # Coverage counts what the ranking really stands on: a count whose denominator is missing is missing too.
    cov = engine.coverage(result.denominated, threshold=threshold / 100)
    missing = {code: int((~cov.present[:, c]).sum()) for c, code in enumerate(ordered)}
    alternatives = robustness.Assumptions(
        weights=0.25,
        normalisations=tuple(m for m in ("minmax", "rank") if m != "zscore"),
        aggregations=("arithmetic", "geometric"),
        leave_one_out=len(ordered) > 2,
    )
    mc_options = engine.IndexOptions(impute=choices.impute, normalisation="minmax", aggregation="arithmetic",
                                     denominate=True, bounds=(1.0, 100.0))
    mc = robustness.uncertainty(X, spec, mc_options, alternatives, runs=runs, seed=seed, units=units,
                                denominators=denominators)
    sobol = robustness.sensitivity(X, spec, mc_options, alternatives, n=64, seed=seed, units=units,
                                   denominators=denominators)
    names = {i.code: i for i in indicators}
    rows = []
    for r, area in enumerate(areas):
        drivers = []
        # Only values the ward has can drive its need: a city average standing in for a gap never does.
        for d in result.top_drivers(r, n=3, level=1, observed_only=True):
            ind = names[d.code]
            drivers.append({"code": d.code, "name": ind.name, "names": ind.names,
                            "contribution": _num(d.contribution), "value": _num(X[r, ordered.index(d.code)]),
                            "unit": ind.unit, "imputed": d.imputed})
        no_data = [{"code": code, "name": names[code].name, "names": names[code].names}
                   for c, code in enumerate(ordered) if not cov.present[r, c]]
        rows.append({
            "code": area.code, "name": area.name, "names": area.names, "score": _num(result.score[r]),
            "rank": int(result.rank[r]), "rank_low": _num(mc.rank_low[r]), "rank_high": _num(mc.rank_high[r]),
            "median_rank": _num(mc.median_rank[r]), "drivers": drivers,
            "themes": {code.removeprefix("theme:"): _num(result.contributions[r, j])
                       for j, code in enumerate(result.codes) if code.startswith("theme:")},
            "coverage": {"present": int(cov.present[r].sum()), "of": len(ordered), "share": _num(cov.by_unit[r])},
            "no_data": no_data,
        })
    rows.sort(key=lambda row: row["rank"])
    labels = {"weights": "weights ±25 %", "normalisation": "normalisation method",
              "aggregation": "aggregation method", "leave_one_out": "one indicator left out"}
    sens = [{"factor": f, "label": labels.get(f, f), "first": _num(s), "total": _num(t)}
            for f, (s, t) in sobol.as_dict().items()]
    col = {code: c for c, code in enumerate(ordered)}
    overall = {"share": _num(cov.share), "present": int(cov.present.sum()), "of": int(cov.present.size),
               "threshold": threshold, "sufficient": cov.sufficient,
               "wards_without_data": int((cov.by_unit == 0).sum()), "wards": len(areas)}
    return Outcome(choices=choices, areas=rows, sensitivity=sens, missing=missing, coverage=overall, indicators=[
        {"code": i.code, "name": i.name, "names": i.names, "unit": i.unit, "direction": i.direction,
         "source": i.source, "theme": themes[i.theme_id].code,
         "present": int(cov.present[:, col[i.code]].sum()), "of": len(areas),
         "share": _num(cov.by_indicator[col[i.code]])} for i in indicators])


def coverage_of(results: dict) -> dict | None:
    """The coverage a saved result was ranked on; profiles saved before coverage was kept get it from their
    count of missing values per indicator (per ward it is not known for them)."""
    if results.get("coverage"):
        return results["coverage"]
    missing, n = results.get("missing"), len(results.get("areas", []))
    if not missing or not n:
        return None
    cells = n * len(missing)
    present = cells - sum(missing.values())
    return {"share": round(present / cells, 6), "present": present, "of": cells, "threshold": None,
            "sufficient": None, "wards": n}


def _num(x) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else round(x, 6)
