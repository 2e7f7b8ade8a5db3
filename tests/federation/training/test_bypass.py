"""Runs sent straight to the SuperLink's Control API, bypassing the hub, are refused by every site's gate.

One real SuperLink and three real SuperNodes (`--isolation process`), each with its gate, are shared by
the module. Four runs that must not train, each under its own job: (a) a modified app, (b) an app
approved only for another site, (c) an approval that expired, (d) a revoked approval. Every site
refuses each (an audit entry, an explicit error reply the ServerApp sees, no trace of the app having
run, the run ends failed), and the nodes keep serving: an approved run afterwards trains at all three.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.jobs.approvals import Approval, Revocation, sign_approval, sign_revocation
from federation.jobs.record import JobSpec, run_config
from federation.signing import public_text
from federation.site.approvals_store import ApprovalsStore
from federation.site.gate import read_audit
from federation.site.gate_runner import GATE_REFUSED, pin_governance_key
from federation.site.keys import site_key
from federation.training.fab import Fab, build_fab
from federation.training.flowerconfig import Scalar, flower_run_config
from federation.training.local import LocalFlower

pytest.importorskip("flwr")

APP = Path(__file__).parent / "apps" / "gatetest"
SITES = ("hospital-a", "hospital-b", "hospital-c")
BASE = "https://w3id.org/fairgrid/job/"
CRITERIA = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}
OTHER_COHORT = '{"inclusion":[[{"code":"C90","system":"icd10","type":"diagnosis"}]]}'


def spec(fab_hash: str) -> JobSpec:
    return JobSpec(
        title="gate test", model="https://w3id.org/fairgrid/model/m", fab_hash=fab_hash, criteria=CRITERIA,
        sites=SITES, rounds=1, strategy="FedAvg", purpose="testing the gate",
        expires=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip


@dataclass
class World:
    flower: LocalFlower
    fab: Fab
    modified: Fab
    homes: dict[str, Path]

    def start(self, fab: Fab, job: str, **changes: Scalar) -> int:
        from federation.training.control import ControlClient

        with ControlClient(self.flower.address) as c:
            return c.start_run(fab.content, {**flower_run_config(spec(fab.hash), BASE + job), **changes})

    def finish(self, run_id: int) -> tuple[str, dict[str, Any]]:
        from federation.training.control import ControlClient

        with ControlClient(self.flower.address) as c:
            deadline = time.monotonic() + 120
            while not (info := c.run(run_id)).finished and time.monotonic() < deadline:
                time.sleep(0.3)
        assert self.flower.out is not None
        result = json.loads((self.flower.out / str(run_id) / "result.json").read_text("utf-8"))
        return info.sub_status, result


def _approvals(gov: Ed25519PrivateKey, home: Path, site: str, job: str, fab_hash: str, *,
               for_site: str | None = None, expires: float | None = None) -> list[dict[str, Any]]:  # fmt: skip
    until = time.time() + 3600 if expires is None else expires
    out = []
    for authority, key in (("governance", gov), ("custodian", site_key(home))):
        a = Approval(f"appr-{job}-{authority}-{site}", authority, BASE + job, fab_hash,  # type: ignore[arg-type]
                     for_site or site, "testing the gate", run_config(spec(fab_hash)), until, "tester")  # fmt: skip
        out.append(sign_approval(a, key))
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("flower")
    fab = build_fab(APP)
    changed = root / "changed" / "gatetest"
    shutil.copytree(APP, changed, ignore=shutil.ignore_patterns("__pycache__"))
    code = changed / "gatetest" / "client_app.py"
    code.write_text(code.read_text("utf-8") + "\n# one more line: another app\n", "utf-8")
    modified = build_fab(changed)
    gov = Ed25519PrivateKey.generate()
    homes = {}
    for site in SITES:
        home = root / site
        home.mkdir()
        pin_governance_key(home, public_text(gov))
        docs = (
            _approvals(gov, home, site, "a-modified", fab.hash)  # approved: the original app
            + _approvals(gov, home, site, "b-other-site", fab.hash, for_site="hospital-z")
            + _approvals(gov, home, site, "c-expired", fab.hash, expires=time.time() - 60)
            + _approvals(gov, home, site, "d-revoked", fab.hash)
            + _approvals(gov, home, site, "e-approved", fab.hash)
            + _approvals(gov, home, site, "f-cohort", fab.hash)
        )
        revoked = sign_revocation(Revocation(f"appr-d-revoked-governance-{site}", "governance", time.time(),
                                             "withdrawn"), gov)  # fmt: skip
        ApprovalsStore(home).put(docs, [revoked])
        homes[site] = home
    flower = LocalFlower(root / "flower").start()
    try:
        for site in SITES:
            flower.add_node(site, homes[site], wait=False)  # the three start side by side
        flower.wait_nodes(len(SITES))
        yield World(flower, fab, modified, homes)
    finally:
        flower.stop()


def test_bypassing_runs_are_refused_everywhere_then_an_approved_run_trains(world: World) -> None:
    cases = {
        "a-modified": world.start(world.modified, "a-modified"),
        "b-other-site": world.start(world.fab, "b-other-site"),
        "c-expired": world.start(world.fab, "c-expired"),
        "d-revoked": world.start(world.fab, "d-revoked"),
        # the approved app on another cohort; no hub sync tells the sites the job's cohort: the
        # signed approval binds it
        "f-cohort": world.start(world.fab, "f-cohort", cohort=OTHER_COHORT),
    }
    why = {"a-modified": "FAB hash", "b-other-site": "hospital-z", "c-expired": "expired",
           "d-revoked": "revoked", "f-cohort": "cohort"}  # fmt: skip
    for case, run_id in cases.items():
        status, result = world.finish(run_id)
        assert status == "failed", (case, result)
        assert result["nodes"] == 3 and len(result["replies"]) == 3, (case, result)
        for reply in result["replies"].values():
            assert reply["code"] == GATE_REFUSED and why[case] in reply["error"], (case, reply)
        for site, home in world.homes.items():
            entries = [e for e in read_audit(home) if e["task"].startswith(f"{run_id}/")]
            assert entries and not any(e["allowed"] for e in entries), (case, site)
            assert not (home / "ran" / str(run_id)).exists()  # nothing of the app ran
            assert not (home / "flwr" / "apps").exists() or not any(
                p.name.endswith(world.modified.hash[:8]) for p in (home / "flwr" / "apps").iterdir()
            )  # the modified app was never even installed

    # a gate killed outright and started again serves on (it keeps no state of its own)
    killed = world.flower.nodes["hospital-b"].gate
    assert killed is not None
    killed.stop(signal.SIGKILL)
    world.flower.restart_gate("hospital-b")

    # the nodes keep serving: an approved run afterwards trains at every site
    run_id = world.start(world.fab, "e-approved")
    status, result = world.finish(run_id)
    assert status == "completed", result
    assert sorted(r["site"] for r in result["replies"].values()) == sorted(SITES)
    for home in world.homes.values():
        assert (home / "ran" / str(run_id)).exists()
        assert any(e["allowed"] for e in read_audit(home) if e["task"].startswith(f"{run_id}/"))
