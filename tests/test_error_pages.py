"""Error pages (403, 404, 500, a refused form) speak the reader's language and offer a way back."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from tamasuk.web.errors import ERRORS


def _heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S).group(1).strip()


def _lang(response) -> tuple[str, str]:
    m = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.content.decode())
    return m.group(1), m.group(2)


@pytest.mark.parametrize("language", ["en", "ar", "fr"])
def test_a_missing_page_is_in_the_readers_language_with_a_link_home(client_for, language):
    client = client_for("coordinator")
    response = client.get("/c/mombasa/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert _lang(response) == (language, "rtl" if language == "ar" else "ltr")
    with translation.override(language):
        assert _heading(response) == gettext("Page not found") == str(ERRORS[404][0])
    assert 'href="/"' in response.content.decode()


def test_a_forbidden_page_links_back_to_the_city_the_reader_may_open(client_for):
    response = client_for("member").get("/c/mombasa/members/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 403
    body = response.content.decode()
    assert _lang(response) == ("ar", "rtl")
    assert 'href="/c/mombasa/"' in body and "Mombasa" in body
    assert 'href="/"' in body


def test_a_city_the_reader_may_not_open_is_not_linked(client_for):
    response = client_for("outsider").get("/c/mombasa/members/")
    assert response.status_code == 404  # as for a city nobody uses: the answer does not confirm it exists
    assert 'href="/c/mombasa/"' not in response.content.decode()


def test_an_expired_form_says_so_in_the_readers_language(db, users):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ar")
    client.force_login(users["coordinator"])
    response = client.post("/c/mombasa/settings/", {"suppression_k": 5},
                           HTTP_REFERER="http://testserver/c/mombasa/settings/")
    assert response.status_code == 403
    assert _lang(response) == ("ar", "rtl")
    with translation.override("ar"):
        assert _heading(response) == gettext("This form has expired")
    assert 'href="http://testserver/c/mombasa/settings/"' in response.content.decode()  # back to the form


def test_a_server_error_page_is_in_the_readers_language_and_needs_no_database():
    from django.utils.module_loading import import_string

    from tamasuk.urls import handler500

    request = RequestFactory().get("/c/mombasa/")
    with translation.override("ar"):
        response = import_string(handler500)(request)
        assert response.status_code == 500
        assert _lang(response) == ("ar", "rtl")
        assert _heading(response) == gettext("Something went wrong on our side")
    assert 'href="/"' in response.content.decode()
