from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("c/<slug:slug>/directory/", views.directory, name="directory"),
    path("c/<slug:slug>/organisations/new/", views.new_organisation, name="new_organisation"),
    path("c/<slug:slug>/organisations/<int:pk>/", views.organisation, name="organisation"),
    path("c/<slug:slug>/organisations/<int:pk>/edit/", views.edit_organisation, name="edit_organisation"),
    path("c/<slug:slug>/organisations/<int:pk>/services/new/", views.edit_service, name="new_service"),
    path("c/<slug:slug>/organisations/<int:pk>/services/<int:service_pk>/", views.edit_service,
         name="edit_service"),
]
