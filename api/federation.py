"""Wiring of the hub's federation parts onto the app: broker, site directory, audit, feasibility service;
and the one place the services writing to the hub's audit log are built (jobs, training, Zenodo publishing).

The fan-out runs where the site connections are: in this process. With `fairgrid serve --workers N` the
agents' connections would be spread over the workers, so a multi-worker hub refuses agents and questions
with a clear error instead of answering from some of the sites (docs/feasibility.md).
"""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI

import federation.training
from federation.hub.audit import HubAudit
from federation.hub.beacon import BeaconService
from federation.hub.broker import Broker
from federation.hub.feasibility import FeasibilityService
from federation.hub.sites import SiteDirectory
from federation.jobs.approvals import governance_key
from federation.jobs.dispatch import TrainingService
from federation.jobs.runner import DeployedFlowerRunner, Runner
from federation.jobs.service import JobService
from federation.signing import load_or_create_key
from federation.training.fab import fab_hash
from federation.training.flowerconfig import app_defaults
from registry.config import Settings
from registry.errors import FairgridError
from registry.publish.publisher import publisher_for
from registry.services.publish import PublishService, theme_labels
from registry.validation.bundle import ONTOLOGIES_DIR
from registry.wiring import Registry

log = logging.getLogger("fairgrid.training")
HUB_KEY = "keys/hub-ed25519.pem"
AUDIT_FILE = "audit.sqlite"
# The Flower app custodians approve (T1's project); the hub sends the FAB built from it
TRAINING_APP = Path(federation.training.__file__).parent / "app"


def warm_up() -> None:
    """Build the UCUM unit registry (about a second) before the first question needs it."""
    from federation.criteria.units import check_unit

    check_unit("g/dL")


def install(app: FastAPI, registry: Registry) -> None:
    home = registry.settings.home
    directory = SiteDirectory(registry.records)
    broker = Broker(load_or_create_key(home / HUB_KEY), directory.key)
    app.state.broker = broker
    app.state.hub_audit = hub_audit(registry)  # the process's one log, shared with job decisions
    fed = registry.settings.federation
    app.state.feasibility = FeasibilityService(
        broker, directory, registry.terms, registry.records, registry.search, app.state.hub_audit,
        default_deadline_ms=fed.deadline_ms, max_deadline_ms=fed.max_deadline_ms,
        single_process=fed.workers <= 1,  # 0 reaches a worker only as an explicit count (api/serving.py)
    )  # fmt: skip
    app.state.beacon = BeaconService(app.state.feasibility, registry.terms)
    from api.rest import models

    app.include_router(models.router)  # trained models' files, before the records' catch-all route


def app_fab() -> bytes:
    from federation.training.fab import build_fab  # flwr is the train extra

    return build_fab(TRAINING_APP).content


@functools.cache
def _app_declared() -> tuple[str, dict[str, Any]] | None:
    try:
        fab = app_fab()
    except ImportError:  # a hub without the train extra holds no app: dispatch checks at start
        return None
    return fab_hash(fab), app_defaults(fab)


def app_config(fab_hash: str) -> dict[str, Any] | None:
    """What the hub's training app declares, when `fab_hash` is that app."""
    held = _app_declared()
    return held[1] if held is not None and held[0] == fab_hash else None


@functools.cache
def _hub_audit(path: Path) -> HubAudit:
    return HubAudit(path)  # one connection per process (it is thread-safe), not one per request


def hub_audit(registry: Registry) -> HubAudit:
    """The hub's audit log in the registry home: feasibility questions, job decisions, training runs."""
    return _hub_audit((registry.settings.home / AUDIT_FILE).resolve())


def job_service(registry: Registry) -> JobService:
    """Training jobs, each committed decision audited in the hub's log (every caller builds it here)."""
    return JobService(
        registry.records,
        governance_key(registry.settings.home),
        audit=hub_audit(registry),
        app_config=app_config,
    )


def publish_service(registry: Registry, settings: Settings | None = None) -> PublishService:
    """Publishing to Zenodo, each publication audited in the hub's log (every caller builds it here).
    `settings`: other Zenodo settings than the registry's (the demo's local stand-in)."""
    s = settings or registry.settings
    labels = theme_labels(s.ontologies_dir or ONTOLOGIES_DIR)
    return PublishService(
        registry.records, s, functools.partial(publisher_for, s), hub_audit(registry), labels=labels
    )


def training_service(registry: Registry, runner: Runner | None = None) -> TrainingService:
    """Dispatch of approved jobs: to `runner`, or to the SuperLink the settings name (none: cannot start)."""
    s = registry.settings
    if runner is None and s.superlink_control:
        runner = DeployedFlowerRunner(s.superlink_control, s.training_out or s.home / "training-out")
    jobs = job_service(registry)
    return TrainingService(jobs, runner, app_fab, audit=jobs.audit)


def follow_in_background(training: TrainingService, iri: str) -> threading.Thread:
    """Follow a started run in this process until it ends (the model is registered without anyone
    asking); a hub that restarts meanwhile catches up when the job is next read (trainingJob refreshes)."""

    def follow() -> None:
        try:
            training.follow(iri, poll_s=2.0, timeout_s=24 * 3600)
        except FairgridError as exc:
            log.warning("following training job %s stopped: %s", iri, exc.message)

    thread = threading.Thread(target=follow, name=f"follow-{iri.rsplit('/', 1)[-1]}", daemon=True)
    thread.start()
    return thread
