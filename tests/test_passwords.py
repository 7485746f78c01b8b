"""Accounts (issue 17, item 7): a user changes their own password; a city administrator hands a member a one-time
link to set a new one (no e-mail server needed); both audited without any trace of the password or the link."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from tamasuk.audit.models import AuditEvent

NEW = "a-new-long-passphrase-42"


def _signs_in(username: str, password: str) -> bool:
    return Client().post(reverse("web:login"), {"username": username, "password": password}).status_code == 302


def _payloads(action: str) -> list[str]:
    return [e.payload.body for e in AuditEvent.objects.filter(action=action).select_related("payload")]


def test_a_user_changes_their_password_and_their_other_sessions_end(db, users):
    users["analyst"].set_password("the-old-password-1")
    users["analyst"].save()
    here, elsewhere = Client(), Client()
    for c in (here, elsewhere):
        assert c.post(reverse("web:login"), {"username": "analyst", "password": "the-old-password-1"}).status_code == 302
    page = here.get(reverse("web:password_change"))
    assert page.status_code == 200 and "Change your password" in page.content.decode()

    wrong = here.post(reverse("web:password_change"), {"old_password": "not-it-at-all", "new_password1": NEW,
                                                       "new_password2": NEW})
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in wrong.content.decode()
    short = here.post(reverse("web:password_change"), {"old_password": "the-old-password-1",
                                                       "new_password1": "short", "new_password2": "short"})
    assert "too short" in short.content.decode()

    done = here.post(reverse("web:password_change"), {"old_password": "the-old-password-1", "new_password1": NEW,
                                                      "new_password2": NEW}, follow=True)
    assert "Your password was changed." in done.content.decode()
    assert here.get(reverse("web:password_change")).status_code == 200  # still signed in here
    assert elsewhere.get(reverse("web:password_change")).status_code == 302  # signed out there
    assert _signs_in("analyst", NEW) and not _signs_in("analyst", "the-old-password-1")
    [payload] = _payloads("user.password_change")
    assert NEW not in payload and "analyst" in payload


def test_an_administrator_hands_a_member_a_one_time_link(db, city, users, client_for):
    from tamasuk.cities.models import Membership

    member = Membership.objects.get(city=city, user=users["member"])
    answer = client_for("admin").post(reverse("cities:membership_change", args=[city.slug, member.pk]),
                                      {"reset_link": "1"}, follow=True)
    text = answer.content.decode()
    link = re.search(r"http://testserver(/accounts/reset/[^/]+/[^/]+/)", text).group(1)
    [payload] = _payloads("user.password_reset_link")
    assert "member" in payload and link.split("/")[-2] not in payload  # the token is never stored

    visitor = Client()
    opened = visitor.get(link, follow=True)  # Django moves the token from the address into the session
    assert "Set a new password" in opened.content.decode() and 'name="new_password1"' in opened.content.decode()
    form_url = opened.redirect_chain[-1][0]
    done = visitor.post(form_url, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "Your new password is set" in done.content.decode()
    assert _signs_in("member", NEW)
    assert len(_payloads("user.password_reset")) == 1

    again = Client().get(link, follow=True).content.decode()
    assert "has been used already" in again and 'name="new_password1"' not in again


def test_no_link_for_ones_own_account_an_account_of_another_city_or_by_a_non_administrator(
        db, city, users, client_for):
    from tamasuk.cities import services
    from tamasuk.cities.models import City, Membership, Role

    saida = City.objects.get(slug="saida")
    services.grant_membership(actor="test", city=saida, user=users["analyst"], role=Role.MEMBER)
    page = client_for("admin").get(reverse("cities:memberships", args=[city.slug])).content.decode()
    rows = {m.user.username: m.pk for m in Membership.objects.filter(city=city)}
    offered = {name for name in rows for row in page.split("<tr>")
               if row.startswith(f"\n<td>{name}") and 'name="reset_link"' in row}
    assert "member" in offered and not {"admin", "analyst"} & offered
    for username, expected in [("admin", "Change your own password"), ("analyst", "has a role in another city")]:
        answer = client_for("admin").post(reverse("cities:membership_change", args=[city.slug, rows[username]]),
                                          {"reset_link": "1"}, follow=True)
        assert expected in answer.content.decode(), username
    assert not _payloads("user.password_reset_link")
    refused = client_for("coordinator").post(reverse("cities:membership_change", args=[city.slug, rows["member"]]),
                                             {"reset_link": "1"})
    assert refused.status_code == 403
