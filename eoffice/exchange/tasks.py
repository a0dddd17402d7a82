"""Jobs of the exchange: deliver one outbox row; sweep the outbox for rows a back-off or a crash left waiting."""

from __future__ import annotations

from eoffice.exchange.outbox import JOB, deliver_outbox, sweep_outbox
from eoffice.extensions import jobs


@jobs.task(JOB, retries=0)  # the outbox row keeps the attempts and the back-off, not the queue
def deliver(outbox_id: int) -> dict:
    return deliver_outbox(outbox_id)


@jobs.periodic("exchange.sweep", minutes_setting="EXCHANGE_SWEEP_MINUTES")
def sweep() -> dict:
    return {"queued": sweep_outbox()}
