"""Indicator values from a spreadsheet (ward data): the observations kind of the import pipeline.

Upload (optionally with a saved column mapping) → the file's columns are detected (HXL hashtags, or header
names) → the setup step maps columns to roles unless a template fitted → dry run → confirm. Reads with
`interop.tabular`, writes through `services.import_observations` (which checks areas, indicators and units).
"""

from __future__ import annotations

from collections import Counter

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tamasuk.cities.permissions import Action
from tamasuk.imports.adapters import MB, Adapter, ImportFileError, KindForm, Outcome, RowError
from tamasuk.imports.models import ImportJob
from tamasuk.interop import decoding, hxl, tabular, values

from . import blank_sheets, import_services, services
from .models import ImportTemplate, Indicator, TableFormat
from .observation_columns import ROLE_LABELS, MappingForm

EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
MAX_UPLOAD_BYTES = 50 * MB
# The roles a column can play, in the order the mapping form shows them.
ROLES = ("area", "indicator", "period", "value", "sex", "age", "group", "source", "note")


# ---- what the file holds, before any mapping ------------------------------------------------------

def _wordy(cell) -> bool:
    if not isinstance(cell, str) or not cell.strip():
        return False
    try:
        values.parse_number(cell)
    except ValueError:
        return True
    return False


def _header_guess(head: list[list]) -> int:
    """Without hashtags: the row (0-based, among the first ten) with the most cells that are words, not
    numbers, names the columns — the header row, not a group row above it nor the data below."""
    best, best_n = 0, -1
    for i, row in enumerate(head[:10]):
        n = sum(1 for c in row if _wordy(c))
        if n > best_n:
            best, best_n = i, n
    return best


def detect(data: bytes, file_name: str, indicators: list[Indicator]) -> dict:
    """The file's columns (hashtags and header names) and a suggested mapping. Raises ValidationError when
    the file cannot be read at all."""
    try:
        table = decoding.read_table(data, file_name)
        head = table.head()
    except decoding.TabularError as exc:
        raise ImportFileError(str(exc)) from exc
    if not head:
        raise ImportFileError(_("The file has no rows."))
    info = {"sheet": table.sheet, "sheet_names": list(table.sheet_names), "delimiter": table.delimiter,
            "notes": list(table.notes)}
    try:
        lay = tabular.layout(table)
    except decoding.TabularError as exc:
        # No hashtag row: offer the header names of the likeliest header row, to be mapped by hand.
        i = _header_guess(head)
        columns = [{"index": j, "letter": hxl.column_letter(j), "header": str(c).strip(), "tag": ""}
                   for j, c in enumerate(head[i]) if isinstance(c, str | int | float) and str(c).strip()]
        info.update(hxl=False, untagged=str(exc), header_row=i + 1, hashtag_row=None, columns=columns)
    else:
        columns = [{"index": c.index, "letter": c.letter, "header": c.header, "tag": c.display_tag}
                   for c in lay.columns if c.header or c.tag]
        info.update(hxl=True, untagged="", header_row=lay.header_row, hashtag_row=lay.hashtag_row,
                    columns=columns)
    info["specs"] = _specs(columns)
    info["suggested"], info["suggested_wide"] = _suggest(columns, indicators)
    info["format"] = TableFormat.WIDE if info["suggested_wide"] and not info["suggested"].get("value") \
        else TableFormat.LONG
    return info


def _specs(columns: list[dict]) -> dict[str, str]:
    """How a column map names each column: its full hashtag when no other column matches it, else its
    header when that is unique; a column named neither way cannot be mapped.

    Linear in the columns (a hostile file has thousands): a tag pattern matches the columns with the same tag
    holding all its attributes, so only the columns holding its rarest attribute need a look."""
    tagged = {}  # index → (its pattern, the column)
    by_tag: dict[str, list[int]] = {}
    by_tag_attr: dict[tuple[str, str], list[int]] = {}
    for c in columns:
        if c["tag"]:
            pattern = hxl.TagPattern.parse(c["tag"])
            tagged[c["index"]] = (pattern, _column(c))
            by_tag.setdefault(pattern.tag, []).append(c["index"])
            for attr in pattern.include:
                by_tag_attr.setdefault((pattern.tag, attr), []).append(c["index"])
    headers = Counter(" ".join(c["header"].split()).casefold() for c in columns)
    specs = {}
    for c in columns:
        spec = ""
        if c["index"] in tagged:
            pattern, _own = tagged[c["index"]]
            if pattern.include:
                rarest = min(pattern.include, key=lambda a: len(by_tag_attr[(pattern.tag, a)]))
                candidates = by_tag_attr[(pattern.tag, rarest)]
            else:
                candidates = by_tag[pattern.tag]
            hits = len(candidates) if not pattern.include and not pattern.exclude else \
                sum(pattern.matches(tagged[i][1]) for i in candidates)
            spec = c["tag"] if hits == 1 else ""
        if not spec and c["header"]:
            spec = c["header"] if headers[" ".join(c["header"].split()).casefold()] == 1 else ""
        if spec:
            specs[str(c["index"])] = spec
    return specs


def _column(c: dict) -> hxl.Column:
    tag = hxl.TagPattern.parse(c["tag"]) if c["tag"] else None
    return hxl.Column(c["index"], tag.tag if tag else None, tuple(sorted(tag.include)) if tag else (),
                          (c["header"],) if c["header"] else ())


_ROLE_TAGS = {
    "area": ["#adm4+code", "#adm3+code", "#adm2+code", "#adm1+code", "#loc+code", "#adm4", "#adm3", "#adm2",
             "#adm1", "#loc"],
    "indicator": ["#indicator+code", "#indicator+name"],
    "value": ["#indicator+value", "#indicator+num", "#value", "#indicator+value+num"],
    "period": ["#date+period", "#date+year", "#date"],
    "sex": ["#sex"],
    "age": ["#age"],
    "group": ["#group"],
    "source": ["#meta+source"],
    "note": ["#meta+note", "#description"],
}
_ROLE_HEADERS = {
    "area": ["ward code", "area code", "area", "ward", "code"],
    "indicator": ["indicator code", "indicator"],
    "value": ["value"],
    "period": ["period", "year", "date"],
    "sex": ["sex"],
    "age": ["age band", "age"],
    "group": ["group"],
    "source": ["source"],
    "note": ["note", "method note"],
}


def _suggest(columns: list[dict], indicators: list[Indicator]) -> tuple[dict[str, str], dict[str, str]]:
    """role → column index, and indicator code → column index, by hashtag first, then by header."""
    suggested: dict[str, str] = {}
    taken: set[int] = set()
    parsed = [(c, _column(c)) for c in columns]
    wide: dict[str, str] = {}
    for ind in indicators:
        keys = {ind.code.casefold(), ind.name.casefold()}
        try:
            # An indicator without its own hashtag is named by the one its blank sheet carries.
            pattern = hxl.TagPattern.parse(blank_sheets.hashtag(ind))
        except ValueError:
            pattern = None
        for c, col in parsed:
            if c["index"] in taken:
                continue
            if (pattern and pattern.matches(col)) or " ".join(c["header"].split()).casefold() in keys:
                wide[ind.code] = str(c["index"])
                taken.add(c["index"])
                break
    for role in ROLES:
        for pattern in _ROLE_TAGS[role]:
            p = hxl.TagPattern.parse(pattern)
            hit = next((c for c, col in parsed if c["index"] not in taken and p.matches(col)), None)
            if hit:
                break
        else:
            names = _ROLE_HEADERS[role]
            hit = next((c for c in columns if c["index"] not in taken
                        and " ".join(c["header"].split()).casefold() in names), None)
        if hit:
            suggested[role] = str(hit["index"])
            taken.add(hit["index"])
    if wide and "indicator" not in suggested:
        suggested.pop("value", None)
    return suggested, wide



def _check_map(data: bytes, file_name: str, cmap: tabular.ColumnMap) -> None:
    """Does the map fit the file's columns? Reads only the first rows, so a big file answers at once."""
    try:
        table = decoding.read_table(data, file_name, sheet=cmap.sheet)
        head = decoding.Table(table.head(), table.sheet, delimiter=table.delimiter)
        (tabular.records_wide if cmap.wide_indicators else tabular.records_long)(head, cmap)
    except (decoding.TabularError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc


def build_map(job: ImportJob, *, fmt: str, roles: dict[str, str], wide: dict[str, str],
              default_period: str = "") -> tabular.ColumnMap:
    """A column map from the mapping form's choices (column indexes as text)."""
    specs = job.detected.get("specs", {})

    def spec(index: str) -> str | None:
        return specs.get(index) if index else None

    chosen = {role: spec(roles.get(role, "")) for role in ROLES}
    if fmt == TableFormat.WIDE:
        chosen["indicator"] = chosen["value"] = None
        wide_map = {spec(ix): code for code, ix in wide.items() if spec(ix)}
    else:
        wide_map = {}
    try:
        return tabular.ColumnMap(**chosen, wide_indicators=wide_map,
                                 default_period=default_period.strip() or None, sheet=job.detected.get("sheet"))
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _check_choices(column_map: tabular.ColumnMap, fmt: str) -> None:
    problems = {}
    if fmt == TableFormat.LONG and (not column_map.indicator or not column_map.value):
        problems["indicator"] = _("Long format needs the column of indicator codes and the column of values.")
    if fmt == TableFormat.WIDE and not column_map.wide_indicators:
        problems["format"] = _("Wide format needs at least one column matched to an indicator.")
    if not column_map.period and not column_map.default_period:
        problems["period"] = _("Choose the column of periods, or give one period for the whole file.")
    if problems:
        raise ValidationError(problems)


# ---- reading the file as the worker does ----------------------------------------------------------

def _counting(table: decoding.Table, progress, total: int) -> decoding.Table:
    """The same table, reporting the rows read as it is iterated."""

    def source():
        for n, row in enumerate(table, start=1):
            if n % 2000 == 0:
                progress(n, max(total, n))
            yield row

    return decoding.Table(source=source, sheet=table.sheet, sheet_names=table.sheet_names,
                         encoding=table.encoding, delimiter=table.delimiter, notes=table.notes)


def _labels(table: decoding.Table, cmap: tabular.ColumnMap) -> dict[str, str]:
    """How errors name the area, indicator and value columns ("B (Ward code)"), as the reader names its own;
    in wide format each indicator's column under "wide:<code>"."""
    try:
        lay = tabular.layout(table, cmap)
    except decoding.TabularError:
        return {}

    def find(spec: str):
        if spec.startswith("#"):
            pattern = hxl.TagPattern.parse(spec)
            return next((c for c in lay.columns if pattern.matches(c)), None)
        key = " ".join(spec.split()).casefold()
        return next((c for c in lay.columns if key in {" ".join(h.split()).casefold() for h in c.headers}), None)

    labels = {}
    for role in ("area", "indicator", "value"):
        spec = getattr(cmap, role)
        hit = find(spec) if spec else None
        if hit:
            labels[role] = hit.label
    for spec, code in (cmap.wide_indicators or {}).items():
        hit = find(spec)
        if hit:
            labels[f"wide:{code}"] = hit.label
    return labels


class UploadChoices(KindForm):
    template = forms.ModelChoiceField(label=gettext_lazy("Saved column mapping"), required=False,
                                      queryset=ImportTemplate.objects.none(),
                                      empty_label=gettext_lazy("None: map the columns"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = ImportTemplate.objects.filter(city=self.city)
        self.fields["template"].queryset = templates
        if not templates.exists():
            del self.fields["template"]


class Read:
    """What the worker read: the reader's result, the records for the service, how errors name columns."""

    def __init__(self, result, records, labels):
        self.result, self.records, self.labels = result, records, labels


class ObservationsImport(Adapter):
    kind = "observations"
    label = gettext_lazy("Indicator values (ward data)")
    permission = Action.IMPORT_DATA
    extensions = EXTENSIONS
    accept_text = gettext_lazy("a CSV file or an Excel workbook (.xlsx)")
    file_label = gettext_lazy("Spreadsheet")
    max_bytes = MAX_UPLOAD_BYTES
    unit = gettext_lazy("values")
    upload_form = UploadChoices
    upload_template = "mapping/_import_help.html"
    setup_template = "mapping/_import_setup.html"
    counts_template = "mapping/_import_counts.html"
    detail_template = "mapping/_import_examples.html"

    def options(self, cleaned: dict) -> dict:
        template = cleaned.get("template")
        return {"template": template.pk, "template_name": template.name} if template else {}

    def detect(self, job: ImportJob, data: bytes) -> dict:
        detected = detect(data, job.file_name, list(Indicator.objects.filter(city=job.city)))
        template = ImportTemplate.objects.filter(city=job.city, pk=job.options.get("template")).first()
        job.options["format"] = detected["format"]
        if template is not None:
            cmap = tabular.ColumnMap.from_dict(template.column_map)
            try:
                _check_map(data, job.file_name, cmap)
            except ValidationError as exc:
                detected["template_problem"] = " ".join(exc.messages)
            else:
                job.options.update(column_map=cmap.to_dict(), format=template.format)
        return detected

    def needs_setup(self, job: ImportJob) -> bool:
        return not job.options.get("column_map")

    def setup_form(self, job: ImportJob, data=None):
        detected, options = job.detected, job.options
        indicators = Indicator.objects.filter(city=job.city).order_by("code")
        initial = {"format": options.get("format") or detected.get("format", TableFormat.LONG),
                   "source_text": options.get("source", "")}
        column_map = options.get("column_map")
        if column_map:  # mapped before: show that mapping again
            index_of = {spec: ix for ix, spec in detected.get("specs", {}).items()}
            initial.update({f"role_{r}": index_of.get(column_map.get(r) or "", "") for r in ROLES})
            initial.update({f"wide_{code}": index_of.get(col, "")
                            for col, code in (column_map.get("wide_indicators") or {}).items()})
            initial["default_period"] = column_map.get("default_period") or ""
        else:
            initial.update({f"role_{r}": ix for r, ix in detected.get("suggested", {}).items()})
            initial.update({f"wide_{code}": ix for code, ix in detected.get("suggested_wide", {}).items()})
        return MappingForm(data, initial=initial, columns=detected.get("columns", []),
                           specs=detected.get("specs", {}), indicators=indicators)

    def setup(self, job: ImportJob, form, actor) -> dict:
        data = form.cleaned_data
        cmap = build_map(job, fmt=data["format"], roles=form.roles(), wide=form.wide(),
                         default_period=data["default_period"])
        _check_choices(cmap, data["format"])
        with job.file.open("rb") as f:
            _check_map(f.read(), job.file_name, cmap)
        options = {**job.options, "column_map": cmap.to_dict(), "format": data["format"],
                   "source": data["source_text"].strip()[:300]}
        if data["template_name"].strip():
            template = import_services.save_template(actor=actor, city=job.city, name=data["template_name"],
                                                     column_map=cmap, fmt=data["format"])
            options.update(template=template.pk, template_name=template.name)
        return options

    def setup_context(self, job: ImportJob, form) -> dict:
        columns = {str(c["index"]): c for c in job.detected.get("columns", [])}
        return {"detected_roles": [(ROLE_LABELS[r], columns[ix]) for r, ix in job.detected.get("suggested", {}).items()
                                   if ix in columns],
                "detected_wide": [(code, columns[ix]) for code, ix in job.detected.get("suggested_wide", {}).items()
                                  if ix in columns]}

    def upload_context(self, city) -> dict:
        return {"indicator_sets": blank_sheets.indicator_sets(city),
                "templates": ImportTemplate.objects.filter(city=city)}

    def done_message(self, job: ImportJob) -> str:
        n = job.summary.get("new", 0) + job.summary.get("changed", 0)
        return ngettext("%(n)s value is now in the city's data.", "%(n)s values are now in the city's data.", n) \
            % {"n": n}

    def links(self, job: ImportJob) -> list[tuple[str, str]]:
        if not job.summary.get("indicators"):
            return []
        return [(_("See the imported values"), reverse("mapping:import_values", args=[job.city.slug, job.pk]))]

    # ---- read → plan → apply ----

    def read(self, job: ImportJob, data: bytes, progress) -> Read:
        cmap = tabular.ColumnMap.from_dict(job.options["column_map"])
        try:
            table = decoding.read_table(data, job.file_name, sheet=cmap.sheet)
            total = data.count(b"\n") if table.delimiter else 0  # a CSV file's rows, nearly; unknown for XLSX
            reader = tabular.records_wide if cmap.wide_indicators else tabular.records_long
            result = reader(_counting(table, progress, total), cmap, max_errors=ImportJob.ERROR_CAP)
        except decoding.TabularError as exc:
            raise ImportFileError(_("The file cannot be read with this column mapping: %(problem)s")
                                  % {"problem": exc}) from exc
        source = job.options.get("source", "")
        records = [services.ObservationInput(
            row=r.row, area=r.area, indicator=r.indicator, period=r.period, period_start=r.start,
            period_end=r.end, value=r.value, sex=r.disaggregation.get("sex", ""),
            age_band=r.disaggregation.get("age", ""), group=r.disaggregation.get("group", ""),
            source=(r.source or source)[:300], method_note=r.note[:500])
            for r in result.records]
        return Read(result, records, _labels(table, cmap))

    def plan(self, job: ImportJob, records: Read, progress) -> Outcome:
        return self._write(job, records, job.created_by, progress, dry_run=True)

    def apply(self, job: ImportJob, records: Read, actor, progress) -> Outcome:
        return self._write(job, records, actor, progress, dry_run=False)

    def _write(self, job: ImportJob, read: Read, actor, progress, *, dry_run: bool) -> Outcome:
        result, records, labels = read.result, read.records, read.labels
        progress(0, len(records))
        # Rows the reader refused are already errors; the rest are still checked (areas, indicators, values the
        # unit rules out) and counted, in a dry run, so the user sees every problem at once.
        summary = services.import_observations(
            actor=actor or "import", city=job.city, records=records,
            dry_run=dry_run or not result.ok, source_name=job.file_name, progress=progress)

        def column(e: services.InputError) -> str:
            # A value's column is the indicator's own in wide format ("value:<code>" from the service).
            kind, _sep, code = e.column.partition(":")
            if kind == "value":
                return labels.get(f"wide:{code}") or labels.get("value") or _("value")
            return labels.get(e.column, e.column)

        errors = [RowError(e.row, e.column, e.value, e.message) for e in result.errors]
        errors += [RowError(e.row, column(e), e.value, e.message) for e in summary.errors]
        # Rows as the spreadsheet has them, and values: in wide format one row holds a value per indicator.
        return Outcome(new=summary.new, changed=summary.changed, unchanged=summary.unchanged, errors=errors,
                       error_count=result.error_count + len(summary.errors), details={
                           "rows": result.rows, "values": len(records), "skipped": result.skipped,
                           "notes": result.notes, "examples": summary.examples,
                           # What the file holds, so the finished import links to exactly these values.
                           "indicators": sorted({r.indicator for r in records})[:200],
                           "periods": sorted({r.period for r in records})[:200]})
