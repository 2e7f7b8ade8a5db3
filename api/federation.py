"""Wiring of the hub's federation parts onto the app: broker, site directory, audit, feasibility service.

The fan-out runs where the site connections are: in this process. With `fairgrid serve --workers N` the
agents' connections would be spread over the workers, so feasibility needs one worker (see README).
"""

from __future__ import annotations

from fastapi import FastAPI

from federation.hub.audit import HubAudit
from federation.hub.beacon import BeaconService
from federation.hub.broker import Broker
from federation.hub.feasibility import FeasibilityService
from federation.hub.sites import SiteDirectory
from federation.signing import load_or_create_key
from registry.wiring import Registry

HUB_KEY = "keys/hub-ed25519.pem"
AUDIT_FILE = "audit.sqlite"


def warm_up() -> None:
    """Build the UCUM unit registry (about a second) before the first question needs it."""
    from federation.criteria.units import check_unit

    check_unit("g/dL")


def install(app: FastAPI, registry: Registry) -> None:
    home = registry.settings.home
    directory = SiteDirectory(registry.records)
    broker = Broker(load_or_create_key(home / HUB_KEY), directory.key)
    app.state.broker = broker
    app.state.hub_audit = HubAudit(home / AUDIT_FILE)
    app.state.feasibility = FeasibilityService(
        broker, directory, registry.terms, registry.records, registry.search, app.state.hub_audit
    )
    app.state.beacon = BeaconService(app.state.feasibility, registry.terms)
