"""What cities registers with the audit log's erasure requests (audit.erasure): a role in the city makes an
account the city's to erase (the account's own name and email are blanked by the request itself)."""

from tamasuk.audit.erasure import Eraser

from .models import Membership


class MembershipEraser(Eraser):
    def has_account(self, user, city) -> bool:
        return Membership.objects.filter(user=user, city=city).exists()
