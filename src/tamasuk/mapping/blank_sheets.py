"""Blank spreadsheets to fill in: one per set of indicators (a theme group, or all), in the layout the import
reads without any mapping.

Wide format: a header row, a row of HXL hashtags, then one row per area of the city's finest level with its
code and name filled in. Columns: area code, area name, period, then one column per indicator (its name as
header, its hashtag below). An XLSX also carries a second sheet saying each indicator's unit and the values
the import accepts. Rows left without values are skipped by the import, so a team fills in the wards it has.
"""

from __future__ import annotations

import io

from django.utils.text import slugify
from django.utils.translation import gettext as _

from tamasuk.cities.models import Area, City
from tamasuk.interop.tabular import append_xlsx_row, write_csv

from . import units
from .models import Indicator, ThemeGroup

ALL = "all"


def indicator_sets(city: City) -> list[tuple[str, str, list[Indicator]]]:
    """(key, label, indicators) of each set that has indicators, then all of them."""
    indicators = list(Indicator.objects.filter(city=city).select_related("theme").order_by("theme__order", "code"))
    sets = []
    for group in ThemeGroup:
        members = [i for i in indicators if i.theme.group == group]
        if members:
            sets.append((group.value, str(group.label), members))
    if indicators:
        sets.append((ALL, _("All indicators"), indicators))
    return sets


def hashtag(indicator: Indicator) -> str:
    """The indicator's own HXL hashtag, or one made from its code (which the import also recognises)."""
    return indicator.hxl_tag.strip() if indicator.hxl_tag.strip().startswith("#") else default_hashtag(indicator)


def default_hashtag(indicator: Indicator) -> str:
    return "#indicator+" + "_".join(indicator.code.replace("-", "_").split())


def _table(city: City, indicators: list[Indicator]) -> list[list]:
    areas = list(Area.objects.filter(city=city).order_by("level", "code").only("code", "name", "level"))
    finest = max((a.level for a in areas), default=1)
    level = city.level_name(finest)
    rows = [
        [_("%(level)s code") % {"level": level}, _("%(level)s name") % {"level": level}, _("Period"),
         *[i.name for i in indicators]],
        [f"#adm{finest}+code", f"#adm{finest}+name", "#date+period", *[hashtag(i) for i in indicators]],
    ]
    rows += [[a.code, a.name, "", *[""] * len(indicators)] for a in areas if a.level == finest]
    return rows


def sheet(city: City, key: str, fmt: str) -> tuple[bytes, str, str]:
    """The blank sheet of one set: (content, file name, content type). Raises KeyError for an unknown set."""
    chosen = {k: (label, inds) for k, label, inds in indicator_sets(city)}
    label, indicators = chosen[key]
    rows = _table(city, indicators)
    name = f"{city.slug}-{slugify(key)}-template"
    # Indicator and area names are typed by users: the one writer (CSV or XLSX) never lets one run as a formula.
    if fmt == "csv":
        # With a byte order mark Excel opens the UTF-8 names (Arabic, accents) correctly.
        return write_csv(rows), f"{name}.csv", "text/csv; charset=utf-8"
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = _("Data")[:31]
    for row in rows:
        append_xlsx_row(ws, row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cell in ws[2]:
        cell.font = Font(italic=True, color="555555")
    ws.freeze_panes = "D3"
    for col, width in zip("ABC", (14, 28, 12), strict=True):
        ws.column_dimensions[col].width = width
    about = wb.create_sheet(_("About")[:31])
    append_xlsx_row(about, [_("Blank sheet for %(set)s, %(city)s") % {"set": label, "city": city.name}])
    append_xlsx_row(about, [_("Fill in a value per ward and indicator, and the period (2024, 2024-Q3, 2024-03) "
                              "of each row. Leave a cell empty, or write n/a, when there is no value; rows "
                              "without values are skipped. Keep the first two rows (headers and HXL hashtags) "
                              "as they are.")])
    append_xlsx_row(about, [])
    append_xlsx_row(about, [_("Indicator"), _("Code"), _("HXL hashtag"), _("Unit"), _("Values accepted")])
    for ind in indicators:
        append_xlsx_row(about, [ind.name, ind.code, hashtag(ind), ind.unit,
                                units.describe(units.rule_for(ind.unit))])
    for cell in about[4]:
        cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
