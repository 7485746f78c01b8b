from django.urls import path, register_converter

from . import audit_views, dashboard_views, export_views, national_views, report_views, review_views, views

app_name = "plans"


class ItemKind:
    """pillar, objective, activity or indicator: nothing else, so other paths under a plan stay free."""

    regex = "pillar|objective|activity|indicator"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ItemKind, "kind")

urlpatterns = [
    path("c/<slug:slug>/plans/", views.plans, name="plans"),
    path("c/<slug:slug>/plans/<int:pk>/", views.plan, name="plan"),
    path("c/<slug:slug>/plans/<int:pk>/edit/", views.edit_plan, name="edit_plan"),
    path("c/<slug:slug>/plans/<int:pk>/adopt/", views.adopt, name="adopt"),
    path("c/<slug:slug>/plans/<int:pk>/<kind:kind>/new/", views.new_item, name="new_item"),
    path("c/<slug:slug>/plans/<int:pk>/<kind:kind>/<int:item_pk>/edit/", views.edit_item, name="edit_item"),
    path("c/<slug:slug>/plans/<int:pk>/<kind:kind>/<int:item_pk>/remove/", views.remove_item, name="remove_item"),
    path("c/<slug:slug>/plans/<int:pk>/activities/<int:activity_pk>/", views.activity, name="activity"),
    path("c/<slug:slug>/plans/<int:pk>/activities/<int:activity_pk>/progress/", views.record_progress,
         name="record_progress"),
    path("c/<slug:slug>/plans/<int:pk>/indicators/<int:indicator_pk>/values/", views.actuals, name="actuals"),
    path("c/<slug:slug>/evidence/<int:pk>/", views.evidence, name="evidence"),
    path("c/<slug:slug>/plans/<int:pk>/evidence-pack.zip", audit_views.evidence_pack_zip, name="evidence_pack"),
    # Review cycles, versions and what changed between them (review_views).
    path("c/<slug:slug>/plans/<int:pk>/reviews/", review_views.reviews, name="reviews"),
    path("c/<slug:slug>/reviews/<int:pk>/", review_views.review, name="review"),
    path("c/<slug:slug>/reviews/<int:pk>/adopt/", review_views.adopt_review, name="adopt_review"),
    path("c/<slug:slug>/reviews/<int:pk>/close/", review_views.close_review, name="close_review"),
    path("c/<slug:slug>/plans/<int:pk>/versions/", review_views.versions, name="versions"),
    path("c/<slug:slug>/plans/<int:pk>/diff/", review_views.diff_page, name="diff"),
    path("c/<slug:slug>/plans/<int:pk>/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("c/<slug:slug>/plans/<int:pk>/reporting/", dashboard_views.reporting, name="reporting"),
    # The national level: a country's National Action Plans, and its liaisons' view across its cities.
    path("national/<str:country>/", national_views.national, name="national"),
    path("national/<str:country>/frameworks/", national_views.frameworks, name="frameworks"),
    path("national/<str:country>/frameworks/<int:pk>/", national_views.framework, name="framework"),
    path("c/<slug:slug>/plans/<int:pk>/iati.xml", export_views.iati, name="iati"),
    path("c/<slug:slug>/reviews/<int:pk>/report.pdf", report_views.review_pdf, name="review_pdf"),
    path("c/<slug:slug>/reviews/<int:pk>/report/", report_views.review_pdf_wait, name="review_pdf_wait"),
]
