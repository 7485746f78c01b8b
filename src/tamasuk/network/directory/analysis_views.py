"""Coverage gaps and the network drawing: the directory turned into decisions. Thin: data in, analysis, render
(the drawing itself is ``analysis.network_drawing``)."""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tamasuk.analysis import coverage as cov
from tamasuk.analysis import network as net
from tamasuk.analysis import network_drawing as drawing
from tamasuk.cities import queries as city_queries
from tamasuk.cities.area_maps import area_link, area_map
from tamasuk.cities.permissions import Action
from tamasuk.mapping import queries as mapping_queries
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from ..models import OrganisationType, Sector
from . import queries


@login_required
@city_page(Action.RUN_ANALYSIS)
def coverage(request, city):
    """High need, low coverage: a saved priority profile's need against services' capacity per resident."""
    level = max(city_queries.levels(city) or [1])
    areas = list(city_queries.areas(request.user, city, level=level))
    profiles = list(mapping_queries.profiles(request.user, city)[:50])
    chosen = next((p for p in profiles if str(p.pk) == request.GET.get("profile")), profiles[0] if profiles else None)
    sector = request.GET.get("sector") or Sector.HEALTH
    if sector not in Sector.values:
        sector = Sector.HEALTH
    # People reached as this reader may see them (the city team: as recorded); a hidden count counts as unknown.
    services = [cov.Service(organisation=v.service.organisation_id, sector=v.service.sector,
                            areas=tuple(a.code for a in v.areas), capacity=v.service.capacity,
                            reached=v.reached_total if isinstance(v.reached_total, int) else None)
                for v in queries.services(request.user, city)]
    result = rows = None
    if chosen is not None:
        need = {r["code"]: r["score"] for r in chosen.results.get("areas", [])}
        result = cov.coverage([a.code for a in areas], {a.code: a.population for a in areas},
                              {a.code: need.get(a.code) for a in areas}, services, sectors=[sector],
                              need_scale=(0.0, 100.0))
        names = {a.code: a.display_name(get_language()) for a in areas}
        rows = [{"row": r, "name": names[r.area]} for r in result.ranked]

    def gap(a):
        g = result.row(a.code, sector).gap if result else None
        return None if g is None or g != g else round(g, 3)

    svg = area_map(areas, value=gap, href=area_link(city), title=_("Gap between need and services"),
                   description=_("Darker wards have high need and little service capacity per resident."),
                   legend_title=_("Gap score (0–1)"), value_format=lambda v: f"{v:.2f}", id_prefix="gap")
    return render(request, "network/coverage.html", {
        **city_nav(request, city), "profiles": profiles, "chosen": chosen, "sector": sector,
        "sectors": Sector.choices, "rows": rows, "map_svg": svg,
    })


def _drawing_key(city, orgs, links, served) -> str:
    """A digest of everything the drawing and its analysis depend on, as this reader sees it, and the language:
    a new organisation, link, name, type, sector or ward served changes it, so a cached drawing is never stale."""
    data = {
        "orgs": [[o.pk, o.name, o.type, sorted(o.sectors), sorted(served.get(o.pk, ()))] for o in orgs],
        "links": sorted([ln.source_id, ln.target_id, ln.kind, ln.strength, str(ln.since)] for ln in links),
        "language": get_language(),
    }
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f"network-drawing:{city.pk}:{digest}"


def _drawing(city, orgs, links, served):
    """The analysis and the SVG drawing, computed once per version of the data (the layout alone takes a
    second or more) and then read from the cache."""
    key = _drawing_key(city, orgs, links, served)
    found = cache.get(key)
    if found is not None:
        return found
    records = [net.Organisation(id=o.pk, type=o.type, sectors=tuple(o.sectors),
                                areas=tuple(sorted(served.get(o.pk, ()))))
               for o in orgs]
    G = net.build_graph(records, [net.Link(source=ln.source_id, target=ln.target_id, kind=ln.kind,
                                           strength=ln.strength, since=ln.since) for ln in links])
    result = net.analyse(G, seed=1, max_suggestions=15)
    positions = net.layout(G, seed=1)
    by_id = {o.pk: o for o in orgs}
    dots = [drawing.Dot(id=o.pk, name=o.name, type=o.type, type_label=str(o.get_type_display()))
            for o in (by_id[n] for n in G.nodes())]
    svg = drawing.network_svg(dots, G.edges(), positions, bridging={b.id for b in result.bridging},
                              types=OrganisationType.values, title=_("The prevention network"))
    found = (result, svg, G.number_of_edges())
    cache.set(key, found, timeout=DRAWING_CACHE_SECONDS)
    return found


DRAWING_CACHE_SECONDS = 7 * 24 * 3600  # the key changes with the data; the timeout only frees memory


@login_required
@city_page(Action.READ_CITY_DATA)
def network(request, city):
    orgs = list(queries.drawing_organisations(request.user, city))
    links = list(queries.drawing_links(request.user, city))
    # Suggested links compare the wards organisations serve: a confidential service's wards stay out of it for
    # readers from whom they are withheld.
    served = queries.organisation_areas(request.user, city)
    result, svg, n_links = _drawing(city, orgs, links, served)
    by_id = {o.pk: o for o in orgs}
    type_label = dict(OrganisationType.choices)
    sector_label = dict(Sector.choices)
    top = sorted(range(len(result.nodes)), key=lambda i: -result.betweenness[i])[:10]
    return render(request, "network/network.html", {
        **city_nav(request, city),
        "svg": svg, "legend": drawing.legend([(t, str(label)) for t, label in OrganisationType.choices],
                                             {o.type for o in orgs}),
        "bridging": [{"org": by_id[b.id], "b": b} for b in result.bridging],
        "central": [{"org": by_id[result.nodes[i]], "betweenness": result.betweenness[i],
                     "degree": int(result.degree[i])} for i in top],
        "missing_types": [(type_label.get(a, a), type_label.get(b, b)) for a, b in result.missing_type_pairs],
        "missing_sectors": [(sector_label.get(a, a), sector_label.get(b, b))
                            for a, b in result.missing_sector_pairs],
        "suggestions": [{"a": by_id[s.source], "b": by_id[s.target], "s": s} for s in result.suggestions],
        "components": len(result.components), "isolated": [by_id[i] for i in result.isolated],
        "n_orgs": len(orgs), "n_links": n_links,
    })
