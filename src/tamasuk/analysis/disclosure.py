"""Small-cell suppression of count tables before they leave the city team. No Django.

:func:`suppress` takes a 1-D table (counts per area, with its total) or a 2-D table (e.g. areas ×
report categories, with row totals, column totals and the grand total) and a threshold ``k``
(default 5) and returns a :class:`SuppressionResult`: every entry is either its true number or a
marker, and the masks say which cells were hidden as *primary* (small) and which as *complementary*
(hidden only to protect a small one).

Rules
-----
Primary suppression
    A count ``1 <= x < k`` is shown as ``"<k"`` (e.g. ``"<5"``). Totals are counts too: a row, column
    or grand total below ``k`` (and above 0) is suppressed the same way (``suppress_small_totals``,
    on by default, because the privacy rule is about every count that leaves the city team).

Zeros
    Following common statistical-office practice, true zeros are published as ``0``
    (``zeros="publish"``, default): a zero identifies nobody, and hiding every zero would destroy most
    of a sparse table. Where "none here" is itself sensitive, ``zeros="suppress"`` treats zeros as
    primary cells. Either way a zero may be hidden as a *complementary* cell (it is the cheapest
    cell to hide), and is then shown as ``"<k"`` — which is true, since 0 < k. So a reader must read
    ``"<k"`` as "somewhere from 0 to k - 1".

Markers
    Every hidden entry whose true value is below ``k`` is shown as ``"<k"``; a complementary entry
    whose true value is ``k`` or more is shown as ``complement_marker`` (``"x"``, "hidden to protect
    another cell"), because showing a count of, say, 40 as ``"<5"`` would publish a falsehood. A
    reader therefore knows that an ``"x"`` is at least ``k``.

Complementary suppression
    Published totals must not let anyone recover a hidden entry by subtraction, or by any
    combination of the table's equations (row sums, column sums, grand total) together with what
    the markers reveal (``"<k"`` means 0..k-1, ``"x"`` means k or more, no count is negative).

    The method is the 2-D case of the *hypercube method* (Repsilber's GHMITER, as used in
    tau-ARGUS) with a protection of one unit: for each primary entry in turn (cells by position,
    then small totals) that is not yet protected, choose the cheapest *move* through it — a set of
    entries that can all change together by one unit (up or down, with the signs of the move)
    without breaking any equation or leaving any entry's marker range — and hide its entries. In
    2-D the moves are the rectangles of four cells ``(r, c), (r, c2), (r2, c), (r2, c2)``; as last
    resorts, moves through totals (two cells of a row and their two column totals; a cell, its row
    and column totals and the grand total). In 1-D they are pairs of cells, or a cell and the total.
    Every hidden entry then lies on a move that keeps the published table true while changing the
    entry, so its feasible interval has width at least 1; and every row, column and line of totals
    holds no hidden entry or at least two.

    "Cheapest" is least information loss: fewest newly hidden totals (the grand total last), then
    the smallest sum of newly hidden counts, then the fewest newly hidden cells, then position.
    Already hidden entries cost nothing, so rectangles share cells. Deterministic: the same table
    gives the same result.

    If no such move exists for some entry (rare, with very small counts), an audit with linear
    programmes (scipy's HiGHS) computes which hidden entries are still pinned and hides the
    cheapest entry on one of their lines, until none is.

Tables that cannot be protected
    With a small ``k`` and only tiny counts, a table can give itself away whatever is hidden: with
    k = 3, ``[[1, 1], [2, 2]]`` has totals that force every cell once the markers are read. Since
    hiding more only ever widens the intervals, :func:`suppress` checks the table with *everything*
    hidden and raises :class:`DisclosureError` if even that fails; publish such a table at a coarser
    level (fewer categories, larger areas) instead. An exhaustive search over small tables found
    none at k = 5.

Totals
    Totals are published as the true totals, never rounded or adjusted. A total is hidden only if
    it is itself below ``k``, or as a last resort when its line has no other entry left to hide
    (for example ``[4, 4]`` with total 8 and k = 5: "<5", "<5" and a total of 8 would reveal both).
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["DisclosureError", "SuppressionResult", "suppress"]


CAP = 1e9  # stands in for "no upper bound" when the solver cannot prove unboundedness


class DisclosureError(ValueError):
    """The table cannot be published safely at this threshold, whatever is hidden."""


_CELL, _LINE_TOTAL, _GRAND_TOTAL = 0, 1, 2


@dataclasses.dataclass(frozen=True, eq=False)
class SuppressionResult:
    """A table ready to publish.

    ``cells`` (object array, the input's shape) holds ``int`` counts or a marker; ``row_totals`` and
    ``col_totals`` (2-D tables only, else ``None``) and ``total`` likewise. ``primary`` and
    ``complementary`` (bool, the input's shape) say which cells were hidden and why;
    ``row_totals_suppressed``, ``col_totals_suppressed`` and ``total_suppressed`` say which totals
    were hidden. ``marker`` is ``"<k"``, ``complement_marker`` the marker of hidden counts >= k.
    """

    k: int
    marker: str
    complement_marker: str
    zeros: str
    cells: np.ndarray
    row_totals: np.ndarray | None
    col_totals: np.ndarray | None
    total: int | str
    primary: np.ndarray
    complementary: np.ndarray
    row_totals_suppressed: np.ndarray | None
    col_totals_suppressed: np.ndarray | None
    total_suppressed: bool

    @property
    def suppressed(self) -> np.ndarray:
        """All hidden cells (primary or complementary)."""
        return self.primary | self.complementary

    def rows(self) -> list[list[int | str]]:
        """The table as rows for display: 2-D gets a total column and a total row; 1-D one column."""
        if self.cells.ndim == 1:
            return [[v] for v in self.cells.tolist()] + [[self.total]]
        out = [[*row, t] for row, t in zip(self.cells.tolist(), self.row_totals.tolist(), strict=True)]
        out.append([*self.col_totals.tolist(), self.total])
        return out


@dataclasses.dataclass
class _Layout:
    """A table flattened into entries (cells, then totals) and the equations linking them."""

    shape: tuple[int, ...]
    values: np.ndarray  # int64, every entry
    kind: np.ndarray  # _CELL, _LINE_TOTAL or _GRAND_TOTAL
    equations: list[tuple[np.ndarray, int]]  # (member entries, total entry): sum(members) == total
    entry_equations: list[list[int]]  # equations each entry belongs to


def _layout(table: np.ndarray) -> _Layout:
    if table.ndim == 1:
        n = table.size
        values = np.append(table, table.sum())
        kind = np.array([_CELL] * n + [_GRAND_TOTAL])
        equations = [(np.arange(n), n)]
    else:
        R, C = table.shape
        rc = R * C
        cells = np.arange(rc).reshape(R, C)
        row_t = rc + np.arange(R)
        col_t = rc + R + np.arange(C)
        grand = rc + R + C
        values = np.concatenate([table.ravel(), table.sum(axis=1), table.sum(axis=0), [table.sum()]])
        kind = np.array([_CELL] * rc + [_LINE_TOTAL] * (R + C) + [_GRAND_TOTAL])
        equations = [(cells[r], int(row_t[r])) for r in range(R)]
        equations += [(cells[:, c], int(col_t[c])) for c in range(C)]
        equations += [(row_t, grand), (col_t, grand)]
    entry_equations: list[list[int]] = [[] for _ in range(values.size)]
    for e, (members, total) in enumerate(equations):
        for m in members:
            entry_equations[int(m)].append(e)
        entry_equations[total].append(e)
    return _Layout(table.shape, values.astype(np.int64), kind, equations, entry_equations)


def _bounds(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of a hidden entry: ``"<k"`` is 0..k-1, ``"x"`` is k or more."""
    small = values < k
    lo = np.where(small, 0.0, float(k))
    hi = np.where(small, float(k - 1), np.inf)
    return lo, hi


class _Auditor:
    """Finds hidden entries whose feasible interval, given everything published, is a single point."""

    def __init__(self, layout: _Layout, k: int):
        self.layout = layout
        self.lo, self.hi = _bounds(layout.values, k)
        self._cache: dict[frozenset[int], tuple[int, ...]] = {}

    def unprotected(self, hidden: np.ndarray) -> list[int]:
        lay = self.layout
        # components of hidden entries linked through equations
        parent = {int(e): int(e) for e in np.flatnonzero(hidden)}

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for members, total in lay.equations:
            entries = [int(m) for m in members if hidden[m]] + ([total] if hidden[total] else [])
            for a in entries[1:]:
                ra, rb = find(entries[0]), find(a)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        comps: dict[int, list[int]] = {}
        for e in parent:
            comps.setdefault(find(e), []).append(e)
        bad: list[int] = []
        for entries in comps.values():
            key = frozenset(entries)
            if key not in self._cache:
                self._cache[key] = self._audit_component(sorted(entries), hidden)
            bad.extend(self._cache[key])
        return sorted(bad)

    def _system(self, entries: list[int], hidden: np.ndarray):
        lay = self.layout
        pos = {e: i for i, e in enumerate(entries)}
        eqs = sorted({q for e in entries for q in lay.entry_equations[e]})
        A = np.zeros((len(eqs), len(entries)))
        b = np.zeros(len(eqs))
        for r, q in enumerate(eqs):
            members, total = lay.equations[q]
            for m in members:
                m = int(m)
                if hidden[m]:
                    A[r, pos[m]] += 1.0
                else:
                    b[r] -= lay.values[m]
            if hidden[total]:
                A[r, pos[total]] -= 1.0
            else:
                b[r] += lay.values[total]
        return A, b

    def _audit_component(self, entries: list[int], hidden: np.ndarray) -> tuple[int, ...]:
        A, b = self._system(entries, hidden)
        lo = self.lo[entries]
        hi = self.hi[entries]
        true = self.layout.values[entries].astype(float)
        # an entry alone in some equation is pinned by it
        alone = ((A != 0).sum(axis=1) == 1) & np.any(A != 0, axis=1)
        pinned = set(np.flatnonzero(np.any(A[alone] != 0, axis=0)).tolist())
        bad = []
        if len(A) == 1:
            widths = _single_equation_widths(A[0], b[0], lo, hi)
            return tuple(e for i, e in enumerate(entries) if i in pinned or widths[i] < 0.5)
        bounds = list(zip(lo, [None if np.isinf(h) else h for h in hi], strict=True))
        for i, e in enumerate(entries):
            if i in pinned:
                bad.append(e)
                continue
            if not self._can_move(i, A, b, bounds, true):
                bad.append(e)
        return tuple(bad)

    @staticmethod
    def _can_move(i, A, b, bounds, true) -> bool:
        # Imported here: scipy.optimize takes a third of a second to import, in every process that publishes
        # nothing (the task worker, each command).
        from scipy.optimize import linprog

        c = np.zeros(A.shape[1])
        for sign in (-1.0, 1.0):  # maximise, then minimise
            c[i] = sign
            res = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
            if res.status not in (0, 3):
                # HiGHS can stop with "model status unknown" on an unbounded problem; with a large finite cap
                # on the unbounded entries the same question has a proven answer.
                capped = [(lo_, CAP if hi_ is None else hi_) for lo_, hi_ in bounds]
                res = linprog(c, A_eq=A, b_eq=b, bounds=capped, method="highs")
            if res.status == 3:  # unbounded
                return True
            if res.status != 0:
                raise RuntimeError(f"disclosure audit LP failed: {res.message}")
            if abs(res.x[i] - true[i]) >= 0.5:
                return True
        return False


def _single_equation_widths(a: np.ndarray, b: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Width of each variable's interval in ``a @ x == b``, ``lo <= x <= hi``, ``a`` in {+1, -1}."""
    # the range of a_j x_j over its bounds
    t_lo = np.where(a > 0, lo, -hi)
    t_hi = np.where(a > 0, hi, -lo)
    fin_lo, inf_lo = np.where(np.isinf(t_lo), 0.0, t_lo), np.isinf(t_lo)
    fin_hi, inf_hi = np.where(np.isinf(t_hi), 0.0, t_hi), np.isinf(t_hi)
    out = np.empty(a.size)
    for i in range(a.size):
        # range of the sum over j != i
        others_lo = -np.inf if (inf_lo.sum() - inf_lo[i]) else fin_lo.sum() - fin_lo[i]
        others_hi = np.inf if (inf_hi.sum() - inf_hi[i]) else fin_hi.sum() - fin_hi[i]
        ti_lo = max(t_lo[i], b - others_hi)
        ti_hi = min(t_hi[i], b - others_lo)
        out[i] = ti_hi - ti_lo
    return out


def _choose(layout: _Layout, hidden: np.ndarray, target: int, component: list[int]) -> int | None:
    """The cheapest entry to hide next to protect ``target``."""
    lay = layout

    def candidates(entries):
        out = set()
        for e in entries:
            for q in lay.entry_equations[e]:
                members, total = lay.equations[q]
                out.update(int(m) for m in members if not hidden[m])
                if not hidden[total]:
                    out.add(total)
        return out

    # an equation in which the target is the only hidden entry pins it: a partner must come from there
    alone = [
        q
        for q in lay.entry_equations[target]
        if sum(bool(hidden[x]) for x in [*lay.equations[q][0], lay.equations[q][1]]) == 1
    ]
    cand = set()
    for q in alone:
        members, total = lay.equations[q]
        cand.update(int(m) for m in members if not hidden[m])
        if not hidden[total]:
            cand.add(total)
    if not cand:
        cand = candidates([target])
    if not cand:
        cand = candidates(component)
    if not cand:
        return None

    def cost(c: int):
        own = int(lay.values[c])
        extra = 0
        for q in lay.entry_equations[c]:
            members, total = lay.equations[q]
            line = [int(m) for m in members] + [total]
            if any(hidden[x] for x in line):
                continue
            # c would be the first hidden entry of this line: it will need a partner there
            rest = [int(lay.values[x]) for x in line if x != c and lay.kind[x] == _CELL]
            extra += min(rest) if rest else 0
        return (int(lay.kind[c]), own + extra, own, c)

    return min(cand, key=cost)


def _moves_for(lay: _Layout, target: int) -> tuple[np.ndarray, np.ndarray]:
    """Small changes of the table that keep every equation true and change ``target``.

    Returned as entries ``E`` (m × s) and signs ``S`` (m × s): adding ``t * S[i]`` to the entries
    ``E[i]`` keeps all row, column and grand totals consistent. In 2-D these are the rectangles of
    four cells (the hypercubes of the hypercube method) and, as last resorts, moves through totals.
    """
    if len(lay.shape) == 1:
        n = lay.shape[0]
        total = n
        if target == total:
            others = np.arange(n)
            return np.column_stack([others, np.full(n, total)]), np.tile([1, 1], (n, 1))
        others = np.array([j for j in range(n) if j != target], dtype=np.int64)
        E = np.concatenate(
            [np.column_stack([np.full(others.size, target), others]), [[target, total]]]
        ).astype(np.int64)
        S = np.concatenate([np.tile([1, -1], (others.size, 1)), [[1, 1]]])
        return E, S
    R, C = lay.shape
    rc = R * C

    def cell(r, c):
        return np.asarray(r) * C + np.asarray(c)

    def row_t(r):
        return rc + np.asarray(r)

    def col_t(c):
        return rc + R + np.asarray(c)

    grand = rc + R + C
    blocks_e, blocks_s = [], []

    def add(cols, signs):
        cols = [
            np.broadcast_to(np.asarray(c), np.broadcast_shapes(*[np.shape(x) for x in cols])) for c in cols
        ]
        e = np.column_stack([c.ravel() for c in cols])
        blocks_e.append(e)
        blocks_s.append(np.tile(signs, (e.shape[0], 1)))

    if target < rc:
        r, c = divmod(target, C)
        rows2 = np.array([x for x in range(R) if x != r], dtype=np.int64)
        cols2 = np.array([x for x in range(C) if x != c], dtype=np.int64)
        if rows2.size and cols2.size:
            r2, c2 = np.meshgrid(rows2, cols2, indexing="ij")
            add([cell(r, c), cell(r, c2), cell(r2, c), cell(r2, c2)], [1, -1, -1, 1])
        if cols2.size:
            add([cell(r, c), cell(r, cols2), col_t(c), col_t(cols2)], [1, -1, 1, -1])
        if rows2.size:
            add([cell(r, c), cell(rows2, c), row_t(r), row_t(rows2)], [1, -1, 1, -1])
        add([cell(r, c), row_t(r), col_t(c), grand], [1, 1, 1, 1])
    elif target < rc + R:
        r = target - rc
        rows2 = np.array([x for x in range(R) if x != r], dtype=np.int64)
        cs = np.arange(C)
        if rows2.size:
            r2, c2 = np.meshgrid(rows2, cs, indexing="ij")
            add([cell(r, c2), cell(r2, c2), row_t(r), row_t(r2)], [1, -1, 1, -1])
        add([cell(r, cs), row_t(r), col_t(cs), grand], [1, 1, 1, 1])
    elif target < grand:
        c = target - rc - R
        cols2 = np.array([x for x in range(C) if x != c], dtype=np.int64)
        rs = np.arange(R)
        if cols2.size:
            r2, c2 = np.meshgrid(rs, cols2, indexing="ij")
            add([cell(r2, c), cell(r2, c2), col_t(c), col_t(c2)], [1, -1, 1, -1])
        add([cell(rs, c), row_t(rs), col_t(c), grand], [1, 1, 1, 1])
    else:
        r2, c2 = np.meshgrid(np.arange(R), np.arange(C), indexing="ij")
        add([cell(r2, c2), row_t(r2), col_t(c2), grand], [1, 1, 1, 1])
    return np.concatenate(blocks_e).astype(np.int64), np.concatenate(blocks_s)


def _best_move(lay: _Layout, hidden: np.ndarray, target: int, lo: np.ndarray, hi: np.ndarray):
    """The feasible move (one unit either way) through ``target`` that hides the least."""
    E, S = _moves_for(lay, target)
    v = lay.values[E].astype(float)
    up = v + S <= hi[E]
    up &= v + S >= lo[E]
    down = v - S >= lo[E]
    down &= v - S <= hi[E]
    feasible = up.all(axis=1) | down.all(axis=1)
    if not feasible.any():
        return None
    new = ~hidden[E]
    kind = lay.kind[E]
    keys = (
        np.arange(E.shape[0]),  # enumeration order breaks the last ties
        new.sum(axis=1),  # fewer newly hidden entries
        np.where(new & (kind == _CELL), v, 0).sum(axis=1),  # least hidden count
        (new & (kind == _LINE_TOTAL)).sum(axis=1),  # cells before totals
        (new & (kind == _GRAND_TOTAL)).sum(axis=1),  # the grand total last
        ~feasible,
    )
    return E[np.lexsort(keys)[0]]


def suppress(
    counts,
    k: int = 5,
    *,
    zeros: str = "publish",
    suppress_small_totals: bool = True,
    complement_marker: str = "x",
) -> SuppressionResult:
    """Primary and complementary suppression of a 1-D or 2-D table of counts (see the module doc)."""
    table = np.asarray(counts)
    if table.ndim not in (1, 2) or table.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D or 2-D table, got shape {table.shape}")
    if not np.issubdtype(table.dtype, np.number) or np.issubdtype(table.dtype, np.complexfloating):
        raise ValueError("counts must be numbers")
    if np.issubdtype(table.dtype, np.floating):
        bad = ~np.isfinite(table) | (table != np.round(table))
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"counts{list(idx)} = {table[idx]} is not a whole number")
    table = table.astype(np.int64)
    if (table < 0).any():
        idx = tuple(int(i) for i in np.argwhere(table < 0)[0])
        raise ValueError(f"counts{list(idx)} = {table[idx]} is negative; counts must be >= 0")
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"k must be a whole number >= 1, got {k!r}")
    k = int(k)
    if zeros not in ("publish", "suppress"):
        raise ValueError(f"zeros must be 'publish' or 'suppress', got {zeros!r}")
    marker = f"<{k}"
    if complement_marker == marker or not complement_marker:
        raise ValueError("complement_marker must be a non-empty marker different from '<k'")

    lay = _layout(table)
    values = lay.values
    # with k = 1 nothing is small ("<1" could only mean 0, which would hide nothing)
    small = (values < k) & ((values > 0) | (zeros == "suppress" and k > 1))
    primary_all = small & ((lay.kind == _CELL) | suppress_small_totals)
    hidden = primary_all.copy()

    # hypercube method: every hidden entry lies on a move (a rectangle of cells, or a path through
    # totals) that can shift it by one unit either way within what its marker allows
    lo, hi = _bounds(values, k)
    covered = np.zeros_like(hidden)
    stuck = False
    for target in np.flatnonzero(primary_all):
        if covered[target]:
            continue
        move = _best_move(lay, hidden, int(target), lo, hi)
        if move is None:
            stuck = True
            continue
        hidden[move] = True
        covered[move] = True

    # fallback for the rare entry that no such move protects: audit with linear programmes and
    # hide more, cheapest first, until every hidden entry can vary
    auditor = _Auditor(lay, k)
    if stuck and auditor.unprotected(np.ones_like(hidden)):
        # hiding more only widens every interval, so if hiding everything is not enough, nothing is
        raise DisclosureError(
            f"this table cannot be published safely with k = {k}: even with every count and total "
            "hidden, the markers ('<k' is 0..k-1, a hidden count of k or more is at least k) would "
            "reveal a small count; publish it at a coarser level or with a larger k"
        )
    while stuck:
        bad = auditor.unprotected(hidden)
        if not bad:
            break
        target = bad[0]
        component = [int(e) for e in np.flatnonzero(hidden)]
        pick = _choose(lay, hidden, target, component)
        if pick is None:  # nothing left near the target: the cheapest entry anywhere
            rest = np.flatnonzero(~hidden)
            pick = int(rest[np.lexsort((rest, values[rest], lay.kind[rest]))[0]])
        hidden[pick] = True

    shown = np.where(hidden, np.where(values < k, marker, complement_marker), values.astype(object))
    n_cells = table.size
    cells = np.empty(table.shape, dtype=object)
    cells.ravel()[:] = [v if isinstance(v, str) else int(v) for v in shown[:n_cells]]
    primary = primary_all[:n_cells].reshape(table.shape)
    complementary = (hidden & ~primary_all)[:n_cells].reshape(table.shape)
    if table.ndim == 1:
        row_totals = col_totals = row_sup = col_sup = None
    else:
        R, C = table.shape
        row_totals = _objects(shown[n_cells : n_cells + R])
        col_totals = _objects(shown[n_cells + R : n_cells + R + C])
        row_sup = hidden[n_cells : n_cells + R].copy()
        col_sup = hidden[n_cells + R : n_cells + R + C].copy()
    last = shown[-1]
    return SuppressionResult(
        k=k,
        marker=marker,
        complement_marker=complement_marker,
        zeros=zeros,
        cells=cells,
        row_totals=row_totals,
        col_totals=col_totals,
        total=last if isinstance(last, str) else int(last),
        primary=primary,
        complementary=complementary,
        row_totals_suppressed=row_sup,
        col_totals_suppressed=col_sup,
        total_suppressed=bool(hidden[-1]),
    )


def _objects(seq) -> np.ndarray:
    out = np.empty(len(seq), dtype=object)
    out[:] = [v if isinstance(v, str) else int(v) for v in seq]
    return out
