"""The pages of the API app (the JSON API itself is mounted from api.py under /api/v1/, namespace api-1)."""

from django.urls import path

from . import token_views

app_name = "api"

urlpatterns = [
    path("account/tokens/", token_views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
