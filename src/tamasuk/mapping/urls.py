from django.urls import path

from . import views, views_data, views_import

app_name = "mapping"

urlpatterns = [
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
    path("c/<slug:slug>/reports/import/", views_data.import_reports, name="import_reports"),
    path("c/<slug:slug>/indicators/", views_data.indicators, name="indicators"),
    path("c/<slug:slug>/indicators/<slug:code>/", views_data.edit_indicator, name="edit_indicator"),
    path("c/<slug:slug>/themes/<int:pk>/", views_data.rename_theme, name="rename_theme"),
    path("c/<slug:slug>/import/", views_import.upload, name="import"),
    path("c/<slug:slug>/import/<int:pk>/", views_import.job_page, name="import_job"),
    path("c/<slug:slug>/import/<int:pk>/progress/", views_import.progress, name="import_progress"),
    path("c/<slug:slug>/import/<int:pk>/confirm/", views_import.confirm, name="import_confirm"),
    path("c/<slug:slug>/import/<int:pk>/values/", views_import.job_values, name="import_values"),
    path("c/<slug:slug>/import/blank/<slug:key>.<str:fmt>", views_import.blank_sheet, name="import_blank_sheet"),
]
