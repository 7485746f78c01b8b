"""The personal-data check of free text that leaves the city team: the pure function, then the pages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamasuk.analysis.personal_data import Finding, find_personal_data

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def found(text, **kw):
    return [(f.kind, f.text) for f in find_personal_data(text, **kw)]


# ---- the function ----

@pytest.mark.parametrize("number", [
    # Kenya
    "+254 722 123 456", "+254722123456", "+254-722-123-456", "+254 (0) 722 123 456", "00254 722 123456",
    "0722 123 456", "0722123456", "0722-123-456", "0722.123.456", "072 212 3456", "0111 234 567",
    "041 222 3344", "722 123 456",
    # Lebanon
    "+961 3 123 456", "+961 70 123 456", "+961-7-723456", "00961 1 234 567", "03 123 456", "03-123456",
    "07 723 456", "70 123 456", "71-123456", "81 234 567", "76123456", "3 123 456",
    # Malawi
    "+265 888 123 456", "+265 999 12 34 56", "+265 1 823 456", "0888 123 456", "0999-123-456", "01 823 456",
    "888 123 456", "991 234 567",
])
def test_phone_numbers_as_written_in_kenya_lebanon_and_malawi(number):
    text = f"Call {number} after the meeting."
    assert found(text) == [("phone", number)]
    [f] = find_personal_data(text)
    assert text[f.start:f.end] == number and f.span == (5, 5 + len(number))


@pytest.mark.parametrize("number", ["٠٧٢٢ ١٢٣ ٤٥٦", "+٩٦١ ٣ ١٢٣ ٤٥٦", "٠٣ ١٢٣ ٤٥٦", "۰۸۸۸ ۱۲۳ ۴۵۶"])
def test_arabic_indic_digits(number):
    text = f"اتصلوا بالرقم {number} بعد الاجتماع"
    assert found(text) == [("phone", number)]


def test_direction_marks_inside_a_number_in_arabic_text():
    text = "الرقم \u200e+961 3 123 456\u200e للتواصل"
    [f] = find_personal_data(text)
    assert f.kind == "phone" and f.text == "+961 3 123 456"


@pytest.mark.parametrize("text", [
    "We reached 30 people in 2025-Q3 and spent 2,500 KES.",
    "The plan runs 2024-2028; the review is due in 2026.",
    "Sessions on 14.03.2025, 01-02-2025 and 2025-03-14, from 0800-1000.",
    "Budget KES 1,250,000 (USD 9 650); 2,500,000 KES spent; LBP 70 000 000 for transport.",
    "Ages 10-14 15-19 20-24 and 70-74 75-79.",
    "Shares 0.25 0.30 0.45; 12.5% of 1200 households; 45 participants, 300 youths.",
    "KES 0722 000 was reimbursed. 722 000 000 KES were planned.",
    "Ward 7, sub-county 3, activity A1.2.3, indicator 2.1",
    "وصلنا إلى ٣٠ شخصاً في الربع الثالث من ٢٠٢٥ وأنفقنا ٢٬٥٠٠ شلن",
    "ISBN 978-3-16-148410-0",
])
def test_years_dates_amounts_and_counts_are_not_phone_numbers(text):
    assert found(text) == []


def test_emails():
    text = "Write to amina.wanjiru@youth-mombasa.or.ke or ali+forum@example.org. Not an email: a@b, @handle."
    assert found(text) == [("email", "amina.wanjiru@youth-mombasa.or.ke"), ("email", "ali+forum@example.org")]


def test_names_case_insensitive_on_word_boundaries():
    names = ["Amina Wanjiru", "Amina", "jkamau", "Al"]
    text = "AMINA WANJIRU met amina and JKamau; Aminata and jkamau2 are others; Al is too short to check."
    assert found(text, names=names) == [("name", "AMINA WANJIRU"), ("name", "amina"), ("name", "JKamau")]


def test_a_name_across_a_line_break_and_inside_an_email_is_found_once():
    names = ["Amina Wanjiru", "amina"]
    assert found("Amina\nWanjiru wrote from amina@example.org", names=names) == [
        ("name", "Amina\nWanjiru"), ("email", "amina@example.org")]


def test_arabic_names_with_proclitics_diacritics_and_letter_forms():
    names = ["محمد الحسن", "فاطمة", "أحمد"]
    text = "التقى مُحَمَّد الحسن وفاطمه بالشباب، ثم حضر احمد ولأحمد رسالة. محمدية ليست اسماً."
    assert found(text, names=names) == [("name", "مُحَمَّد الحسن"), ("name", "فاطمه"), ("name", "احمد"),
                                        ("name", "أحمد")]


def test_everything_in_one_text_in_order():
    text = "Grace (0722 123 456, grace@example.org) and Hassan +961 3 123 456 joined."
    assert found(text, names=["Grace", "Hassan"]) == [
        ("name", "Grace"), ("phone", "0722 123 456"), ("email", "grace@example.org"), ("name", "Hassan"),
        ("phone", "+961 3 123 456")]
    assert all(isinstance(f, Finding) for f in find_personal_data(text))


def test_empty_and_nameless():
    assert find_personal_data("") == [] and find_personal_data("No one named.", names=["", "  "]) == []


# ---- properties ----

KENYA = st.builds(lambda p, a, b: f"07{p:02d} {a:03d} {b:03d}", st.integers(0, 99), st.integers(0, 999),
                  st.integers(1, 999))
LEBANON = st.builds(lambda p, a, b: f"+961 {p} {a:03d} {b:03d}", st.sampled_from(["3", "70", "71", "76", "81"]),
                    st.integers(0, 999), st.integers(1, 999))
MALAWI = st.builds(lambda p, a, b, sep: f"0{p}{sep}{a:03d}{sep}{b:03d}", st.sampled_from(["888", "999", "881"]),
                   st.integers(0, 999), st.integers(1, 999), st.sampled_from([" ", "-", "."]))
WORDS = st.lists(st.sampled_from(["the", "youth", "forum", "met", "in", "ward", "الشباب", "اجتمع", "في",
                                  "Likoni", "and", "،", "."]), max_size=6).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(before=WORDS, number=st.one_of(KENYA, LEBANON, MALAWI), after=WORDS, arabic=st.booleans())
def test_any_phone_number_in_any_text_is_found_with_its_span(before, number, after, arabic):
    if arabic:
        number = number.translate(ARABIC_INDIC)
    text = f"{before} {number} {after}"
    findings = find_personal_data(text)
    assert [(f.kind, f.text) for f in findings] == [("phone", number)]
    assert text[findings[0].start:findings[0].end] == number


NOT_PHONES = st.one_of(
    st.integers(1990, 2035).map(str),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(2000, 2035), st.integers(1, 4)),
    st.builds(lambda a, b: f"{a}-{b}", st.integers(1990, 2035), st.integers(1990, 2035)),
    st.builds(lambda d, m, y, s: f"{d:02d}{s}{m:02d}{s}{y}", st.integers(1, 28), st.integers(1, 12),
              st.integers(1990, 2035), st.sampled_from([".", "-", "/"])),
    st.builds(lambda n, cur: f"{n:,} {cur}", st.integers(0, 10**9), st.sampled_from(["KES", "MWK", "LBP", "USD"])),
    st.builds(lambda cur, n: f"{cur} {n:,}", st.sampled_from(["KES", "MWK", "LBP", "USD", "$"]),
              st.integers(0, 10**9)),
    st.builds(lambda n, unit: f"{n} {unit}", st.integers(0, 100000), st.sampled_from(["people", "participants",
                                                                                       "households", "%"])),
)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(NOT_PHONES, min_size=1, max_size=4), arabic=st.booleans())
def test_years_quarters_dates_amounts_and_counts_are_never_flagged(pieces, arabic):
    text = ", ".join(pieces)
    if arabic:
        text = text.translate(ARABIC_INDIC)
    assert find_personal_data(text) == [], text


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(["Amina Wanjiru", "Chikondi Banda", "Hassan Saad", "فاطمة الزهراء", "Wanjiku"]),
       before=WORDS, after=WORDS, upper=st.booleans())
def test_any_listed_name_is_found(name, before, after, upper):
    written = name.upper() if upper else name
    text = f"{before} {written} {after}"
    findings = find_personal_data(text, names=[name])
    assert [(f.kind, f.text) for f in findings] == [("name", written)]


# ---- the pages ----

@pytest.fixture
def report(db, city):
    from tamasuk.mapping.models import CommunityReport

    return CommunityReport.objects.filter(city=city, status="received").first()


@pytest.fixture
def focal_point(db, city):
    """A named member of the city and an organisation's focal point, both in the names the check uses."""
    from django.contrib.auth import get_user_model

    from tamasuk.network.models import Organisation

    user = get_user_model().objects.get(username="member")
    user.first_name, user.last_name = "Chikondi", "Banda"
    user.save()
    org = Organisation.objects.filter(city=city).first()
    org.focal_point_name = "Amina Wanjiru"
    org.save()
    return user


def _moderation_event(report):
    from tamasuk.audit.models import AuditEvent

    return AuditEvent.objects.filter(action="report.moderate", object_id=str(report.pk)).last()


@pytest.mark.parametrize("text,shown", [
    ("Youth leader says call him on 0722 123 456 about the fight.", "0722 123 456"),
    ("Write to youth.leader@example.org about the fight.", "youth.leader@example.org"),
    ("Chikondi Banda saw the fight near the market.", "Chikondi Banda"),
    ("Amina Wanjiru saw the fight near the market.", "Amina Wanjiru"),
])
def test_moderation_refuses_likely_personal_data_and_accepts_it_after_confirmation(
        client_for, city, report, focal_point, text, shown):
    c = client_for("coordinator")
    url = f"/c/mombasa/reports/{report.pk}/moderate/"
    response = c.post(url, {"moderated_text": text, "share": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "looks like it holds personal data" in page and shown in page
    assert 'name="confirmed_not_personal"' in page and 'type="checkbox"' in page
    report.refresh_from_db()
    assert report.status == "received" and report.moderated_text == ""
    response = c.post(url, {"moderated_text": text, "share": "on", "confirmed_not_personal": "on"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "moderated" and report.moderated_text == text and report.visibility == "network"
    event = _moderation_event(report)
    assert '"personal_data_confirmed":true' in event.after and shown not in event.after


def test_moderation_after_removing_the_number_saves_without_a_flag(client_for, report):
    c = client_for("coordinator")
    url = f"/c/mombasa/reports/{report.pk}/moderate/"
    assert c.post(url, {"moderated_text": "Fight near the market; call 0722 123 456"}).status_code == 200
    assert c.post(url, {"moderated_text": "Fight near the market."}).status_code == 302
    report.refresh_from_db()
    assert report.moderated_text == "Fight near the market." and report.visibility == "city"
    assert "personal_data_confirmed" not in _moderation_event(report).after


def test_moderation_in_arabic_shows_the_arabic_number(client_for, report):
    c = client_for("coordinator")
    response = c.post(f"/c/mombasa/reports/{report.pk}/moderate/",
                      {"moderated_text": "شجار قرب السوق، اتصلوا بـ ٠٧٢٢ ١٢٣ ٤٥٦"}, HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200 and "٠٧٢٢ ١٢٣ ٤٥٦" in response.content.decode()


@pytest.fixture
def shared_activity(db, city):
    """An activity of the demo plan in force (shared with the network) led by the member's organisation."""
    from tamasuk.plans.models import IN_FORCE_STATUSES, Activity

    activity = Activity.objects.filter(plan__city=city, plan__status__in=IN_FORCE_STATUSES,
                                       lead__focal_points__username="member").first()
    assert activity is not None and activity.plan.visibility != "city"
    return activity


def _progress_url(a):
    return f"/c/mombasa/plans/{a.plan_id}/activities/{a.pk}/progress/"


@pytest.mark.parametrize("narrative,shown", [
    ("Three sessions; the mentor's number is +254 733 111 222.", "+254 733 111 222"),
    ("Three sessions; contact mentor@example.org for the list.", "mentor@example.org"),
    ("Three sessions led by Amina Wanjiru with 30 people.", "Amina Wanjiru"),
    ("ثلاث جلسات مع شيكوندي؛ رقم المرشد ٠٩٩٩ ١٢٣ ٤٥٦", "٠٩٩٩ ١٢٣ ٤٥٦"),
])
def test_progress_narrative_shared_with_the_network_is_checked(client_for, shared_activity, focal_point,
                                                               narrative, shown):
    from tamasuk.audit.models import AuditEvent

    c = client_for("member")
    data = {"period": "2027-Q1", "status": "on_track", "narrative": narrative}
    response = c.post(_progress_url(shared_activity), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "looks like it holds personal data" in page and shown in page
    assert 'type="checkbox" name="confirmed_not_personal"' in page
    assert not shared_activity.progress.filter(period="2027-Q1").exists()
    response = c.post(_progress_url(shared_activity), {**data, "confirmed_not_personal": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    update = shared_activity.progress.get(period="2027-Q1")
    assert update.narrative == narrative
    event = AuditEvent.objects.filter(action="plan.progress.record", object_id=str(update.pk)).last()
    assert '"personal_data_confirmed":true' in event.after


def test_progress_without_personal_data_saves_as_before(client_for, shared_activity, focal_point):
    from tamasuk.audit.models import AuditEvent

    c = client_for("coordinator")
    response = c.post(_progress_url(shared_activity), {
        "period": "2027-Q2", "status": "at_risk",
        "narrative": "Two sessions in 2027-Q2, 30 people reached, 2,500 KES spent on transport."})
    assert response.status_code == 302
    update = shared_activity.progress.get(period="2027-Q2")
    event = AuditEvent.objects.filter(action="plan.progress.record", object_id=str(update.pk)).last()
    assert "personal_data_confirmed" not in event.after


def test_progress_of_a_plan_kept_in_the_city_team_is_not_checked(client_for, shared_activity):
    plan = shared_activity.plan
    plan.visibility = "city"
    plan.save(update_fields=["visibility"])
    response = client_for("coordinator").post(_progress_url(shared_activity), {
        "period": "2027-Q3", "status": "on_track", "narrative": "Call the mentor on 0722 123 456."})
    assert response.status_code == 302


def test_the_service_refuses_too(city, report, users):
    from tamasuk.cities.personal_data import PersonalDataFound
    from tamasuk.mapping import services

    with pytest.raises(PersonalDataFound) as caught:
        services.moderate_report(actor=users["coordinator"], report=report, moderated_text="ring 0999 123 456",
                                 share=True)
    assert [(f.kind, f.text) for f in caught.value.findings] == [("phone", "0999 123 456")]
    assert "moderated_text" in caught.value.message_dict


def test_names_query_leaves_out_accounts_named_after_roles(city, focal_point):
    from tamasuk.network.directory.queries import people_names

    names = people_names(city)
    assert {"Chikondi", "Banda", "Chikondi Banda", "Amina Wanjiru"} <= set(names)
    assert not {"member", "coordinator", "admin"} & set(names)
