"""What plans registers with the audit log's erasure requests (audit.erasure): kept review-report PDFs may print
what an erasure just blanked, so they are dropped; the next download draws the report again."""

from tamasuk.audit.erasure import Eraser

from .models import ReportRender


class ReportRenderEraser(Eraser):
    def forget(self, city) -> None:
        ReportRender.objects.filter(city=city).delete()
