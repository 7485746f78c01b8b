"""The signed-in user's own API tokens: create one (its secret is shown once), revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import TokenForm
from .models import ApiToken
from .services import create_token, revoke_token


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _token, new_secret = create_token(actor=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    return render(request, "api/tokens.html", {
        "form": form, "new_secret": new_secret, "tokens": ApiToken.objects.filter(user=request.user),
    })


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only your own tokens
    revoke_token(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api:tokens")
