"""Widgets shared by every app's forms.

`CheckableList` replaces multi-selects that need Ctrl-click (partners, areas, member organisations): checkboxes
in a scrollable box, with a text field that filters the list once JavaScript runs (web/checklist.js). Without
JavaScript it is a plain list of checkboxes that scrolls; nothing is lost. Logical CSS properties keep it
right-to-left in Arabic, and it fits a 360 px phone.
"""

from __future__ import annotations

from django import forms


class CheckableList(forms.CheckboxSelectMultiple):
    template_name = "web/widgets/checkable_list.html"
    option_template_name = "web/widgets/checkable_option.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = {str(v) for v in (value or [])}
        context["widget"]["chosen_count"] = sum(
            1 for _group, options, _index in context["widget"]["optgroups"] for o in options if str(o["value"]) in chosen)
        context["widget"]["option_count"] = sum(len(options) for _g, options, _i in context["widget"]["optgroups"])
        return context
