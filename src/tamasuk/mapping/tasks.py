"""Background tasks of the mapping app, run by `tamasuk db_worker` (started by `tamasuk serve`)."""

from django_tasks import TaskContext, task

from . import import_services


@task(takes_context=True)
def run_import(context: TaskContext, job_id: int, dry_run: bool) -> str:
    """Dry run or import of one uploaded spreadsheet; the job row carries progress and the summary."""
    return import_services.run_job(job_id, dry_run=dry_run, task_id=str(context.task_result.id))
