"""The shape of the code: which package may import which, read from the source with ``ast`` (nothing is imported).

Every ``import tamasuk…`` and ``from … import …`` counts, absolute or relative, at module level or inside a
function (a lazy import is still a dependency: it only hides it from import time). Four rules:

* no import cycle between the top-level packages (``tamasuk.cities``, ``tamasuk.mapping``…);
* no package imports one above it in :data:`LAYERS`;
* no import cycle between the modules of one package;
* ``analysis`` and ``interop`` import no Django (they are plain Python, usable and testable without it).

Violations known today are listed in the ``KNOWN_*`` sets, each with why it is there; the test subtracts them.
It fails on a new violation, and also on a known one that is gone, so that the sets only shrink: when a fix
lands, delete its line here in the same commit.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PROJECT = "tamasuk"  # the project's own modules (settings, urls, wsgi, demo, __main__) count as one package

# Lowest first: a package may import the ones before it, never one after it.
#   formats   Django's per-language number and date formats (FORMAT_MODULE_PATH): data, imports nothing
#   analysis  pure numpy/shapely: indices, charts, maps, disclosure rules; imports nothing of ours
#   interop   pure file formats (tables, HXL, 3W, HSDS, GeoJSON, IATI); uses analysis.geometry
#   cities    cities, areas, memberships and permissions: every app below the pages asks it who may do what
#   audit     the audit log every service writes to (audit.services.record) and the page that reads it
#   web       the page toolkit (decorators, errors, navigation, maps) and the home and city pages
#   imports   the import pipeline (jobs, adapters, the worker) that apps register their kinds with
#   mapping   indicators, observations, priorities, hotspots
#   network   the directory of organisations and services, coordination, allocations; uses mapping's values
#   plans     action plans, monitoring, reports; reads mapping and network
#   api       the REST API over all of the above
#   tamasuk   project wiring: settings, urls, wsgi, the demo that fills every app
LAYERS = [
    "formats",
    "analysis",
    "interop",
    "cities",
    "audit",
    "web",
    "imports",
    "mapping",
    "network",
    "plans",
    "api",
    PROJECT,
]
PURE = ["analysis", "interop"]

# Imports of a package above (importer, imported), known today. Each is a dependency the layering says should
# point the other way; fix by moving the code (or a callback / registry) so that the arrow points down.
KNOWN_UPWARD = {
    # The city services write audited (audit.services.record, same transaction), and so does the cities demo;
    # audit's own page and queries need cities' permissions. Either audit.services moves below cities (the
    # log itself has no city rules) or cities stops recording through audit's module.
    ("cities", "audit"),
    # cities.publication (the disclosure layer) counts what each app would publish, importing their models
    # inside functions; each app should hand its own counts to the layer.
    ("cities", "mapping"),
    ("cities", "network"),
    ("cities", "plans"),
    # The `demo` management command lives in cities but fills every app (tamasuk.demo).
    ("cities", PROJECT),
    # The audit page uses web's decorators, errors and navigation.
    ("audit", "web"),
    # Forgetting a person (audit.services, audit.queries) erases their traces in the directory and in stored
    # report renders by importing those apps' models; each app should register its own erasure.
    ("audit", "network"),
    ("audit", "plans"),
    # The `serve` management command starts the project's WSGI application.
    ("web", PROJECT),
    # mapping's services and views check free text for personal data with network.personal_data (phone
    # numbers, e-mail addresses); the checker is not about the directory and could move below both.
    ("mapping", "network"),
}

# Cycles between top-level packages (each as the set of packages in one strongly connected component).
# They are the upward imports above seen as loops; they go when those do.
KNOWN_PACKAGE_CYCLES: set[frozenset[str]] = {
    frozenset({"cities", "audit", "web", "mapping", "network", "plans", "imports", PROJECT, "api"}),
}

# Cycles between the modules of one package (each as the set of modules in one strongly connected component).
# Each is closed by an import inside a function, so it does not fail at import time, but the two modules still
# cannot be understood (or moved) one without the other.
KNOWN_MODULE_CYCLES: set[frozenset[str]] = {
    # audit.queries shows the chain's state (services.verify_chain); services.forget_person finds the person
    # through queries.find_person. Verifying the chain is a read: it belongs in queries.
    frozenset({"tamasuk.audit.queries", "tamasuk.audit.services"}),
    # ImportJob.adapter looks its kind's adapter up in adapters, whose base class names ImportJob in a
    # function: the registry could live in its own module that both import.
    frozenset({"tamasuk.imports.adapters", "tamasuk.imports.models"}),
    # The review report queues its own rendering (tasks.render_review_report), and the task renders it.
    frozenset({"tamasuk.plans.review_report", "tamasuk.plans.tasks"}),
}


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
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, set()) & nodes))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def _edges_between(importer: str, imported: str) -> list[str]:
    return sorted(f"{a} → {b}" for a, targets in GRAPH.items() for b in targets
                  if package(a) == importer and package(b) == imported)


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
    assert packages <= set(LAYERS), f"add these packages to LAYERS where they belong: {sorted(packages - set(LAYERS))}"


def test_no_package_imports_one_above_it():
    rank = {name: i for i, name in enumerate(LAYERS)}
    found = {(package(a), package(b)) for a, targets in GRAPH.items() for b in targets
             if rank.get(package(b), -1) > rank.get(package(a), len(LAYERS))}

    def explain(pair):
        edges = _edges_between(*pair)
        shown = "; ".join(edges[:6]) + (f"; … {len(edges) - 6} more" if len(edges) > 6 else "")
        return f"{pair[0]} imports {pair[1]} (above it): {shown}"

    _check(found, KNOWN_UPWARD, "upward imports", explain)


def test_no_import_cycle_between_packages():
    edges: dict[str, set[str]] = defaultdict(set)
    for a, targets in GRAPH.items():
        for b in targets:
            if package(a) != package(b):
                edges[package(a)].add(package(b))
    found = set(_components({package(m) for m in MODULES}, edges))

    def explain(cycle):
        pairs = sorted((a, b) for a in cycle for b in edges[a] & cycle)
        return f"cycle between {sorted(cycle)}: " + ", ".join(f"{a} → {b}" for a, b in pairs)

    _check(found, KNOWN_PACKAGE_CYCLES, "package cycles", explain)


def test_no_import_cycle_between_the_modules_of_one_package():
    found: set[frozenset[str]] = set()
    for name in {package(m) for m in MODULES}:
        members = {m for m in MODULES if package(m) == name}
        found |= set(_components(members, GRAPH))

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
    # imports .svg relatively, and audit.services imports network.models inside a function.
    assert "tamasuk.analysis.index" in GRAPH["tamasuk.mapping.priorities"]
    assert "tamasuk.analysis.svg" in GRAPH["tamasuk.analysis.choropleth"]
    assert "tamasuk.network.models" in GRAPH["tamasuk.audit.services"]
