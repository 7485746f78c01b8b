from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("c/<slug:slug>/audit/", views.audit, name="audit"),
    path("c/<slug:slug>/audit/forget/", views.forget_person, name="forget_person"),
]
