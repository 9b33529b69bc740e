"""Background work of the contract archive: reading uploaded contracts and running batches."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from anzu.contracts import services


@db_task()
def process_contract(contract_id: int) -> None:
    """Read and review a pending contract. Running it twice is harmless."""
    services.contract_process(contract_id=contract_id)


@db_task()
def run_contract_batch(batch_id: int) -> None:
    """Archive and read the files of a queued batch. Running it twice is harmless."""
    services.contract_batch_run(batch_id=batch_id)
