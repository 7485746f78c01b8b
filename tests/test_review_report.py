"""The PDF review report: rendered by WeasyPrint in English and Arabic, looked at as pages and as text."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from PIL import Image

from tamasuk.audit.models import AuditHead
from tamasuk.cities.models import Area
from tamasuk.plans import review_report, services

FINDING_AR = "ارتفعت مشاركة الشباب في برنامج الإرشاد"
WARD_AR = "حي الشاطئ"
SUB_COUNTY_AR = "مقاطعة الميناء"  # named only in a chart: SVG text, not HTML
# Set TAMASUK_REPORT_PNG=/some/dir to keep the rendered pages for a look.
KEEP = os.environ.get("TAMASUK_REPORT_PNG")


@pytest.fixture
def reviewed(db, city, users):
    """Like the demo: an adopted plan with a year of progress and one adopted review that changed it."""
    coordinator = users["coordinator"]
    member_org = users["member"].organisations.get()
    other_org = city.organisations.exclude(pk=member_org.pk).first()
    framework = services.create_framework(actor="test", country="KEN", name="NAP test", start_year=2024,
                                          end_year=2028, pillars=[("N1", "Prevention"), ("N2", "Policing")])
    wards = list(city.areas.filter(level=2).order_by("code"))
    sub_county = city.areas.filter(level=1).order_by("code").first()
    # An Arabic name, as a city whose areas are named in Arabic has them (set directly: test data only).
    Area.objects.filter(pk=wards[0].pk).update(names={"ar": WARD_AR})
    Area.objects.filter(pk=sub_county.pk).update(names={"ar": SUB_COUNTY_AR})
    plan = services.create_plan(actor=coordinator, city=city, title="Mombasa County Action Plan", start_year=2024,
                                end_year=2027, framework=framework, currency="KES",
                                titles={"ar": "خطة عمل مقاطعة مومباسا"})
    youth = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth and livelihoods")
    police = services.add_pillar(actor=coordinator, plan=plan, code="2", title="Police–community trust")
    jobs = services.add_objective(actor=coordinator, pillar=youth, code="1.1", title="Young people find work")
    trust = services.add_objective(actor=coordinator, pillar=police, code="2.1", title="Residents trust the police")
    mentoring = services.add_activity(
        actor=coordinator, objective=jobs, code="1.1.1", title="Mentoring young entrepreneurs", lead=member_org,
        start=dt.date(2024, 1, 1), end=dt.date(2025, 12, 31), budget=Decimal("100000"),
        national_pillars=list(framework.pillars.filter(code="N1")), areas=wards[:3])
    amnesty = services.add_activity(
        actor=coordinator, objective=trust, code="2.1.1", title="Weapons amnesty", lead=other_org,
        start=dt.date(2024, 3, 1), end=dt.date(2024, 9, 30), budget=Decimal("40000"), areas=[sub_county])
    mentored = services.add_indicator(
        actor=coordinator, plan=plan, activity=mentoring, code="I1", name="Young people mentored", unit="people",
        counts_people=True, baseline_value=Decimal(0), baseline_date=dt.date(2023, 12, 31),
        targets={2024: 50, 2025: 120}, disaggregation=["sex"])
    weapons = services.add_indicator(
        actor=coordinator, plan=plan, activity=amnesty, code="I2", name="Weapons handed in", unit="weapons",
        baseline_value=Decimal(0), targets={2024: 30})
    services.adopt_plan(actor=coordinator, plan=plan)
    for quarter, status in [("2024-Q1", "on_track"), ("2024-Q2", "on_track"), ("2024-Q3", "at_risk")]:
        services.record_progress(actor=coordinator, activity=mentoring, period=quarter, status=status,
                                 narrative="Sessions held", spent=Decimal("15000"))
    services.record_progress(actor=coordinator, activity=amnesty, period="2024-Q3", status="late",
                             narrative="Fewer weapons than hoped", spent=Decimal("30000"))
    services.record_actuals(actor=coordinator, indicator=mentored, year=2024,
                            values=[services.ActualInput(Decimal(64))])
    services.record_actuals(actor=coordinator, indicator=weapons, year=2024,
                            values=[services.ActualInput(Decimal(12))])
    review = services.open_review(actor=coordinator, plan=plan, title="Annual review 2024", period="2024",
                                  reviewers="Mombasa prevention forum; external auditor")
    mentoring.refresh_from_db()
    services.update_item(actor=coordinator, item=mentoring, expected_version=mentoring.version,
                         budget=Decimal("150000"))
    services.add_activity(actor=coordinator, objective=jobs, code="1.1.2", title="Market stalls for young traders",
                          lead=member_org, start=dt.date(2025, 1, 1), end=dt.date(2026, 12, 31),
                          budget=Decimal("60000"), areas=wards[:1])
    review.refresh_from_db()
    services.update_review(actor=coordinator, review=review, expected_version=review.version,
                           findings=f"{FINDING_AR}.\nMentoring exceeded its target.",
                           recommendations="Scale up mentoring; rethink the amnesty's publicity.",
                           decisions="Raise the mentoring budget and add market stalls for young traders.")
    review.refresh_from_db()
    services.adopt_review(actor=coordinator, review=review)
    review.refresh_from_db()
    return review


def _render(user, review, language: str, tmp_path: Path) -> tuple[str, Path]:
    with translation.override(language):
        html = review_report.html(user, review)
        data = review_report.pdf(user, review)
    assert data.startswith(b"%PDF-")
    path = tmp_path / f"report-{language}.pdf"
    path.write_bytes(data)
    return html, path


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def _pages(pdf: Path, out: Path) -> list[Image.Image]:
    prefix = out / pdf.stem
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(prefix)], check=True)
    files = sorted(out.glob(f"{pdf.stem}-*.png"))
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        (Path(KEEP) / pdf.name).write_bytes(pdf.read_bytes())
        for f in files:
            (Path(KEEP) / f.name).write_bytes(f.read_bytes())
    return [Image.open(f).convert("L") for f in files]


def _ink(page: Image.Image) -> float:
    """Share of the page that is not white."""
    histogram = page.histogram()
    return 1 - sum(histogram[250:]) / (page.width * page.height)


def _words_box(pdf: Path, page: int, word: str) -> tuple[float, float, float]:
    """(xMin, xMax, page width) of the first occurrence of `word` on a page, from pdftotext's word boxes."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', out):
        if m.group(3) in (word, word[::-1]):  # word boxes list right-to-left words in visual order
            return float(m.group(1)), float(m.group(2)), width
    raise AssertionError(f"{word!r} is not on page {page}")


def test_the_english_report_has_every_part_on_readable_pages(reviewed, users, tmp_path):
    html, pdf = _render(users["coordinator"], reviewed, "en", tmp_path)
    assert '<html lang="en" dir="ltr">' in html
    pages = _pages(pdf, tmp_path)
    assert len(pages) >= 3, "a title page, then the review, the map, the indicators and the changes"
    for n, page in enumerate(pages, start=1):
        assert abs(page.height / page.width - 297 / 210) < 0.01, f"page {n} is not A4 portrait"
        assert _ink(page) > 0.005, f"page {n} is blank"
    text = " ".join(_text(pdf).split())
    for expected in ["Annual review 2024", "Mombasa County Action Plan", "Synthetic demo data",
                     "Mombasa prevention forum; external auditor", "Version 1, adopted", "Version 2, adopted",
                     "Mentoring exceeded its target", "Raise the mentoring budget",
                     "Indicators against targets", "Young people mentored", "target 120",
                     "Changes adopted", "Market stalls for young traders", "budget: 100,000 → 150,000"]:
        assert expected in text, f"{expected!r} is missing from the English report"
    head = AuditHead.objects.get(chain=reviewed.plan.city_id)
    assert head.hash in text, "the footer carries the head hash of the city's audit chain"
    assert re.search(r"\b2 ?/ ?\d+\b", text), "pages are numbered"


def test_the_arabic_report_is_shaped_right_to_left_with_an_arabic_font(reviewed, users, tmp_path):
    html, pdf = _render(users["coordinator"], reviewed, "ar", tmp_path)
    assert '<html lang="ar" dir="rtl">' in html
    pages = _pages(pdf, tmp_path)
    assert len(pages) >= 3
    assert all(_ink(p) > 0.005 for p in pages)
    text = _text(pdf)
    # pdftotext gives back the logical characters, reading right-to-left runs from their visual order.
    assert FINDING_AR in text
    assert WARD_AR in text
    assert "خطة عمل مقاطعة مومباسا" in text
    # The charts' text too (joined presentation forms, so compared after NFKC): backwards if drawn as stored.
    assert SUB_COUNTY_AR in unicodedata.normalize("NFKC", text)
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "Amiri" in fonts, fonts
    # Right-to-left: the Arabic finding ends at the right margin (the English one would start at the left).
    words = FINDING_AR.split()
    x_min, x_max, width = _words_box(pdf, 2, words[0])
    assert x_max > width * 0.8, f"the Arabic finding starts at x={x_max:.0f} of {width:.0f}: not right-aligned"


def test_the_city_team_downloads_it_from_the_review_and_the_network_does_not(reviewed, client_for, city, users):
    """The first download waits on a page that reloads itself while the task worker draws the PDF; the next
    downloads of the same content are served from the kept render, and a change to the plan draws it again."""
    from tamasuk.plans.models import ReportRender

    url = reverse("plans:review_pdf", kwargs={"slug": city.slug, "pk": reviewed.pk})
    wait_url = reverse("plans:review_pdf_wait", kwargs={"slug": city.slug, "pk": reviewed.pk}) + "?lang=ar"
    analyst = client_for("analyst")
    first = analyst.get(url, {"lang": "ar"})
    assert first.status_code == 302 and first["Location"] == wait_url
    waiting = analyst.get(wait_url)
    assert waiting.status_code == 200 and waiting["Refresh"] == "2"  # reloads itself: no JavaScript needed
    assert 'data-render="queued"' in waiting.content.decode()
    (render,) = ReportRender.objects.filter(review=reviewed)
    assert render.language == "ar" and render.task_id
    review_report.run_render(render.pk)  # what the task worker runs (plans.tasks.render_review_report)
    ready = analyst.get(wait_url)
    assert 'data-render="ready"' in ready.content.decode() and ready["Refresh"] == f"0; url={url}?lang=ar"
    response = analyst.get(url, {"lang": "ar"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]
    # the same content again (another reader of the city team, an unrelated change in the city): served as kept
    services.create_framework(actor="test", country="KEN", name="Unrelated", start_year=2024, end_year=2028,
                              pillars=[("X", "X")])
    again = client_for("coordinator").get(url, {"lang": "ar"})
    assert again.status_code == 200 and again.content == response.content
    assert ReportRender.objects.filter(review=reviewed).count() == 1
    # the plan changes: the report is drawn again, and the out-of-date render goes once the new one is ready
    mentoring = reviewed.plan.activities.get(code="1.1.1")
    services.record_progress(actor=users["coordinator"], activity=mentoring, period="2024-Q4", status="on_track",
                             narrative="More sessions", spent=Decimal("5000"))  # the budget chart changes
    assert analyst.get(url, {"lang": "ar"}).status_code == 302
    newer = ReportRender.objects.filter(review=reviewed).exclude(pk=render.pk).get()
    review_report.run_render(newer.pk)
    assert list(ReportRender.objects.filter(review=reviewed)) == [newer]
    for role in ("member", "national"):
        assert client_for(role).get(url).status_code == 403
        assert client_for(role).get(wait_url).status_code == 403


def test_the_content_digest_leaves_out_only_when_and_at_which_audit_event_it_was_made(reviewed, users):
    with translation.override("en"):
        html = review_report.html(users["coordinator"], reviewed)
    footer = re.search(r"<!--when-->.*?<!--/when-->", html, re.S).group(0)
    assert "Generated on" in footer and "Audit chain head" in footer
    assert review_report.digest(html.replace(footer, "<!--when-->Generated later<!--/when-->")) == \
        review_report.digest(html)
    assert review_report.digest(html.replace("Weapons handed in", "Weapons handed over")) != review_report.digest(html)


def test_an_open_review_reports_the_version_in_force_and_nothing_adopted(db, city, users):
    coordinator = users["coordinator"]
    plan = services.create_plan(actor=coordinator, city=city, title="Small plan", start_year=2024, end_year=2025)
    pillar = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth")
    objective = services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Work")
    services.add_activity(actor=coordinator, objective=objective, code="1.1.1", title="Mentoring",
                          lead=users["member"].organisations.get(), start=dt.date(2024, 1, 1),
                          end=dt.date(2025, 12, 31))
    services.adopt_plan(actor=coordinator, plan=plan)
    review = services.open_review(actor=coordinator, plan=plan, title="Mid-term review", period="2024")
    with translation.override("en"):
        html = " ".join(review_report.html(users["coordinator"], review).split())
    assert "Version 1, adopted" in html
    assert "Version produced" not in html
    assert "The review is still open: no changes adopted yet." in html
    assert "The plan has no indicators." in html


def test_arabic_svg_text_is_joined_and_put_in_visual_order_for_weasyprint():
    """WeasyPrint draws SVG text one code point at a time, left to right: give it what the eye should see."""
    from tamasuk.plans.svg_for_pdf import drawable, for_weasyprint

    def seen(text):  # what a reader of the drawing gets back: logical letters, right-to-left runs read leftwards
        return unicodedata.normalize("NFKC", text)

    word = drawable("مرحبا")
    assert seen(word) == "مرحبا"[::-1]
    assert word == "\ufe8e\ufe92\ufea3\ufeae\ufee3"  # alef final, beh medial, hah initial, reh isolated, meem initial
    assert drawable("لا") == "\ufefb", "lam-alef is one ligature"
    # Numbers keep their digits left-to-right inside the right-to-left line; brackets mirror.
    men = drawable("من")
    assert drawable("2024: 64 من 50 (128 %)") == f"(% 128) 50 {men} 64 :2024"
    assert drawable("\u2068On track\u2069") == "On track", "isolates dropped: WeasyPrint would draw them"
    assert drawable("Completed") == "Completed"
    assert drawable("1 الشباب") == f"{drawable('الشباب')} 1"
    assert drawable("64 %", ltr=True) == "64 %"
    svg = ('<svg><title>Jomvu &amp; جومفو</title><text x="4" y="9" text-anchor="end">\u2068جومفو &amp; كيساوني\u2069'
           '</text><text x="1" y="2" direction="ltr">12</text></svg>')
    out = for_weasyprint(svg)
    assert out.startswith('<svg><title>Jomvu &amp; جومفو</title><text x="4" y="9" text-anchor="end">')
    assert f"{drawable('كيساوني')} &amp; {drawable('جومفو')}</text>" in out
    assert '<text x="1" y="2" direction="ltr">12</text>' in out
