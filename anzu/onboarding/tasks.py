from __future__ import annotations

from huey.contrib.djhuey import db_task

from anzu.onboarding import services


@db_task()
def run_import_job(job_id: int) -> None:
    """Validate and import the uploaded file of a queued job. Running it twice is harmless."""
    services.import_job_run(job_id=job_id)
