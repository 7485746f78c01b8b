from django.urls import path

from . import membership_views, settings_views

app_name = "cities"

urlpatterns = [
    path("c/<slug:slug>/members/", membership_views.memberships, name="memberships"),
    path("c/<slug:slug>/members/<int:pk>/", membership_views.membership_change, name="membership_change"),
    path("c/<slug:slug>/settings/", settings_views.city_settings, name="city_settings"),
]
