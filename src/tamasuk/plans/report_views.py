"""The review report as a PDF download. Thin: the report module reads, renders and keeps the renders.

The first download of a report's current content queues its rendering for the task worker and sends the reader
to a page that refreshes itself (no JavaScript) until the PDF is ready; every later download of the same content
is served at once from the kept render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.downloads import attachment
from tamasuk.web.nav import city_nav

from . import review_report, services
from .models import RenderStatus, ReportRender

REFRESH_SECONDS = 2


def _language(request) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang in dict(settings.LANGUAGES) else translation.get_language()


@require_safe
@login_required
@city_page(Action.VIEW_SMALL_CELLS)  # the report shows every count unsuppressed: the city team only
def review_pdf(request, city, pk):
    review = review_report.review_in_city(request.user, city, pk)
    language = _language(request)
    made = services.request_review_report(actor=request.user, review=review, language=language)
    if made.status != RenderStatus.READY:
        return redirect(f"{reverse('plans:review_pdf_wait', args=[city.slug, review.pk])}?lang={language}")
    name = f"review-{slugify(review.plan.title) or 'plan'}-{slugify(review.period) or review.pk}-{language}.pdf"
    return attachment(bytes(made.pdf), name, "application/pdf")


@require_safe
@login_required
@city_page(Action.VIEW_SMALL_CELLS)
def review_pdf_wait(request, city, pk):
    """Where the report's rendering stands; the page reloads itself until it is ready, then starts the download."""
    review = review_report.review_in_city(request.user, city, pk)
    language = _language(request)
    made = (ReportRender.objects.filter(review=review, language=language).defer("pdf", "html")
            .order_by("-requested_at").first())
    elapsed = round((timezone.now() - made.requested_at).total_seconds()) if made else 0
    pdf_url = f"{reverse('plans:review_pdf', args=[city.slug, review.pk])}?lang={language}"
    response = render(request, "plans/review_pdf_wait.html", {
        **city_nav(request, city), "review": review, "plan": review.plan, "render": made, "language": language,
        "pdf_url": pdf_url, "elapsed": elapsed, "typical": review_report.typical_seconds(city),
        "refresh": REFRESH_SECONDS, "waiting": made is not None and made.status in (RenderStatus.QUEUED,
                                                                                  RenderStatus.RUNNING),
    })
    response["Cache-Control"] = "no-store"
    # The Refresh header reloads the page (no JavaScript needed): every few seconds while it is drawn, then once
    # to the PDF, which the browser downloads while this page stays.
    if made is not None and made.status in (RenderStatus.QUEUED, RenderStatus.RUNNING):
        response["Refresh"] = str(REFRESH_SECONDS)
    elif made is not None and made.status == RenderStatus.READY:
        response["Refresh"] = f"0; url={pdf_url}"
    return response
