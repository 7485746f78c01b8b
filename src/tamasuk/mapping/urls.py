from django.urls import path

from . import area_views, data_views, import_views, views

app_name = "mapping"

urlpatterns = [
    path("c/<slug:slug>/areas/<str:code>/", area_views.area_page, name="area"),
    path("c/<slug:slug>/priorities/", views.priorities, name="priorities"),
    path("c/<slug:slug>/priorities/save/", views.save_profile, name="save_profile"),
    path("c/<slug:slug>/profiles/", views.profiles, name="profiles"),
    path("c/<slug:slug>/profiles/<int:pk>/", views.profile, name="profile"),
    path("c/<slug:slug>/profiles/<int:pk>/scores.csv", views.profile_csv, name="profile_csv"),
    path("c/<slug:slug>/profiles/<int:pk>/scores.geojson", views.profile_geojson, name="profile_geojson"),
    path("c/<slug:slug>/hotspots/", views.hotspots, name="hotspots"),
    path("c/<slug:slug>/reports/", views.reports, name="reports"),
    path("c/<slug:slug>/reports/new/", views.new_report, name="new_report"),
    path("c/<slug:slug>/reports/<int:pk>/moderate/", views.moderate_report, name="moderate_report"),
    path("c/<slug:slug>/indicators/", data_views.indicators, name="indicators"),
    path("c/<slug:slug>/indicators/<slug:code>/", data_views.edit_indicator, name="edit_indicator"),
    path("c/<slug:slug>/themes/<int:pk>/", data_views.rename_theme, name="rename_theme"),
    path("c/<slug:slug>/import/<int:pk>/values/", import_views.job_values, name="import_values"),
    path("c/<slug:slug>/import/blank/<slug:key>.<str:fmt>", import_views.blank_sheet, name="import_blank_sheet"),
]
