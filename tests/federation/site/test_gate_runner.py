"""The gate runner's check of one task: the FAB's own bytes, the node's site, the sync's age, the run config
the app will read (the app's defaults included), the job's cohort, the GPU; every decision audited."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.criteria import parse_criteria
from federation.jobs.approvals import Approval, sign_approval
from federation.local import fairgrid_command
from federation.signing import public_text
from federation.site.approvals_store import ApprovalsStore, HeldFileDamaged, pin_governance_key
from federation.site.gate import read_audit
from federation.site.gate_runner import GateConfig, check_task, could_allow
from federation.site.keys import site_key
from federation.training.fab import build_fab

APP = Path(__file__).parents[2] / "federation" / "training" / "apps" / "gatetest"
JOB = "https://w3id.org/fairgrid/job/j"
COHORT = '{"inclusion":[[{"code":"D46","system":"icd10","type":"diagnosis"}]]}'
APPROVED: dict[str, Any] = {"cohort": parse_criteria(COHORT).canonical(), "strategy": "FedAvg", "rounds": 2, "privacy": "central", "gpu": False,
                            "hyperparameters": {"lr": 0.05}, "epsilon": 4.0}  # fmt: skip
# the app's defaults (its pyproject) fused with what the job sets, as the SuperNode hands it over
FLAT: dict[str, Any] = {"job": JOB, "task": "", "cohort": COHORT, "strategy": "FedAvg", "num-server-rounds": 2,
                        "privacy": "central", "epsilon": 4.0, "delta": 1e-5, "gpu": False, "min-sites": 1,
                        "hp-lr": 0.05}  # fmt: skip


@pytest.fixture
def cfg(tmp_path: Path) -> GateConfig:
    gov = Ed25519PrivateKey.generate()
    pin_governance_key(tmp_path, public_text(gov))
    docs = [
        sign_approval(
            Approval(
                f"appr-{a}",
                a,  # type: ignore[arg-type]
                JOB,
                build_fab(APP).hash,
                "site-a",
                "p",
                APPROVED,
                time.time() + 3600,
                "x",
            ),
            k,
        )  # fmt: skip
        for a, k in (("governance", gov), ("custodian", site_key(tmp_path)))
    ]
    ApprovalsStore(tmp_path).put(docs, [], jobs={JOB: {"fab_hash": build_fab(APP).hash, "cohort": COHORT}})
    return GateConfig(tmp_path, "127.0.0.1:1", "site-a")


def check(cfg: GateConfig, *, fab: bytes | None = None, site: str = "site-a", **changes: Any) -> Any:
    content = build_fab(APP).content if fab is None else fab
    run = SimpleNamespace(fab_hash=build_fab(APP).hash)
    flat = {k: v for k, v in {**FLAT, **changes}.items() if v is not None}
    context = SimpleNamespace(run_config=flat, node_config={"site-id": site})
    return check_task(cfg, run, SimpleNamespace(content=content), context, "1/2")


def test_approved_run_allowed_app_defaults_included(cfg: GateConfig) -> None:
    d = check(cfg)
    assert d.allowed, d.reason
    assert check(cfg, **{"num-server-rounds": 1}).allowed  # type: ignore[arg-type]  # fewer rounds: within
    assert could_allow(cfg, build_fab(APP).hash)
    assert not could_allow(cfg, "0" * 64)
    entries = read_audit(cfg.home)
    assert len(entries) == 2 and all(e["allowed"] and e["task"] == "1/2" for e in entries)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"hp-lr": 0.5}, "hyperparameters"),  # an approved setting changed
        ({"delta": 0.5}, "hyperparameters"),  # an app default changed that nobody approved
        ({"epsilon": 0.0}, "epsilon"),  # the approved privacy budget dropped (0 is the app's "unset")
        ({"privacy": "none"}, "privacy"),
        ({"num-server-rounds": 3}, "rounds"),
        ({"gpu": True}, "GPU"),
        ({"cohort": '{"inclusion":[[{"code":"C90","system":"icd10","type":"diagnosis"}]]}'}, "cohort"),
        ({"surprise": 1}, "not a fairgrid training setting"),
        ({"job": "https://w3id.org/fairgrid/job/other"}, "no governance approval"),
    ],
)
def test_refused(cfg: GateConfig, changes: dict[str, Any], why: str) -> None:
    d = check(cfg, **changes)
    assert not d.allowed and why in d.reason, d.reason
    assert read_audit(cfg.home)[-1]["allowed"] is False


def test_fab_bytes_node_site_and_stale_sync(cfg: GateConfig) -> None:
    d = check(cfg, fab=build_fab(APP).content + b"x")
    assert not d.allowed and "FAB" in d.reason
    assert "site-id" in check(cfg, site="site-b").reason
    held = ApprovalsStore(cfg.home).read()
    ApprovalsStore(cfg.home).put(list(held.approvals), [], now=time.time() - 3600)
    d = check(cfg)
    assert not d.allowed and "sync" in d.reason
    assert not could_allow(cfg, build_fab(APP).hash)
    assert len(read_audit(cfg.home)) == 3


def test_held_file_is_replaced_whole_and_keeps_revocations(tmp_path: Path) -> None:
    store = ApprovalsStore(tmp_path)
    store.put([{"body": {"n": 1}, "sig": "a"}], [{"body": {"r": 1}, "sig": "b"}])
    store.put([], [{"body": {"r": 2}, "sig": "c"}])
    held = store.read()
    assert held.approvals == () and len(held.revocations) == 2  # a later sync cannot un-revoke
    # no temporary left behind (the lock file stays: writers take turns on it)
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["held.json", "held.json.lock"]
    store.path.write_text("{not json", "utf-8")
    assert store.read().approvals == () and store.read().synced_at is None  # unreadable: holds nothing


def test_an_altered_cohort_is_refused_by_the_approval_itself(cfg: GateConfig) -> None:
    # no job facts from a hub sync: the signed approval alone binds the cohort
    held = ApprovalsStore(cfg.home).read()
    ApprovalsStore(cfg.home).put(list(held.approvals), [], jobs={})
    assert check(cfg).allowed
    other = '{"inclusion":[[{"code":"C90","system":"icd10","type":"diagnosis"}]]}'
    d = check(cfg, cohort=other)
    assert not d.allowed and "cohort" in d.reason, d.reason
    assert read_audit(cfg.home)[-1]["allowed"] is False


def test_a_sync_time_in_the_future_is_stale(cfg: GateConfig) -> None:
    # the clock went back after a sync (it was a day ahead, then corrected): that sync says nothing about
    # what the hub holds now, so it must not keep the held documents trusted for a day more
    held = ApprovalsStore(cfg.home).read()
    ApprovalsStore(cfg.home).put(list(held.approvals), [], now=time.time() + 86400)
    d = check(cfg)
    assert not d.allowed and "sync" in d.reason, d.reason
    assert not could_allow(cfg, build_fab(APP).hash)
    ApprovalsStore(cfg.home).put(list(held.approvals), [])  # the next sync, at the corrected time
    assert check(cfg).allowed


def test_a_held_file_nested_too_deeply_holds_nothing(cfg: GateConfig) -> None:
    # JSON the sync could still read may be too deep to read again further down the stack (in the task's
    # process): then the site holds nothing and refuses, and the task gets its answer
    store = ApprovalsStore(cfg.home)
    store.path.write_text('{"approvals": [' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "]}", "utf-8")
    assert store.read().approvals == () and store.read().synced_at is None
    d = check(cfg)
    assert not d.allowed and "sync" in d.reason


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("[]", "a JSON array"),
        ('[{"approvals": []}]', "a JSON array"),
        ('"held"', "a JSON string"),
        ("null", "JSON null"),
        ('{"approvals": 5}', "'approvals' is a JSON number"),
        ('{"revocations": {"a": 1}}', "'revocations' is a JSON object"),
        ('{"jobs": [1]}', "'jobs' is a JSON array"),
    ],
)
def test_a_held_file_of_another_shape_is_a_clear_error_and_the_gate_refuses(
    cfg: GateConfig, text: str, what: str
) -> None:
    # read() ended in AttributeError/TypeError (the task went unanswered); now an error naming the file
    # and what to do, which the task's check gives as its refusal, and `fairgrid site gate` as its exit
    store = ApprovalsStore(cfg.home)
    store.path.write_text(text, "utf-8")
    with pytest.raises(HeldFileDamaged) as caught:
        store.read()
    assert str(store.path) in caught.value.message and what in caught.value.message
    assert "sync" in caught.value.hint
    d = check(cfg)
    assert not d.allowed and str(store.path) in d.reason
    assert not could_allow(cfg, build_fab(APP).hash)
    assert read_audit(cfg.home)[-1]["reason"] == d.reason


@pytest.mark.parametrize(("text", "what"), [("[1, 2]", "a JSON array"), ("{not json", "JSONDecodeError")])
def test_the_gate_command_exits_clearly_on_a_damaged_held_file(tmp_path: Path, text: str, what: str) -> None:
    # before, the gate started and served; the first task's check raised AttributeError (not JSON: it
    # served refusing every task, and its first sync replaced the file, dropping its revocations)
    home = tmp_path / "h"
    fg = fairgrid_command()
    subprocess.run([*fg, "site", "init", "--site-id", "site-g", "--home", str(home)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    pin_governance_key(home, public_text(Ed25519PrivateKey.generate()))
    held = ApprovalsStore(home).path
    held.parent.mkdir(parents=True, exist_ok=True)
    held.write_text(text, "utf-8")
    r = subprocess.run([*fg, "site", "gate", "--home", str(home), "--supernode", "127.0.0.1:1"],
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    said = r.stdout + r.stderr
    assert r.returncode != 0 and "Traceback" not in said, said
    assert "held.json" in said and what in said and "sync again" in said


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"revocations": [{"body": {"r": 1}, "sig": "b"}', b"\xff\xfe held", b""],
    ids=["not JSON", "truncated", "not UTF-8", "empty"],
)
def test_a_write_over_an_unreadable_held_file_refuses_and_leaves_it(tmp_path: Path, raw: bytes) -> None:
    # read() holds nothing (the gate refuses every task), but put() used to take that as "no revocations"
    # and replace the file: the revocations it may still hold were dropped and the gate trusted again
    store = ApprovalsStore(tmp_path)
    store.put([], [{"body": {"r": 1}, "sig": "b"}])
    store.path.write_bytes(raw)
    assert store.read().revocations == () and store.read().synced_at is None  # the gate: holds nothing
    for write in (lambda: store.put([], []), lambda: store.add([{"body": {"n": 1}, "sig": "a"}])):
        with pytest.raises(HeldFileDamaged) as caught:
            write()
        assert str(store.path) in caught.value.message and "sync" in caught.value.hint
        assert store.path.read_bytes() == raw  # left as it is
    store.path.unlink()  # moved aside: the next write starts anew
    assert store.put([], []).revocations == ()


def test_writers_at_once_keep_every_revocation(tmp_path: Path) -> None:
    # put() read the held file, then replaced it: a sync and an operator's add at the same time each
    # wrote what it had read plus its own, so the revocation of the one that wrote first was dropped
    store = ApprovalsStore(tmp_path)
    store.put([], [])

    def write(who: str) -> None:
        for n in range(25):
            ApprovalsStore(tmp_path).add(revocations=[{"body": {"by": who, "n": n}, "sig": "s"}])

    writers = [threading.Thread(target=write, args=(who,)) for who in ("sync", "operator")]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    assert len(store.read().revocations) == 50


def test_a_task_refused_for_an_unreadable_held_file_says_so(cfg: GateConfig) -> None:
    # the check read it as holding nothing and refused with "no approvals were ever synced": the audit
    # log named the wrong cause, and the operator looked at the hub instead of the file
    store = ApprovalsStore(cfg.home)
    store.path.write_text("{not json", "utf-8")
    d = check(cfg)
    assert not d.allowed and str(store.path) in d.reason and "never synced" not in d.reason, d.reason
    assert not could_allow(cfg, build_fab(APP).hash)
    assert read_audit(cfg.home)[-1]["reason"] == d.reason
