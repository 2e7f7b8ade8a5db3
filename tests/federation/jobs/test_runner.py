"""The Runner port against a real local SuperLink (LocalFlowerRunner, the DeployedFlowerRunner code over
federation/training/local.py): start, status while it waits for sites, stop, and the refusals. No
SuperNodes: T2's tiny gate-test app waits for one, so the run stays open until it is stopped. A completed
run is covered end to end in tests/federation/training/test_end_to_end.py."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from federation.jobs.record import JobSpec
from federation.jobs.runner import LocalFlowerRunner
from registry.errors import InputError, NotFound

pytest.importorskip("flwr")

from federation.training.fab import build_fab  # noqa: E402
from federation.training.flowerconfig import flower_run_config  # noqa: E402
from federation.training.local import LocalFlower  # noqa: E402

APP = Path(__file__).parents[1] / "training" / "apps" / "gatetest"


def test_start_status_stop_on_a_real_superlink(tmp_path: Path) -> None:
    fab = build_fab(APP)
    spec = JobSpec(
        title="runner", model="https://w3id.org/fairgrid/model/m", fab_hash=fab.hash,
        criteria={"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}, sites=("a",),
        rounds=1, strategy="FedAvg", purpose="p", expires=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    with LocalFlower(tmp_path / "flower") as flower:
        runner = LocalFlowerRunner(flower)
        run_id = runner.start(fab.content, flower_run_config(spec, "https://w3id.org/fairgrid/job/r"), ["a"])
        status = runner.status(run_id)
        assert status.state in ("pending", "running") and not status.finished
        assert status.round == 0 and status.rounds == 1 and status.artifacts is None
        runner.stop(run_id)
        deadline = time.monotonic() + 60
        while not (status := runner.status(run_id)).finished and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status.state == "stopped" and status.artifacts is None
        runner.stop(run_id)  # stopping a finished run is not an error
        with pytest.raises(NotFound):
            runner.status("12345")
        with pytest.raises(InputError):
            runner.status("1; drop")
