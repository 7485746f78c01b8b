"""What an external auditor takes away: the plan's evidence pack. Thin: the pack is built in evidence_pack."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.views.decorators.http import require_safe

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page

from . import evidence_pack, queries


@require_safe
@login_required
@city_page(Action.VIEW_AUDIT)
def evidence_pack_zip(request, city, pk):
    plan = queries.plan(request.user, city, pk)
    # Spooled: a pack with many evidence files goes to disk instead of memory; FileResponse streams and closes it.
    out = tempfile.SpooledTemporaryFile(max_size=evidence_pack.SPOOL_BYTES)  # noqa: SIM115 - closed by FileResponse
    try:
        evidence_pack.write(request.user, plan, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=evidence_pack.file_name(plan),
                        content_type="application/zip")
