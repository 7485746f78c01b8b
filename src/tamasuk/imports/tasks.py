"""The import pipeline's one task, run by `tamasuk db_worker` (started by `tamasuk serve`)."""

from django_tasks import TaskContext, task

from . import runner


@task(takes_context=True)
def run_import(context: TaskContext, job_id: int, dry_run: bool) -> str:
    """Dry run or import of one uploaded file, of any kind; the job row carries progress and the summary."""
    return runner.run_job(job_id, dry_run=dry_run, task_id=str(context.task_result.id))
