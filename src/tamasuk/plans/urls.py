from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("c/<slug:slug>/plans/", views.plans, name="plans"),
    path("c/<slug:slug>/plans/<int:pk>/", views.plan, name="plan"),
]
