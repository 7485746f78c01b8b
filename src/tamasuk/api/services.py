import secrets

from django.db import transaction
from django.utils import timezone

from tamasuk.audit.services import record

from .models import ApiToken, hash_token


@transaction.atomic
def create_token(*, actor, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is never stored and cannot be shown again."""
    secret = "tmk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name.strip() or "token", prefix=secret[:10],
                                    token_hash=hash_token(secret))
    record(actor=actor, action="api_token.create", obj=token, after={"name": token.name, "prefix": token.prefix})
    return token, secret


@transaction.atomic
def revoke_token(*, actor, token: ApiToken) -> None:
    if token.revoked_at:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(actor=actor, action="api_token.revoke", obj=token, after={"name": token.name, "prefix": token.prefix})


def user_for_token(secret: str):
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(secret), revoked_at=None).first()
    if token is None or not token.user.is_active:
        return None
    # Last-used is a hint for the owner, not an audited change; update at most once a minute.
    now = timezone.now()
    if not token.last_used_at or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
