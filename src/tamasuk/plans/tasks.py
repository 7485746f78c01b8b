"""Background tasks of the plans app, run by `tamasuk db_worker` (started by `tamasuk serve`)."""

from django_tasks import task

from . import review_report


@task()
def render_review_report(render_id: int) -> str:
    """Draw one review report's PDF (10 seconds or more for a plan like the demo's); the render row says when
    it is ready, and the waiting page shows it."""
    return review_report.run_render(render_id)
