"""The checkable list that replaces Ctrl-click multi-selects (issue 10, item 10): every multi-select of the
project's forms, rendered without JavaScript as ticked checkboxes with a filter field for JavaScript to use."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms

import tamasuk
from tamasuk.web.widgets import CheckableList

# Short, fixed lists stay plain checkboxes: nothing to search in a handful of options.
SHORT_FIXED_LISTS = 12
FEW_CHOICES_FILLED_LATER = {"tamasuk.cities.forms.CitySettingsForm.languages"}  # the installation's four languages


def _form_classes():
    for info in pkgutil.walk_packages(tamasuk.__path__, "tamasuk."):
        if not info.name.endswith("forms"):
            continue
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_no_form_asks_for_ctrl_click_and_open_ended_lists_are_checkable_lists():
    found, wrong = [], []
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if not isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
                continue
            found.append(f"{cls.__module__}.{cls.__name__}.{name}")
            widget = field.widget
            # Choices filled in per city (organisations, wards, indicators) grow with the data: they need search.
            open_ended = isinstance(field, forms.ModelMultipleChoiceField) or not list(field.choices)
            if not isinstance(widget, forms.CheckboxSelectMultiple):
                wrong.append(f"{found[-1]}: {type(widget).__name__} needs Ctrl-click")
            elif found[-1] in FEW_CHOICES_FILLED_LATER:
                continue
            elif (open_ended or len(list(field.choices)) > SHORT_FIXED_LISTS) and not isinstance(widget, CheckableList):
                wrong.append(f"{found[-1]}: an open-ended list without search ({type(widget).__name__})")
    assert "tamasuk.plans.forms.ActivityForm.partners" in found and "tamasuk.network.coordination.forms.MeetingForm.attendees" in found
    assert wrong == []


class _Pick(forms.Form):
    wards = forms.MultipleChoiceField(choices=[(str(i), f"Ward {i}") for i in range(20)] + [("ar", "كيسوني")],
                                      widget=CheckableList, required=False)


def test_without_javascript_it_is_a_scrollable_list_of_checkboxes_that_sends_what_is_ticked(settings):
    html = str(_Pick(initial={"wards": ["3", "ar"]})["wards"])
    assert html.count('type="checkbox"') == 21 and "<select" not in html
    assert 'value="3" id="id_wards_3" checked' in html and 'data-checklist-filter' in html
    assert '<output data-checklist-count>2</output> / 21' in html
    assert "<bdi>كيسوني</bdi>" in html  # names keep their own direction in either page direction
    form = _Pick({"wards": ["3", "7"]})
    assert form.is_valid() and form.cleaned_data["wards"] == ["3", "7"]


def test_the_list_styles_use_logical_properties_only_so_arabic_mirrors():
    from pathlib import Path

    css = (Path(tamasuk.__file__).parent / "web" / "static" / "web" / "checklist.css").read_text()
    for physical in ["left", "right", "margin-top", "width:", "height:"]:
        assert f" {physical}" not in css.replace("inline-size", "").replace("block-size", ""), physical
