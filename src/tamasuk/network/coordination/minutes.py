"""Minutes of a meeting as Markdown and as PDF (WeasyPrint; Arabic shaped right-to-left through Pango).

The PDF's print stylesheet lives next to its template (`templates/network/minutes_pdf.css`) and is handed to
WeasyPrint separately: it never travels in a page sent to a browser. WeasyPrint fetches nothing from the
network or the disk while rendering: everything the minutes show is already in the HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, get_language_bidi

from tamasuk.cities.reading import for_reader, text_dir

from ..models import ActionStatus, Meeting

PDF_CSS = Path(__file__).resolve().parents[1] / "templates" / "network" / "minutes_pdf.css"


def _markdown_text(value: str) -> str:
    """Free text as Markdown that shows what was typed: no accidental headings, lists or HTML."""
    out = []
    for line in str(value).splitlines():
        line = line.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;")
        line = re.sub(r"([*_`\[\]])", r"\\\1", line)
        line = re.sub(r"^(\s*)([#+\-=])", r"\1\\\2", line)  # headings, lists, rules
        line = re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", line)  # numbered lists
        out.append(line)
    return "  \n".join(out)  # keep the author's line breaks


def _cell(value: str) -> str:
    """Free text inside a Markdown table cell: one line, pipes escaped."""
    return _markdown_text(" ".join(str(value).split())).replace("|", "\\|")


def allocation_summary(allocation, language: str) -> dict:
    """What a decision citing a campaign allocation shows (page, Markdown and PDF alike): the wards served, with
    how much and by whom, highest need first, and the totals. The allocation never changes once saved."""
    from tamasuk.cities.models import Area

    served = [r for r in allocation.rows if (r.get("allocated") or 0) > 0]
    names = {a.code: a.display_name(language)
             for a in Area.objects.filter(city_id=allocation.city_id, code__in=[r["area"] for r in served])}
    return {
        "allocation": allocation, "unit": allocation.unit, "total": allocation.total_capacity,
        "allocated": sum(r["allocated"] for r in allocation.rows),
        "unmet": sum(r.get("unmet") or 0 for r in allocation.rows),
        "n_wards": len(served),
        "rows": [{"rank": r["rank"], "code": r["area"], "name": names.get(r["area"], r.get("name", r["area"])),
                  "allocated": r["allocated"],
                  "by": "; ".join(f"{g['organisation']}: {g['amount']:.0f}" for g in r.get("given", []))}
                 for r in served],
    }


def context(meeting: Meeting, *, items=None) -> dict:
    """What both formats show. The caller has checked that the reader may read the notes."""
    language = get_language()
    today = timezone.localdate()
    items = list(items if items is not None else meeting.action_items.select_related("owner")
                 .prefetch_related("areas"))
    return {
        "meeting": meeting, "forum": meeting.forum, "city": meeting.city,
        "forum_name": meeting.forum.display_name(language),
        "attendees": sorted((o.names.get(language) or o.name for o in meeting.attendees.all()), key=str.casefold),
        "decisions": [{"d": d, "dir": text_dir(d.text),
                       "allocation": allocation_summary(d.allocation, language) if d.allocation_id else None}
                      for d in meeting.decisions.select_related("profile", "allocation")],
        "dirs": {"agenda": text_dir(meeting.agenda), "information": text_dir(meeting.information),
                 "staff": text_dir(meeting.staff_present), "rhythm": text_dir(meeting.forum.rhythm)},
        "items": [{"item": i, "overdue": i.is_overdue(today), "status": i.get_status_display(),
                   "dir": text_dir(i.text),
                   "areas": [a.display_name(language) for a in i.areas.all()],
                   "owner": i.owner.names.get(language) or i.owner.name} for i in items],
        "open_status": ActionStatus.OPEN, "today": today, "generated_at": timezone.localtime(),
        "LANG": language, "BIDI": get_language_bidi(),
    }


def markdown(meeting: Meeting, *, items=None) -> str:
    ctx = context(meeting, items=items)
    md = _markdown_text
    ctx.update({
        "agenda_md": md(meeting.agenda), "information_md": md(meeting.information),
        "staff_md": md(meeting.staff_present),
        "decisions_md": [{"d": r["d"], "text": md(r["d"].text).replace("\n", "\n   "),
                          "analysis": md(r["d"].analysis_ref),
                          "profile": md(r["d"].profile.name) if r["d"].profile else "",
                          "allocation": r["allocation"],
                          "allocation_name": md(r["allocation"]["allocation"].name) if r["allocation"] else "",
                          "allocation_rows": [{**w, "name": _cell(w["name"]), "by": _cell(w["by"])}
                                              for w in r["allocation"]["rows"]] if r["allocation"] else []}
                         for r in ctx["decisions"]],
        "items_md": [{**row, "text": _cell(row["item"].text), "owner": _cell(row["owner"]),
                      "areas": _cell(", ".join(row["areas"]))} for row in ctx["items"]],
        "forum_md": md(ctx["forum_name"]), "attendees_md": [md(a) for a in ctx["attendees"]],
    })
    return render_to_string("network/minutes.md", ctx).strip() + "\n"


def _refuse(url, *args, **kwargs):
    raise ValueError(f"the minutes fetch nothing: {url[:60]}")


def pdf(meeting: Meeting, *, items=None) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):
        fetch = staticmethod(_refuse)

    # Arabic minutes: the city's digits and Arabic separators, as on its pages.
    html = for_reader(render_to_string("network/minutes_pdf.html", context(meeting, items=items)), meeting.forum.city)
    fetcher = NoFetch()
    stylesheet = CSS(string=PDF_CSS.read_text(encoding="utf-8"), url_fetcher=fetcher)
    return HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])
