"""Issue 11's shared helpers where no other test covers them directly: a service's ValidationError on a form
(web.errors.put_on_form) and the audit log's last change of an object (audit.queries.last_change)."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from tamasuk.audit.queries import last_change
from tamasuk.audit.services import record


class _Form(forms.Form):
    name = forms.CharField(required=False)
    file = forms.CharField(required=False)


def _form():
    form = _Form({})
    form.is_valid()
    return form


def test_errors_go_on_the_fields_they_name_and_the_rest_on_top():
    from tamasuk.web.errors import put_on_form

    form = _form()
    put_on_form(form, ValidationError({"name": ["Too short."], "nowhere": ["Elsewhere."]}))
    assert form.errors["name"] == ["Too short."]
    assert form.non_field_errors() == ["Elsewhere."]


def test_an_error_naming_no_field_goes_on_top_or_on_the_field_given():
    from tamasuk.web.errors import put_on_form

    form = _form()
    put_on_form(form, ValidationError("Wrong file."))
    assert form.non_field_errors() == ["Wrong file."]
    form = _form()
    put_on_form(form, ValidationError(["Too big.", "Empty."]), unnamed="file")
    assert form.errors["file"] == ["Too big.", "Empty."] and not form.non_field_errors()


def test_last_change_is_the_objects_latest_event_of_that_action(city, users):
    someone = next(iter(users.values()))
    assert last_change(city) is None or last_change(city).object_id == str(city.pk)
    with transaction.atomic():
        record(actor=someone, action="city.test.first", obj=city, city=city)
        second = record(actor=someone, action="city.test.second", obj=city, city=city)
    assert last_change(city) == second
    first = last_change(city, action="city.test.first")
    assert first.action == "city.test.first" and first.created_at <= second.created_at
    assert last_change(city, action="city.test.never") is None


def test_a_service_checks_its_actor_itself(city, users):
    """Defence in depth (cities/permissions.py): the service refuses a person without the right, whoever calls it
    (page, API, command); a system actor (the demo's or a command's name) is the operator's."""
    from tamasuk.network.coordination import services

    with pytest.raises(PermissionDenied):
        services.create_forum(actor=users["member"], city=city, name="Not allowed")
    assert services.create_forum(actor=users["coordinator"], city=city, name="Allowed").pk
    assert services.create_forum(actor="cli", city=city, name="By the operator").pk
