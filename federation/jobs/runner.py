"""The Runner port: where an approved job's Flower run is started, followed and stopped.

One adapter talks to a SuperLink through its Control API (`federation/training/control.py`) and reads what
the ServerApp writes to its output folder (`<out>/<run_id>/progress.jsonl`, `metrics.json`,
`model.safetensors`, `done.json`; the training contract in docs/training.md). `DeployedFlowerRunner` is a
SuperLink someone else runs, given by its Control API address and the folder its ServerApp writes to;
`LocalFlowerRunner` is the same code over the SuperLink and SuperNodes `federation/training/local.py`
starts on localhost.

A run's sites are not chosen here: the ServerApp offers each round to every connected SuperNode, and a
site without this job's approvals refuses at its gate (that refusal is the enforcement; the hub's choice
is only what it asks for). `min-sites` in the run config says how many answers a round needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from registry.errors import InputError, NotFound

Scalar = bool | int | float | str
RUN_ID = re.compile(r"[0-9]{1,20}\Z")


@dataclass(frozen=True)
class RunStatus:
    run_id: str
    state: str  # "pending", "running", "completed", "failed", "stopped"
    round: int  # rounds finished so far
    rounds: int  # rounds asked for (0 when not known yet)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)  # last round, as the sites disclosed
    history: tuple[dict[str, Any], ...] = ()  # one progress line per finished round
    metrics: dict[str, Any] = field(default_factory=dict)  # the last round's aggregate metrics
    error: str | None = None
    artifacts: Path | None = None  # the run's output folder, once it is complete

    @property
    def finished(self) -> bool:
        return self.state in ("completed", "failed", "stopped")


class Runner(Protocol):
    def start(self, fab: bytes, run_config: Mapping[str, Scalar], sites: list[str]) -> str: ...

    def status(self, run_id: str) -> RunStatus: ...

    def stop(self, run_id: str) -> None: ...


def check_run_id(run_id: str) -> int:
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise InputError(f"run id {str(run_id)[:40]!r} is not a Flower run id (digits)")
    return int(run_id)


class DeployedFlowerRunner:
    """A SuperLink given by its Control API address; `out_dir` is where its ServerApp writes runs."""

    def __init__(self, control_address: str, out_dir: Path, *, rounds: int = 0) -> None:
        self.control_address = control_address
        self.out_dir = out_dir
        self._rounds: dict[str, int] = {}
        self._default_rounds = rounds

    def start(self, fab: bytes, run_config: Mapping[str, Scalar], sites: list[str]) -> str:
        from federation.training.control import ControlClient  # flwr is the train extra

        with ControlClient(self.control_address) as control:
            run_id = str(control.start_run(fab, run_config))
        rounds = run_config.get("num-server-rounds", self._default_rounds)
        self._rounds[run_id] = rounds if isinstance(rounds, int) and not isinstance(rounds, bool) else 0
        return run_id

    def status(self, run_id: str) -> RunStatus:
        from federation.training.control import ControlClient

        number = check_run_id(run_id)
        with ControlClient(self.control_address) as control:
            info = control.run(number)
        folder = self.out_dir / run_id
        history = tuple(_progress(folder / "progress.jsonl"))
        done = _json_file(folder / "done.json")
        last = history[-1] if history else {}
        state = "running" if info.status == "running" else "pending"
        error: str | None = None
        if info.finished:
            # the ServerApp's own verdict counts; a run Flower calls completed without done.json failed
            verdict = done.get("status") if done else None
            if info.sub_status == "stopped":
                state = "stopped"
            elif info.sub_status == "completed" and verdict == "completed":
                state = "completed"
            else:
                state = "failed"
                error = str(done.get("error") or info.details or "the run ended without its results")[:2000]
        return RunStatus(
            run_id=run_id, state=state, round=int(last.get("round", 0)),
            rounds=self._rounds.get(run_id, self._default_rounds), sites=dict(last.get("sites") or {}),
            history=history, metrics=dict(last.get("metrics") or {}), error=error,
            artifacts=folder if state == "completed" else None,
        )  # fmt: skip

    def stop(self, run_id: str) -> None:
        from federation.training.control import ControlClient

        with ControlClient(self.control_address) as control:
            control.stop_run(check_run_id(run_id))


class LocalFlower(Protocol):
    """What LocalFlowerRunner needs of federation/training/local.py's LocalFlower (once started)."""

    @property
    def address(self) -> str: ...  # the SuperLink's one address (Control, Fleet and Runtime APIs)

    out: Path | None  # FAIRGRID_TRAINING_OUT of its SuperLink


class LocalFlowerRunner(DeployedFlowerRunner):
    """The SuperLink and SuperNodes (with their gates) that federation/training/local.py starts here."""

    def __init__(self, flower: LocalFlower) -> None:
        if flower.out is None:
            raise InputError("start the local SuperLink before dispatching to it")
        super().__init__(flower.address, flower.out)
        self.flower = flower


def _progress(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line being written as we read
        if isinstance(entry, dict):
            out.append(entry)
    return out


def _json_file(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def run_metrics(folder: Path) -> dict[str, Any]:
    """metrics.json of a completed run; NotFound when the ServerApp did not write it."""
    value = _json_file(folder / "metrics.json")
    if not value:
        raise NotFound(f"the run's output {folder.name} has no metrics.json")
    return value
