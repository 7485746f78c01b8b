"""The network page lays out the drawing once per version of the data: a repeat load reads it from the cache,
and a new link, organisation or ward served makes a new drawing at once (never a stale one)."""

from __future__ import annotations

import re
import subprocess
import sys

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tamasuk.analysis import network_drawing as drawing
from tamasuk.network.directory import queries
from tamasuk.network.directory import services as network_services
from tamasuk.network.directory.analysis_views import _drawing_key
from tamasuk.network.models import Organisation


def _page(client, city) -> str:
    response = client.get(f"/c/{city.slug}/network/")
    assert response.status_code == 200
    return response.content.decode()


def _drawing(html: str) -> str:
    return re.search(r'<figure class="chart network">.*?</figure>', html, re.S).group(0)


def _links_drawn(html: str) -> tuple[int, int]:
    said = int(re.search(r"(\d+) links", html).group(1))
    return said, html.count("<line ")


def test_the_drawing_is_cached_for_its_data_and_redrawn_when_a_link_is_added(client_for, city, users):
    cache.clear()
    coordinator = client_for("coordinator")
    first = _page(coordinator, city)
    user = users["coordinator"]
    key = _drawing_key(city, list(queries.drawing_organisations(user, city)),
                       list(queries.drawing_links(user, city)), queries.organisation_areas(user, city))
    assert cache.get(key) is not None, "the layout and analysis are kept for this version of the data"
    assert _drawing(_page(coordinator, city)) == _drawing(first)

    n, lines = _links_drawn(first)
    assert n == lines
    health, police = (Organisation.objects.filter(city=city, type=t).first() for t in ("health", "police"))
    network_services.create_link(actor=user, source=health, target=police, kind="referral", strength=2)
    after = _page(coordinator, city)
    assert _links_drawn(after) == (n + 1, lines + 1), "a new link is drawn at once, not after the cache expires"
    assert "Health — Community safety" in first and "Health — Community safety" not in after


def test_the_page_reads_the_same_few_queries_however_many_services_there_are(client_for, city, users):
    coordinator = client_for("coordinator")
    _page(coordinator, city)
    with CaptureQueriesContext(connection) as before:
        _page(coordinator, city)
    org = Organisation.objects.filter(city=city).first()
    wards = list(city.areas.filter(level=2)[:4])
    for k in range(5):
        network_services.save_service(actor=users["coordinator"], organisation=org, areas=wards,
                                      name=f"Extra programme {k}", sector="cohesion", capacity=100)
    with CaptureQueriesContext(connection) as after:
        _page(coordinator, city)
    assert len(after) == len(before), [q["sql"][:120] for q in after.captured_queries]


def test_the_drawing_is_made_from_plain_data_without_django():
    """analysis.network_drawing takes plain records (dots, lines, positions, translated labels) and returns SVG."""
    dots = [drawing.Dot(1, "Clinic <A>", "health", "Health provider"), drawing.Dot(2, "Police post", "police", "Police")]
    svg = drawing.network_svg(dots, [(1, 2)], {1: (0.0, 0.0), 2: (1.0, 1.0)}, bridging={2},
                              types=["health", "police"], title="The prevention network")
    assert svg.count("<line ") == 1 and svg.count("<circle ") == 2
    assert "<title>Clinic &lt;A&gt; — Health provider</title>" in svg
    assert 'r="6" fill="#d95f02" stroke="#000"' in svg, "a bridging organisation is larger and ringed"
    assert drawing.legend([("health", "Health"), ("police", "Police"), ("faith", "Faith")], {"police", "faith"}) == [
        ("#d95f02", "Police"), ("#7570b3", "Faith")]
    loaded = subprocess.run([sys.executable, "-c", "import sys, tamasuk.analysis.network_drawing; "
                             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
