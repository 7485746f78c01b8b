"""City settings (languages, digits in Arabic, coverage and small-count thresholds), Arabic numbers and dates,
a focal point's landing page and an auditor's end of access."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from tamasuk.audit.models import AuditEvent
from tamasuk.cities import services


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside scripts, styles and form fields."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def text_of(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def _post(client, city, **changes):
    data = {"languages": city.languages, "arabic_digits": city.arabic_digits,
            "coverage_threshold": city.coverage_threshold, "small_count_threshold": city.suppression_k, **changes}
    return client.post(f"/c/{city.slug}/settings/", data)


def test_a_coordinator_changes_the_citys_settings_and_the_change_is_audited(client_for, city):
    client = client_for("coordinator")
    page = client.get("/c/mombasa/settings/")
    assert page.status_code == 200 and 'name="coverage_threshold"' in page.content.decode()
    response = _post(client, city, arabic_digits="arab", coverage_threshold=80, small_count_threshold=10,
                     languages=["en", "ar", "sw"])
    assert response.status_code == 302
    city.refresh_from_db()
    assert (city.arabic_digits, city.coverage_threshold, city.suppression_k) == ("arab", 80, 10)
    assert city.languages[0] == "en" and set(city.languages) == {"en", "ar", "sw"}  # the default stays first
    event = AuditEvent.objects.filter(city_id_ref=city.pk, action="city.settings").latest("seq")
    assert event.actor_label == "coordinator"
    assert '"before":{"arabic_digits":"latn"' in event.payload.body and '"after":{"arabic_digits":"arab"' in event.payload.body


def test_settings_out_of_range_are_refused_on_the_form(client_for, city):
    response = _post(client_for("admin"), city, coverage_threshold=140, small_count_threshold=1, languages=[])
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="error"') >= 3
    city.refresh_from_db()
    assert city.coverage_threshold == 70 and city.suppression_k == 5


def test_the_service_refuses_unknown_languages_and_records_nothing_when_nothing_changes(city):
    with pytest.raises(ValidationError):
        services.update_city_settings(actor="test", city=city, languages=["xx"], arabic_digits="latn",
                                      coverage_threshold=70, small_count_threshold=5)
    before = AuditEvent.objects.count()
    services.update_city_settings(actor="test", city=city, languages=city.languages, arabic_digits="latn",
                                  coverage_threshold=70, small_count_threshold=5)
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", ["member", "analyst", "auditor"])
def test_others_may_not_change_the_settings(client_for, city, role):
    assert _post(client_for(role), city, small_count_threshold=20).status_code == 403
    city.refresh_from_db()
    assert city.suppression_k == 5


ARABIC_INDIC = re.compile("[٠-٩]")
WESTERN = re.compile("[0-9]")
# A number written with Western separators: "1.056", "1,056", "34.8".
WESTERN_SEPARATED = re.compile(r"\d[.,]\d")

ARABIC_PAGES = ["/c/mombasa/", "/c/mombasa/areas/KE001003/", "/c/mombasa/areas/KE00100301/", "/c/mombasa/priorities/",
                "/c/mombasa/coverage/"]


@pytest.mark.parametrize("path", ARABIC_PAGES)
def test_arabic_pages_use_one_kind_of_digit_with_arabic_separators(client_for, city, path):
    client = client_for("coordinator")
    text = text_of(client.get(path, HTTP_ACCEPT_LANGUAGE="ar"))
    assert WESTERN.search(text), "the page shows numbers"
    assert not ARABIC_INDIC.search(text), "Western digits chosen: ward names must not bring Arabic-Indic digits"
    assert not WESTERN_SEPARATED.search(text), WESTERN_SEPARATED.search(text)
    services.update_city_settings(actor="test", city=city, languages=city.languages, arabic_digits="arab",
                                  coverage_threshold=70, small_count_threshold=5)
    text = text_of(client.get(path, HTTP_ACCEPT_LANGUAGE="ar"))
    assert ARABIC_INDIC.search(text)
    assert not WESTERN.search(text), f"Western digit left: …{text[max(0, WESTERN.search(text).start() - 40):][:80]}…"
    # English pages keep Western digits whatever the Arabic choice.
    assert not ARABIC_INDIC.sub("", "") and "Mombasa" in text_of(client.get(path, HTTP_ACCEPT_LANGUAGE="en"))


def test_the_digits_choice_shows_each_kind_of_digit_whatever_the_city_chose(client_for, city):
    """The page that offers Western or Arabic-Indic digits must show both, not both in the city's current kind."""
    for chosen in ("latn", "arab"):
        services.update_city_settings(actor="test", city=city, languages=city.languages, arabic_digits=chosen,
                                      coverage_threshold=70, small_count_threshold=5)
        page = client_for("coordinator").get(f"/c/{city.slug}/settings/", HTTP_ACCEPT_LANGUAGE="ar")
        text = text_of(page)
        assert "(0123)" in text and "(٠١٢٣)" in text, chosen


def test_arabic_numbers_use_arabic_separators():
    from django.template import Context, Template
    from django.utils import translation

    from tamasuk.cities.reading import localise_html

    with translation.override("ar"):
        rendered = Template('{{ x|floatformat:"1g" }}|{{ y|floatformat:2 }}').render(Context({"x": 1056.5, "y": 0.25}))
    assert rendered == "1٬056٫5|0٫25"
    assert localise_html("<p>1,056 <b>12,345.5</b> ٢</p>", "latn") == "<p>1٬056 <b>12٬345٫5</b> 2</p>"
    assert localise_html('<p title="1,056">1,056 حي 2</p><script>var a = 1.5;</script>', "arab") == (
        '<p title="1,056">١٬٠٥٦ حي ٢</p><script>var a = 1.5;</script>')
    assert localise_html("<textarea>2024-01-03</textarea>", "arab") == "<textarea>2024-01-03</textarea>"


@pytest.mark.parametrize("language, expected", [("en", "3 December 2026"), ("ar", "3 ديسمبر 2026"),
                                                ("fr", "3 décembre 2026")])
def test_dates_are_spelled_out_in_the_readers_language(language, expected):
    from django.utils import formats, translation

    with translation.override(language):
        assert formats.date_format(dt.date(2026, 12, 3)) == expected


def test_a_focal_point_lands_on_their_organisation(client_for, users):
    response = client_for("member").get("/")
    own = users["member"].organisations.get()
    assert response.status_code == 302 and response["Location"] == f"/c/mombasa/organisations/{own.pk}/"
    assert client_for("coordinator").get("/")["Location"] == "/c/mombasa/"


def test_an_auditor_sees_when_their_access_ends(client_for, users, city):
    from tamasuk.cities.models import Membership

    ends = Membership.objects.get(user=users["auditor"], city=city).ends_on
    from django.utils import formats

    for path in ["/c/mombasa/", "/c/mombasa/plans/"]:
        body = client_for("auditor").get(path).content.decode()
        assert "Your access as auditor ends on" in body and formats.date_format(ends) in body
        assert city.time_zone in body
    assert "Your access as auditor ends on" not in client_for("coordinator").get("/c/mombasa/").content.decode()


def test_decimals_take_the_arabic_separator_but_codes_stay_as_written():
    from tamasuk.cities.reading import localise_html

    assert localise_html("<td>34.8</td><td>1.1.2</td>", "latn") == "<td>34٫8</td><td>1.1.2</td>"
    assert localise_html('<span class="code">1.2</span> 0.5', "arab") == '<span class="code">١.٢</span> ٠٫٥'
    assert localise_html('<p data-digits="raw"><b>0.5</b></p><i>2</i>', "arab") == '<p data-digits="raw"><b>0.5</b></p><i>٢</i>'


def test_the_review_report_in_arabic_takes_the_citys_digits_but_keeps_the_audit_hash(city, users):
    from django.utils import translation

    from tamasuk.plans import review_report
    from tamasuk.plans.models import Review

    services.update_city_settings(actor="test", city=city, languages=city.languages, arabic_digits="arab",
                                  coverage_threshold=70, small_count_threshold=5)
    review = Review.objects.filter(plan__city=city).order_by("pk").first()
    with translation.override("ar"):
        html = review_report.html(users["coordinator"], review)
    hash_ = re.search(r'<span class="hash"[^>]*>([0-9a-f]{64})</span>', html)
    assert hash_, "the audit chain's head is printed as it is, to be compared with `tamasuk audit verify`"

    text = re.sub(r'<span class="hash"[^>]*>[0-9a-f]{64}</span>', "", html)
    parser = _Text()
    parser.feed(text)
    body = " ".join(parser.parts)
    assert ARABIC_INDIC.search(body) and not WESTERN.search(body), WESTERN.search(body)
