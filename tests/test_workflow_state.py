"""What a stored workflow gives back once restored."""

from __future__ import annotations

import json
import zlib

from sqlalchemy import select

from engine import runtime, services
from engine.bpmn.workflow import RunningWorkflow
from engine.db.models import Instance


def test_a_finished_workflow_without_a_last_task_still_gives_its_data(deployed, uow, database):
    started = services.start_instance("claim", {"amount": 1}, "alice", uow())
    (review,) = services.list_tasks(uow(), reference=started.reference)
    services.complete_task(review.id, {"accepted": False}, "alice", uow())
    with database.unit_of_work(read_only=True) as reading:
        row = reading.session.scalar(select(Instance))
        library = runtime.library_of(row.process_version)
        stored = json.loads(zlib.decompress(row.state))
    stored["last_task"] = None  # as SpiffWorkflow's migration leaves it when that task is gone

    restored = RunningWorkflow.restore(
        library, "claim", zlib.compress(json.dumps(stored).encode("utf-8"))
    )

    assert restored.completed
    assert restored.current_data()["accepted"] is False
    assert restored.current_data()["reference"] == started.reference
