from django.urls import path

from . import job_views

app_name = "imports"

urlpatterns = [
    path("c/<slug:slug>/imports/", job_views.jobs, name="jobs"),
    path("c/<slug:slug>/imports/<int:pk>/", job_views.job_page, name="job"),
    path("c/<slug:slug>/imports/<int:pk>/progress/", job_views.progress, name="progress"),
    path("c/<slug:slug>/imports/<int:pk>/confirm/", job_views.confirm, name="confirm"),
    path("c/<slug:slug>/imports/<int:pk>/retry/", job_views.retry, name="retry"),
    path("c/<slug:slug>/imports/<int:pk>/discard/", job_views.discard, name="discard"),
    path("c/<slug:slug>/imports/<slug:kind>/", job_views.upload, name="upload"),
]
