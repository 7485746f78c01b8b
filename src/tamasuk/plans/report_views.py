"""The review report as a PDF download. Thin: the report module reads and renders."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils import translation
from django.utils.text import slugify

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page

from . import review_report


def _language(request) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in dict(settings.LANGUAGES) else translation.get_language()


@login_required
@city_page(Action.VIEW_SMALL_CELLS)  # the report shows every count unsuppressed: the city team only
def review_pdf(request, city, pk):
    review = review_report.review_in_city(request.user, city, pk)
    language = _language(request)
    with translation.override(language):
        data = review_report.pdf(request.user, review)
    name = f"review-{slugify(review.plan.title) or 'plan'}-{slugify(review.period) or review.pk}-{language}.pdf"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
