from django.urls import path

from .allocations import allocation_views
from .coordination import forum_views, meeting_views
from .directory import analysis_views, interop_views, organisation_views

app_name = "network"

urlpatterns = [
    path("c/<slug:slug>/directory/", organisation_views.directory, name="directory"),
    path("c/<slug:slug>/coverage/", analysis_views.coverage, name="coverage"),
    path("c/<slug:slug>/allocations/new/", allocation_views.new_allocation, name="new_allocation"),
    path("c/<slug:slug>/allocations/<int:pk>/", allocation_views.allocation, name="allocation"),
    path("c/<slug:slug>/allocations/<int:pk>/allocation.csv", allocation_views.allocation_csv, name="allocation_csv"),
    path("c/<slug:slug>/network/", analysis_views.network, name="network"),
    path("c/<slug:slug>/organisations/new/", organisation_views.new_organisation, name="new_organisation"),
    path("c/<slug:slug>/organisations/<int:pk>/", organisation_views.organisation, name="organisation"),
    path("c/<slug:slug>/organisations/<int:pk>/edit/", organisation_views.edit_organisation, name="edit_organisation"),
    path("c/<slug:slug>/organisations/<int:pk>/links/", organisation_views.add_link, name="add_link"),
    path("c/<slug:slug>/organisations/<int:pk>/services/new/", organisation_views.edit_service, name="new_service"),
    path("c/<slug:slug>/organisations/<int:pk>/services/<int:service_pk>/", organisation_views.edit_service,
         name="edit_service"),
    path("c/<slug:slug>/directory/export/3w/", interop_views.threew_export, name="threew_export"),
    path("c/<slug:slug>/directory/export/hsds.json", interop_views.hsds_export, name="hsds_export"),
    path("c/<slug:slug>/forums/", forum_views.forums, name="forums"),
    path("c/<slug:slug>/forums/<int:pk>/", forum_views.forum, name="forum"),
    path("c/<slug:slug>/forums/<int:pk>/edit/", forum_views.edit_forum, name="edit_forum"),
    path("c/<slug:slug>/forums/<int:pk>/meetings/new/", meeting_views.new_meeting, name="new_meeting"),
    path("c/<slug:slug>/forums/<int:pk>/meetings/rows/<str:kind>/", meeting_views.meeting_row, name="meeting_row"),
    path("c/<slug:slug>/meetings/<int:pk>/", meeting_views.meeting, name="meeting"),
    path("c/<slug:slug>/meetings/<int:pk>/edit/", meeting_views.edit_meeting, name="edit_meeting"),
    path("c/<slug:slug>/meetings/<int:pk>/minutes.md", meeting_views.minutes_md, name="minutes_md"),
    path("c/<slug:slug>/meetings/<int:pk>/minutes.pdf", meeting_views.minutes_pdf, name="minutes_pdf"),
    path("c/<slug:slug>/action-items/<int:pk>/status/", meeting_views.action_item_status, name="action_item_status"),
]
