"""Review cycles through the pages: open a review, change the plan, write findings and decisions, adopt them as a
new version, and read what changed and why; two coordinators writing at once; closing a review that changed
something; who may do what."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tamasuk.plans import services
from tamasuk.plans.models import PlanStatus, Review, ReviewStatus


@pytest.fixture
def adopted(db, city, users):
    """A small plan adopted as version 1: one pillar, one objective, one activity with a partner, one indicator."""
    coordinator = users["coordinator"]
    framework = services.create_framework(actor="test", country="KEN", name="NAP reviews test", start_year=2024,
                                          end_year=2028, pillars=[("N1", "Prevention"), ("N2", "Policing")])
    member_org = users["member"].organisations.get()
    partner, newcomer = city.organisations.exclude(pk=member_org.pk).order_by("pk")[:2]
    plan = services.create_plan(actor=coordinator, city=city, title="Review test plan", start_year=2024,
                                end_year=2027, framework=framework, currency="KES")
    pillar = services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth")
    objective = services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Youth jobs")
    mentoring = services.add_activity(actor=coordinator, objective=objective, code="1.1.1", title="Mentoring",
                                      lead=member_org, partners=[partner], start=dt.date(2024, 1, 1),
                                      end=dt.date(2025, 12, 31), budget=Decimal("100000"),
                                      national_pillars=list(framework.pillars.filter(code="N1")))
    indicator = services.add_indicator(actor=coordinator, plan=plan, activity=mentoring, code="I1",
                                       name="Young people mentored", unit="people", counts_people=True,
                                       targets={2024: 50, 2025: 120})
    services.adopt_plan(actor=coordinator, plan=plan, reason="Adopted by the county assembly")
    plan.refresh_from_db()
    return {"plan": plan, "objective": objective, "mentoring": mentoring, "indicator": indicator,
            "partner": partner, "newcomer": newcomer, "framework": framework}


def _text(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed, for assertions a reader would make."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def _hidden(response, name: str) -> str:
    tag = re.search(rf'<input type="hidden" name="{name}"[^>]*>', response.content.decode())
    assert tag, f"no hidden {name} on the page"
    value = re.search(r'value="([^"]*)"', tag.group(0))  # an empty value is left out
    return html.unescape(value.group(1)) if value else ""


def _why_and_what(response) -> tuple[str, str]:
    """The diff page's two parts as text: the reasons, and the changes."""
    body = response.content.decode().split('class="diff-why"', 1)[1]
    why, what = body.split('class="diff-what"', 1)
    strip = lambda part: re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", part))).strip()  # noqa: E731
    return strip(why), strip(what)


def _open(client, city, plan, title="Annual review 2024") -> Review:
    response = client.post(reverse("plans:reviews", args=[city.slug, plan.pk]),
                           {"title": title, "period": "2024", "reviewers": "Local prevention network"})
    assert response.status_code == 302, _text(response)
    review = Review.objects.get(plan=plan, status=ReviewStatus.OPEN)
    assert response["Location"] == reverse("plans:review", args=[city.slug, review.pk])
    return review


def _save(client, city, review, page=None, **texts):
    """Post the review's form as a browser would: the version and starting texts the page carried."""
    page = page or client.get(reverse("plans:review", args=[city.slug, review.pk]))
    data = {"version": _hidden(page, "version")}
    for name in ["findings", "recommendations", "decisions"]:
        data[f"base_{name}"] = _hidden(page, f"base_{name}")
        box = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', page.content.decode(), re.S)
        data[name] = texts.get(name, html.unescape(box.group(1)))
    return client.post(reverse("plans:review", args=[city.slug, review.pk]), data)


def _decide(c, city, review, name, **kwargs):
    """Press "adopt" or "close" as the review page offers it: with the review's version and the plan's
    structure as the page showed them."""
    page = c.get(reverse("plans:review", args=[city.slug, review.pk]))
    review.refresh_from_db()
    return c.post(reverse(name, args=[city.slug, review.pk]),
                  {"version": review.version, "structure": page.context["structure_token"]}, **kwargs)


def test_a_review_opened_on_the_page_adopts_version_two_and_the_diff_says_what_changed_and_why(
        adopted, city, users, client_for):
    c, plan, coordinator = client_for("coordinator"), adopted["plan"], users["coordinator"]
    reviews_page = c.get(reverse("plans:reviews", args=[city.slug, plan.pk]))
    assert reviews_page.status_code == 200 and "Open a review" in _text(reviews_page)

    review = _open(c, city, plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.UNDER_REVIEW

    # The review changes the plan: a bigger budget, one more partner, a higher target, a new pillar.
    mentoring, indicator = adopted["mentoring"], adopted["indicator"]
    mentoring.refresh_from_db()
    services.update_item(actor=coordinator, item=mentoring, expected_version=mentoring.version,
                         budget=Decimal("150000"), partners=[adopted["partner"], adopted["newcomer"]])
    indicator.refresh_from_db()
    services.update_item(actor=coordinator, item=indicator, expected_version=indicator.version,
                         targets={2024: 50, 2025: 150})
    services.add_pillar(actor=coordinator, plan=plan, code="2", title="Basic needs first")

    page = c.get(reverse("plans:review", args=[city.slug, review.pk]))
    live = _text(page)
    assert "Changes so far" in live
    assert "+ added Pillar 2 Basic needs first" in live
    assert "Budget before: 100,000 KES → after: 150,000 KES" in live
    assert f"Partners + added: {adopted['newcomer'].name}" in live
    assert "Targets 2025 : before: 120 → after: 150" in live

    decisions = "Scale up mentoring to the northern wards; open a basic-needs pillar."
    saved = _save(c, city, review, page, findings="Mentoring reached 48 of 50 young people.", decisions=decisions)
    assert saved.status_code == 302
    review.refresh_from_db()
    assert review.decisions == decisions

    adopted_response = _decide(c, city, review, "plans:adopt_review")
    assert adopted_response.status_code == 302
    assert adopted_response["Location"] == reverse("plans:diff", args=[city.slug, plan.pk]) + "?from=1&to=2"
    plan.refresh_from_db()
    review.refresh_from_db()
    assert (plan.adopted_version, plan.status, review.status) == (2, PlanStatus.REVISED, ReviewStatus.ADOPTED)

    diff_page = c.get(adopted_response["Location"], follow=True)
    text = _text(diff_page)
    assert "adopted as version 2" in text  # the success message
    assert "From version 1 to version 2" in text
    why, what = _why_and_what(diff_page)
    assert decisions in why and "Annual review 2024" in why
    assert "+ added Pillar 2 Basic needs first" in what
    assert "~ changed Activity 1.1.1 Mentoring" in what and "Budget before: 100,000 KES → after: 150,000 KES" in what
    assert "~ changed Plan indicator I1" in what and "Targets 2025 : before: 120 → after: 150" in what
    assert "Removed" not in what

    versions = _text(c.get(reverse("plans:versions", args=[city.slug, plan.pk])))
    assert "Adopted by the county assembly" in versions and decisions in versions
    assert "from version 1 to 2" in versions and "Annual review 2024" in versions


def test_two_coordinators_writing_findings_from_the_same_version_the_second_merges_and_nothing_is_lost(
        adopted, city, users, client_for):
    plan = adopted["plan"]
    review = services.open_review(actor=users["coordinator"], plan=plan, title="Annual review 2024", period="2024")
    first, second = client_for("coordinator"), client_for("admin")
    url = reverse("plans:review", args=[city.slug, review.pk])
    first_page, second_page = first.get(url), second.get(url)

    mine = "Mentoring reached 48 of 50 young people; girls were fewer than planned."
    theirs = "Spending was slower than planned in the first half."
    assert _save(first, city, review, first_page, findings=mine).status_code == 302
    conflict = _save(second, city, review, second_page, findings=theirs)

    assert conflict.status_code == 409
    text = _text(conflict)
    assert "Someone else saved this review while you were writing" in text
    assert "coordinator saved it at" in text
    assert mine in text and theirs in text  # both texts kept on the page
    assert "You both changed this" in text
    review.refresh_from_db()
    assert review.findings == mine  # the first person's text is intact

    # The conflict page starts from what the first person saved: the merged text now saves.
    assert _hidden(conflict, "base_findings") == mine
    merged = f"{mine}\n{theirs}"
    assert _save(second, city, review, conflict, findings=merged).status_code == 302
    review.refresh_from_db()
    assert review.findings == merged


def test_changes_to_different_parts_come_back_already_combined(adopted, city, users, client_for):
    review = services.open_review(actor=users["coordinator"], plan=adopted["plan"], title="Review", period="2024")
    first, second = client_for("coordinator"), client_for("admin")
    url = reverse("plans:review", args=[city.slug, review.pk])
    first_page, second_page = first.get(url), second.get(url)
    assert _save(first, city, review, first_page, findings="Findings of the first").status_code == 302
    conflict = _save(second, city, review, second_page, recommendations="Recommendations of the second")
    assert conflict.status_code == 409
    body = conflict.content.decode()
    # Each box holds the one change made to it: the first person's findings, the second's recommendations.
    assert re.search(r'<textarea name="findings"[^>]*>\s*Findings of the first</textarea>', body)
    assert re.search(r'<textarea name="recommendations"[^>]*>\s*Recommendations of the second</textarea>', body)
    assert _save(second, city, review, conflict).status_code == 302
    review.refresh_from_db()
    assert (review.findings, review.recommendations) == ("Findings of the first", "Recommendations of the second")


def test_closing_a_review_that_changed_the_plan_is_refused_with_a_clear_message(adopted, city, users, client_for):
    c, plan = client_for("coordinator"), adopted["plan"]
    review = _open(c, city, plan)
    mentoring = adopted["mentoring"]
    mentoring.refresh_from_db()
    services.update_item(actor=users["coordinator"], item=mentoring, expected_version=mentoring.version,
                         budget=Decimal("90000"))

    response = _decide(c, city, review, "plans:close_review", follow=True)
    assert response.redirect_chain[-1][0] == reverse("plans:review", args=[city.slug, review.pk])
    assert "The plan was changed during this review: adopt the changes as a new version, or undo them" \
        in _text(response)
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN

    services.update_item(actor=users["coordinator"], item=mentoring, expected_version=mentoring.version,
                         budget=Decimal("100000"))
    closed = _decide(c, city, review, "plans:close_review", follow=True)
    assert "closed without changes" in _text(closed)
    review.refresh_from_db()
    plan.refresh_from_db()
    assert (review.status, plan.status, plan.adopted_version) == (ReviewStatus.CLOSED, PlanStatus.ADOPTED, 1)


def test_the_diff_to_the_current_structure_shows_what_the_open_review_changed(adopted, city, users, client_for):
    plan = adopted["plan"]
    review = services.open_review(actor=users["coordinator"], plan=plan, title="Mid-term review", period="2025")
    services.update_review(actor=users["coordinator"], review=review, decisions="Drop the indicator for now.")
    # Straight to the database: the diff reads only snapshots, whatever removed the row.
    adopted["indicator"].delete()
    mentoring = adopted["mentoring"]
    mentoring.refresh_from_db()
    services.update_item(actor=users["member"], item=mentoring, expected_version=mentoring.version, status="ongoing")
    response = client_for("analyst").get(reverse("plans:diff", args=[city.slug, plan.pk]) + "?from=1&to=current")
    assert response.status_code == 200
    text = _text(response)
    assert "From version 1 to the plan as it stands now" in text
    assert "Not adopted yet" in text and "Mid-term review" in text and "Drop the indicator for now." in text
    why, what = _why_and_what(response)
    assert "− removed Plan indicator I1 Young people mentored" in what
    assert "Added" not in what and "Drop the indicator for now." in why
    # How an activity is running is kept apart from what the review changed in the plan.
    assert "Changed (" not in what
    assert "Changed while running the activities (1)" in what and "Status before: Planned → after: Ongoing" in what


def test_readers_read_the_review_and_only_coordinators_write_or_finish_it(adopted, city, users, client_for):
    review = services.open_review(actor=users["coordinator"], plan=adopted["plan"], title="Review", period="2024")
    services.update_review(actor=users["coordinator"], review=review, findings="Good progress.")
    member = client_for("member")
    page = member.get(reverse("plans:review", args=[city.slug, review.pk]))
    assert page.status_code == 200 and "Good progress." in _text(page)
    assert "<textarea" not in page.content.decode() and "Adopt the changes" not in _text(page)
    assert member.post(reverse("plans:review", args=[city.slug, review.pk]),
                       {"version": review.version, "findings": "x"}).status_code == 403
    assert member.post(reverse("plans:adopt_review", args=[city.slug, review.pk])).status_code == 403
    assert member.post(reverse("plans:close_review", args=[city.slug, review.pk])).status_code == 403
    assert member.post(reverse("plans:reviews", args=[city.slug, adopted["plan"].pk]),
                       {"title": "x", "period": "2024"}).status_code == 403
    review.refresh_from_db()
    assert (review.status, review.findings) == (ReviewStatus.OPEN, "Good progress.")


def test_finishing_a_finished_review_again_says_so(adopted, city, users, client_for):
    plan = adopted["plan"]
    review = services.open_review(actor=users["coordinator"], plan=plan, title="Review", period="2024")
    services.add_pillar(actor=users["coordinator"], plan=plan, code="2", title="Basic needs first")
    services.update_review(actor=users["coordinator"], review=review, decisions="Add basic needs.")
    services.adopt_review(actor=users["coordinator"], review=review)
    c = client_for("admin")
    for name in ["plans:adopt_review", "plans:close_review"]:
        response = c.post(reverse(name, args=[city.slug, review.pk]), follow=True)
        assert "This review is already finished." in _text(response)
    assert plan.versions.count() == 2
    page = _text(c.get(reverse("plans:review", args=[city.slug, review.pk])))
    assert "adopted as version 2" in page and "Add basic needs." in page


def test_a_version_that_does_not_exist_is_refused_with_the_ones_that_do(adopted, city, client_for):
    url = reverse("plans:diff", args=[city.slug, adopted["plan"].pk])
    response = client_for("coordinator").get(url + "?from=1&to=7")
    assert response.status_code == 400
    assert "Pick two of the plan's versions (1) or its current state." in _text(response)
