"""The shape of the code: which module may import which, read from the source with ``ast`` (nothing is imported).

Every ``import tamasuk…`` and ``from … import …`` counts, absolute or relative, at module level or inside a
function (a lazy import is still a dependency: it only hides it from import time).

Two tiers in every app
    A Django app bundles a *core* (models, services, queries, permissions, adapters, tasks, analysis glue) and
    its *pages*; at whole-app granularity cities and web could never be acyclic while cities has pages (its
    pages need web, web needs cities' permissions). So each package's modules are split by name (:func:`tier`):

    pages         ``urls``, ``views``, ``*_views``, ``forms``, ``*_forms``, ``templatetags.*``
    entry points  ``management.*`` (commands), ``apps`` (``ready()`` registrations), ``demo``, ``*_demo``, and
                  the project's own modules (settings, urls, wsgi, demo, ``__main__``)
    core          everything else (migrations included: they import their own app's models)

    A form a core module needs (an import kind's choices, which the worker and the pages both reach through the
    kind's adapter) lives in that core module, not in a ``*_forms`` module: forms modules are the pages' own.

The rule (:func:`refusal`, one reason per kind of edge)
    * cores are layered by :data:`LAYERS`: a core imports cores of its own package or of packages below it,
      never web, never a page, never an entry point;
    * web's core is the page toolkit (decorators, navigation, errors, maps, widgets): above every core, below
      every page. It is built on cities (who may do what, the page's city) and imports no core above
      :data:`WEB_BASE`;
    * pages import web, their own package's pages and core, and the cores at or below their own package — or
      at or below :data:`WEB_BASE`, since every page already stands on cities through web (the audit log's page
      asks cities' permissions: no dependency that web did not already give it). Never another app's pages;
      web's own pages (home, a city's page) sit above every core;
    * entry points (the wiring) may import anything, and nothing but an entry point imports them;
    * no cycle between the (package, tier) nodes (entry points are one node: the wiring, on top), and no cycle
      between modules anywhere;
    * ``analysis`` and ``interop`` import no Django (plain Python, usable and testable without it).

The structure drawing (``pytest -s tests/test_structure.py -k drawing`` prints the edge list below from the source
as it is now; below, as it was when the KNOWN sets were emptied, with the members and settings pages moving
into cities; an arrow means "imports directly")::

    entry    settings, urls, wsgi, demo, management commands, apps.ready(): may import anything
    ─────────────────────────────────────────────────────────────────────────────────────────────
    pages    web · api · plans · network · mapping · imports · cities · audit
             → web's toolkit, their own core, the cores at or below their package and at or below cities
    ─────────────────────────────────────────────────────────────────────────────────────────────
    web      the page toolkit → cities
    ─────────────────────────────────────────────────────────────────────────────────────────────
    cores    api → plans → network → mapping → imports → cities → audit → interop → analysis;  formats

    entry           → api core, plans core, network core, mapping core, imports core, cities core, audit core,
                      interop core
    web pages       → web core, cities core
    api pages       → api core
    plans pages     → web core, plans core, network core, mapping core, cities core, analysis core
    network pages   → web core, network core, mapping core, cities core, analysis core
    mapping pages   → web core, mapping core, imports core, cities core, analysis core
    imports pages   → web core, imports core, cities core
    cities pages    → web core, cities core
    audit pages     → web core, cities core, audit core
    web core        → cities core
    api core        → plans core, network core, mapping core, cities core, audit core
    plans core      → cities core, audit core, interop core, analysis core
    network core    → mapping core, imports core, cities core, audit core, interop core
    mapping core    → imports core, cities core, audit core, interop core, analysis core
    imports core    → cities core, audit core
    cities core     → audit core, interop core, analysis core
    audit core
    interop core    → analysis core
    analysis core
    formats core

Violations known today would be listed in the ``KNOWN_*`` sets, each with why it is there; they are empty and
should stay so. The test fails on a new violation, and also on a known one that is gone.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PROJECT = "tamasuk"  # the project's own modules (settings, urls, wsgi, demo, __main__): entry points
WEB = "web"

# The cores, lowest first: a core may import the cores before it, never one after it.
#   formats   Django's per-language number and date formats (FORMAT_MODULE_PATH): data, imports nothing
#   analysis  pure numpy/shapely: indices, charts, maps, disclosure rules; imports nothing of ours
#   interop   pure file formats (tables, HXL, 3W, HSDS, GeoJSON, IATI); uses analysis.geometry
#   audit     the tamper-evident log every service writes to (audit.services.record), its verification and
#             erasure requests; knows no city rules, and the apps that hold contact details register them
#             (audit.erasure)
#   cities    cities, areas, memberships and permissions, the publication layer and the personal-data check of
#             shared text (the apps hand their counts and names to both through registries)
#   imports   the import pipeline (jobs, adapters, the worker) that apps register their kinds with
#   mapping   indicators, observations, priorities, hotspots
#   network   the directory of organisations and services, coordination, allocations; uses mapping's values
#   plans     action plans, monitoring, reports; reads mapping and network
#   api       the REST API over all of the above
LAYERS = ["formats", "analysis", "interop", "audit", "cities", "imports", "mapping", "network", "plans", "api"]
# What web's toolkit is built on: the highest core it imports (and so the floor every page stands on).
WEB_BASE = "cities"
PURE = ["analysis", "interop"]

CORE, PAGES, ENTRY = "core", "pages", "entry"
PAGE_NAMES = ("urls", "views", "forms")
PAGE_SUFFIXES = ("_views", "_forms")
ENTRY_NAMES = ("apps", "demo")
ENTRY_SUFFIXES = ("_demo",)

# Imports the rule refuses, known today, as ("package tier", "package tier") pairs. Empty: keep it so.
KNOWN_UPWARD: set[tuple[str, str]] = set()
# Cycles between (package, tier) nodes, each as the set of nodes in one strongly connected component.
KNOWN_PACKAGE_CYCLES: set[frozenset[str]] = set()
# Cycles between modules (each as the set of modules in one strongly connected component).
KNOWN_MODULE_CYCLES: set[frozenset[str]] = set()


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in (SRC / PROJECT).rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def _imports(module: str, path: Path, is_package: bool) -> tuple[set[str], set[str]]:
    """The project modules ``module`` imports, and the third-party top-level names it imports."""
    ours: set[str] = set()
    others: set[str] = set()
    here = module.split(".") if is_package else module.split(".")[:-1]

    def add(name: str) -> None:
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module:
            ours.add(name)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PROJECT:
                    add(alias.name)
                else:
                    others.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != PROJECT:
                others.add(target.split(".")[0])
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                add(sub if sub in MODULES else target)  # `from . import views` imports the module views
    return ours, others


GRAPH: dict[str, set[str]] = {}
THIRD_PARTY: dict[str, set[str]] = {}
for _name, (_path, _is_package) in MODULES.items():
    GRAPH[_name], THIRD_PARTY[_name] = _imports(_name, _path, _is_package)


def package(module: str) -> str:
    """``tamasuk.mapping.views`` → ``mapping``; the project's own top-level modules → ``tamasuk``."""
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and not MODULES[".".join(parts[:2])][1]):
        return PROJECT
    return parts[1]


def tier(module: str) -> str:
    """core, pages or entry, by the module's name inside its package (see the module's docstring)."""
    if package(module) == PROJECT:
        return ENTRY
    inside = module.split(".")[2:]
    if not inside:
        return CORE  # the package's __init__
    name = inside[-1]
    if inside[0] == "management" or name in ENTRY_NAMES or name.endswith(ENTRY_SUFFIXES):
        return ENTRY
    if inside[0] == "templatetags" or name in PAGE_NAMES or name.endswith(PAGE_SUFFIXES):
        return PAGES
    return CORE


def node(module: str) -> str:
    """The module's (package, tier) node, as "mapping core"; every entry point is one node, "entry"."""
    return ENTRY if tier(module) == ENTRY else f"{package(module)} {tier(module)}"


RANK = {name: i for i, name in enumerate(LAYERS)}
TOP = len(LAYERS)  # web's own pages stand above every core


def refusal(importer: str, imported: str) -> str | None:
    """Why the rule refuses ``importer`` importing ``imported``, or None when it allows it."""
    pa, ta, pb, tb = package(importer), tier(importer), package(imported), tier(imported)
    if ta == ENTRY:
        return None
    if tb == ENTRY:
        return "imports an entry point (only entry points may)"
    if ta == CORE and pa == WEB:
        if tb == PAGES:
            return "web's toolkit imports a page"
        if pb != WEB and RANK[pb] > RANK[WEB_BASE]:
            return f"web's toolkit imports a core above {WEB_BASE}, what it is built on"
        return None
    if ta == CORE:
        if tb == PAGES:
            return "a core imports a page"
        if pb == WEB:
            return "a core imports web, the page toolkit"
        if RANK[pb] > RANK[pa]:
            return "a core imports the core of a package above it"
        return None
    # a page
    if tb == PAGES:
        return None if pb == pa else "a page imports another package's pages"
    ceiling = TOP if pa == WEB else max(RANK[pa], RANK[WEB_BASE])
    if pb != WEB and RANK[pb] > ceiling:
        return "a page imports the core of a package above its own"
    return None


def _components(nodes: set[str], edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, set()) & nodes)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            current, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, set()) & nodes))))
                    break
                if child in on_stack:
                    low[current] = min(low[current], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[current])
                if low[current] == index[current]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == current:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def node_edges() -> dict[str, set[str]]:
    """Which (package, tier) node imports which (every entry point is the one node "entry")."""
    edges: dict[str, set[str]] = defaultdict(set)
    for a, targets in GRAPH.items():
        for b in targets:
            if node(a) != node(b):
                edges[node(a)].add(node(b))
    return edges


def _check(found: set, known: set, what: str, explain) -> None:
    new = found - known
    gone = known - found
    lines = []
    if new:
        lines.append(f"new {what} (fix them; they are not allowed):")
        lines += [f"  {explain(v)}" for v in sorted(new, key=str)]
    if gone:
        lines.append(f"{what} listed as known but no longer found (delete them from the KNOWN set):")
        lines += [f"  {sorted(v) if isinstance(v, frozenset) else v}" for v in sorted(gone, key=str)]
    assert not lines, "\n".join(lines)


def test_every_package_is_in_the_layers():
    packages = {package(m) for m in MODULES}
    placed = set(LAYERS) | {WEB, PROJECT}
    assert packages <= placed, f"add these packages to LAYERS where they belong: {sorted(packages - placed)}"


def test_every_import_follows_the_rule():
    refused: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a, targets in sorted(GRAPH.items()):
        for b in sorted(targets):
            why = refusal(a, b)
            if why:
                refused[(node(a), node(b))].append(f"{a} → {b} ({why})")

    def explain(pair):
        edges = refused[pair]
        shown = "; ".join(edges[:6]) + (f"; … {len(edges) - 6} more" if len(edges) > 6 else "")
        return f"{pair[0]} imports {pair[1]}: {shown}"

    _check(set(refused), KNOWN_UPWARD, "refused imports", explain)


def test_no_import_cycle_between_package_tiers():
    edges = node_edges()
    found = set(_components({node(m) for m in MODULES}, edges))

    def explain(cycle):
        pairs = sorted((a, b) for a in cycle for b in edges[a] & cycle)
        return f"cycle between {sorted(cycle)}: " + ", ".join(f"{a} → {b}" for a, b in pairs)

    _check(found, KNOWN_PACKAGE_CYCLES, "package-tier cycles", explain)


def test_no_import_cycle_between_modules():
    found = set(_components(set(MODULES), GRAPH))

    def explain(cycle):
        return f"cycle between {sorted(cycle)}: " + ", ".join(
            f"{a} → {b}" for a in sorted(cycle) for b in sorted(GRAPH[a] & cycle))

    _check(found, KNOWN_MODULE_CYCLES, "module cycles", explain)


@pytest.mark.parametrize("name", PURE)
def test_pure_packages_import_no_django(name):
    offenders = sorted(f"{m} imports django" for m in MODULES if package(m) == name and "django" in THIRD_PARTY[m])
    assert not offenders, "\n".join(offenders)


def test_the_graph_sees_lazy_and_relative_imports():
    # Guards the reader itself: mapping.priorities imports analysis.index absolutely, analysis.choropleth
    # imports .svg relatively, and mapping's ready() imports imports.adapters inside a function.
    assert "tamasuk.analysis.index" in GRAPH["tamasuk.mapping.priorities"]
    assert "tamasuk.analysis.svg" in GRAPH["tamasuk.analysis.choropleth"]
    assert "tamasuk.imports.adapters" in GRAPH["tamasuk.mapping.apps"]


def test_the_tiers_are_read_from_the_names():
    assert [tier(m) for m in ("tamasuk.mapping.models", "tamasuk.mapping.views", "tamasuk.mapping.area_views",
                              "tamasuk.network.coordination.forms", "tamasuk.web.templatetags.tamasuk",
                              "tamasuk.mapping.apps", "tamasuk.audit.management.commands.audit",
                              "tamasuk.cities.demo", "tamasuk.settings", "tamasuk.web.decorators")] == [
        CORE, PAGES, PAGES, PAGES, PAGES, ENTRY, ENTRY, ENTRY, ENTRY, CORE]
    # The rule itself, on made-up edges.
    assert refusal("tamasuk.audit.models", "tamasuk.cities.models")  # a core above
    assert refusal("tamasuk.cities.models", "tamasuk.web.decorators")  # a core to web
    assert refusal("tamasuk.mapping.models", "tamasuk.mapping.views")  # a core to a page
    assert refusal("tamasuk.mapping.views", "tamasuk.plans.models")  # a page to a core above its own
    assert refusal("tamasuk.mapping.views", "tamasuk.plans.views")  # a page to another app's pages
    assert refusal("tamasuk.cities.models", "tamasuk.cities.demo")  # a core to an entry point
    assert refusal("tamasuk.web.nav", "tamasuk.mapping.models")  # the toolkit above cities
    assert not refusal("tamasuk.audit.views", "tamasuk.cities.permissions")  # every page stands on cities
    assert not refusal("tamasuk.plans.views", "tamasuk.web.decorators")
    assert not refusal("tamasuk.web.views", "tamasuk.plans.models")  # web's own pages: above every core
    assert not refusal("tamasuk.cities.management.commands.demo", "tamasuk.demo")


def drawing() -> str:
    """The structure as it is in the source: each node and the nodes it imports, top first."""
    edges = node_edges()
    order = [ENTRY] + [f"{p} {PAGES}" for p in [WEB, *reversed(LAYERS)]] + [f"{WEB} {CORE}"] + [
        f"{p} {CORE}" for p in reversed(LAYERS)]
    present = {node(m) for m in MODULES}
    lines = []
    for name in order:
        if name in present:
            below = sorted(edges.get(name, set()), key=order.index)
            lines.append(f"{name:15} → {', '.join(below)}" if below else name)
    return "\n".join(lines)


def test_print_the_structure_drawing():
    """Run with -s to see the drawing; it also checks every node of the source has a place in it."""
    text = drawing()
    print("\n" + text)
    assert all(n.split(" → ")[0].strip() in text for n in {node(m) for m in MODULES})
