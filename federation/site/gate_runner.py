"""The only launcher of ClientApps at a site: it takes each task from the SuperNode, decides, runs or refuses.

The SuperNode runs with `--isolation process`, so it starts nothing itself; this loop acquires each task
from its Runtime API (`AcquireTask`: task id, run id, FAB hash and a one-task token, before any app code
exists here). Every task is then served by fairgrid's own code first: it pulls the task's input (run, run
config, FAB bytes, message: data, not code), recomputes the FAB's sha256, maps the flat run config with
`approved_view`, and asks the site gate (`gate.decide`, offline, the site's pinned keys and the documents
it holds). Only an allowed task goes on to install and load the app, in a child process, through flwr's
own `run_clientapp`. A refused one gets an explicit error reply and its task is finished (a task taken
and never answered would block the node), and nothing of the app is installed or imported. Every
decision goes to the site's audit log (`audit/gate.jsonl`).

Why a child per task and no hand-over to `flwr-clientapp`: pulling a task's input moves it from starting
to running exactly once (flwr 1.42 `activate_task`), so whoever reads the run config must also be the one
that runs the app. The child runs `serve_task`: flwr's `run_clientapp` with the input step wrapped by the
gate's check. It is forked from a fork server that has torch, flwr and fairgrid's site code imported, not
the app (`federation/site/task_processes.py`), so a task's process starts in well under a second.

Restart safety: the loop keeps no state of its own; a task a dead gate had claimed but not started is
expired by the SuperNode; children finish their tasks on their own; a SuperNode that restarts is
retried with a capped back-off.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federation.signing import public_key
from federation.site.approvals_store import (
    GOVERNANCE_KEY_FILE,
    ApprovalsStore,
    HeldFileDamaged,
    pin_governance_key,
    stale,
)
from federation.site.gate import Decision, GateKeys, audit_file, decide
from federation.site.keys import site_key
from federation.site.task_processes import Child, TaskProcesses
from registry.errors import FairgridError, InputError

log = logging.getLogger("fairgrid.gate")
__all__ = ["GateConfig", "check_task", "pin_governance_key", "serve", "serve_task"]
GATE_REFUSED = 4030  # the Error code of a refusal reply (outside Flower's own codes, 0-8)
EXIT_REFUSED = 3


@dataclass
class GateConfig:
    home: Path
    runtime: str  # the SuperNode's Runtime API, host:port
    site: str
    gpu: bool = False  # the site declares a GPU (CUDA stays visible to its ClientApps)
    gpus: int = 0  # how many it declares: CUDA_VISIBLE_DEVICES 0..gpus-1 unless the operator set it
    max_staleness_s: float = 600.0
    hub: str | None = None
    token: str | None = None  # the site-operator token for syncing approvals (never logged)
    sync_interval_s: float = 60.0
    secret_file: Path | None = None  # the SuperNode's --superexec-auth-secret-file, if it has one
    poll_s: float = 0.2
    max_children: int = 4  # ClientApps running at once; no new task is taken beyond that
    fork_server: bool = True  # task processes forked from a preloaded server (task_processes.py)
    children: list[Child] = field(default_factory=list)


def governance_public_key(home: Path) -> Any:
    path = home / GOVERNANCE_KEY_FILE
    if not path.exists():
        raise InputError(
            f"{path} is missing: the gate needs the consortium's governance public key",
            hint="fairgrid site gate --governance-key KEY pins it (or a first sync from the hub does)",
        )
    return public_key(path.read_text("utf-8").strip())


def gate_config(
    home: Path,
    supernode: str,
    *,
    hub: str | None = None,
    token: str | None = None,
    gpu: bool | None = None,
    secret_file: Path | None = None,
    governance_key: str | None = None,
) -> GateConfig:
    """The gate of the site whose home is `home` (its site id from site.yaml), serving `supernode`.

    GPU: the site's declaration in site.yaml (`resources.gpus`), the one the hub sees as fg:gpuCount;
    `gpu=False` withdraws it for this gate, `gpu=True` is refused unless the site declares a GPU."""
    from federation.site.home import open_site
    from registry.config import Settings

    config = open_site(home).config
    site = config.site_id
    if gpu and not config.has_gpu:
        raise InputError(
            f"site {site} declares no GPU, so the hub sends it no GPU run",
            hint="declare it first: fairgrid site resources --gpus N (then describe and register again)",
        )
    gpu = config.has_gpu if gpu is None else gpu
    host, _, port = supernode.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c in host for c in "/@?# "):
        raise InputError(f"--supernode {supernode[:80]!r} is not host:port (the SuperNode's Runtime API)")
    if secret_file is not None and not secret_file.is_file():
        raise InputError(f"{secret_file} is not a file (the SuperNode's --superexec-auth-secret-file)")
    ApprovalsStore(home).read(strict=True)  # a damaged held file: refused now, not at the first task
    if governance_key:  # last: a refused command changes nothing
        pin_governance_key(home, governance_key)
    staleness = Settings.from_env().site.gate_max_staleness_s
    return GateConfig(home, supernode, site, gpu=gpu, gpus=config.gpus if gpu else 0,
                      max_staleness_s=staleness, hub=hub, token=token, secret_file=secret_file)  # fmt: skip


def _refusal(site: str, task: str, fab: str, reason: str) -> dict[str, Any]:
    return {"at": time.time(), "site": site, "task": task, "fab_hash": fab[:64], "allowed": False,
            "reason": reason, "approvals": []}  # fmt: skip


def check_task(cfg: GateConfig, run: Any, fab: Any, context: Any, task: str) -> Decision:
    """May this task's app run here? Audited, whatever the answer."""
    audit = audit_file(cfg.home)
    digest = hashlib.sha256(fab.content).hexdigest()

    def refuse(reason: str) -> Decision:
        audit(_refusal(cfg.site, task, digest, reason))
        return Decision(False, reason)

    try:
        held = ApprovalsStore(cfg.home).read(strict=True)
    except HeldFileDamaged as exc:  # the task still gets its answer, naming the file and what to do
        return refuse(f"{exc.message} ({exc.hint})")
    if digest != run.fab_hash:
        return refuse(f"the FAB's bytes hash to {digest[:12]}..., not the run's {str(run.fab_hash)[:12]}...")
    if str(context.node_config.get("site-id", "")) != cfg.site:
        return refuse("the SuperNode's site-id is not this gate's site")
    why = stale(held, cfg.max_staleness_s)
    if why:
        return refuse(why)
    flat = dict(context.run_config)  # what the app will read: the app's defaults fused with the overrides
    from federation.training.flowerconfig import app_defaults, approved_view

    try:
        defaults = app_defaults(fab.content)
        approved_view(
            flat, defaults=defaults
        )  # every key known, every value well-formed, before any approval is looked at
    except InputError as exc:
        return refuse(f"run config refused: {exc.message}")
    job = str(flat["job"])
    known = held.jobs.get(job, {})
    if known.get("cohort") and known["cohort"] != flat["cohort"]:
        return refuse(f"the run's cohort is not the cohort of job {job}")
    if flat["gpu"] and not cfg.gpu:
        return refuse("the run needs a GPU and this site declares none")
    try:
        keys = GateKeys(governance_public_key(cfg.home), site_key(cfg.home).public_key())
    except FairgridError as exc:
        return refuse(exc.message)
    # only this job's documents: an approval of another job for the same app grants nothing here
    docs = [d for d in held.approvals if isinstance(d.get("body"), dict) and d["body"].get("job") == job]
    revocations = list(held.revocations)
    # Compare with each approved configuration in turn: an optional key keeps the app's own default
    # unless that approval names it (flowerconfig.approved_view).
    shapes = {json.dumps(d["body"].get("run_config"), sort_keys=True) for d in docs} or {"null"}
    decision: Decision | None = None
    for shape in sorted(shapes):
        try:
            view = approved_view(flat, defaults=defaults, approved=json.loads(shape))
        except InputError as exc:
            decision = decision or Decision(False, f"run config refused: {exc.message}")
            continue
        d = decide(cfg.site, keys, digest, view, docs, revocations, time.time())
        if d.allowed or decision is None:
            decision = d
        if d.allowed:
            break
    assert decision is not None
    entry = {"at": time.time(), "site": cfg.site, "task": task, "fab_hash": digest, "job": job}
    audit({**entry, "allowed": decision.allowed, "reason": decision.reason,
           "approvals": list(decision.approvals)})  # fmt: skip
    return decision


def refuse_task(client: Any, message: Any, context: Any, reason: str) -> None:
    """Answer with an explicit error and finish the task: the ServerApp learns why, the node moves on."""
    from flwr.app import Error, Message
    from flwr.common.constant import SubStatus
    from flwr.supernode.runtime import run_clientapp as rc

    text = f"refused by the site gate: {reason}"[:1000]
    try:
        rc.push_message(client, Message(Error(code=GATE_REFUSED, reason=text), reply_to=message), context)
    finally:
        rc.push_task_output(client, context, SubStatus.FAILED, text)


def _client(address: str, token: str | None = None, secret: bytes | None = None) -> Any:
    from flwr.supercore.interceptors import (
        RuntimeTokenHttpInterceptor,
        RuntimeVersionHttpInterceptor,
        SuperExecAuthHttpInterceptor,
    )
    from flwr.supercore.runtime import RuntimeHttpClient

    interceptors: list[Any] = [RuntimeVersionHttpInterceptor(component_name="fairgrid-gate")]
    if token is not None:
        interceptors.append(RuntimeTokenHttpInterceptor(token))
    if secret:
        only = frozenset({"/flwr.proto.Runtime/AcquireTask"})
        interceptors.append(SuperExecAuthHttpInterceptor(master_secret=secret, protected_methods=only))
    return RuntimeHttpClient.from_server_address(address, insecure=True, root_certificates=None,
                                                 interceptors=interceptors)  # fmt: skip


# --- the child: one task -------------------------------------------------------------------------


def serve_task(cfg: GateConfig, token: str, task: str) -> None:
    """Run one task through flwr's `run_clientapp`, its input step wrapped by the gate's check."""
    from flwr.supernode.runtime import run_clientapp as rc

    pull = rc.pull_task_input

    def gated_pull(client: Any) -> Any:
        message, context, run, fab = pull(client)
        decision = check_task(cfg, run, fab, context, task)
        if decision.allowed:
            return message, context, run, fab
        refuse_task(client, message, context, decision.reason)
        os._exit(EXIT_REFUSED)  # nothing of the app was installed or imported; stop before flwr goes on

    rc.pull_task_input = gated_pull
    rc.run_clientapp(cfg.runtime, token, insecure=True, runtime_dependency_install=False)


# --- the loop ------------------------------------------------------------------------------------


def _child_env(cfg: GateConfig) -> dict[str, str]:
    env = dict(os.environ)
    env["FLWR_HOME"] = str(cfg.home / "flwr")  # installed FABs stay in the site home
    env["FLWR_TELEMETRY_ENABLED"] = "0"
    if not cfg.gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""  # a site that declares no GPU gives its apps none
    elif cfg.gpus and "CUDA_VISIBLE_DEVICES" not in env:
        # the declared number, not every GPU of the machine (an operator's own setting stays)
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in range(cfg.gpus))
    return env


def could_allow(cfg: GateConfig, fab_hash: str, now: float | None = None) -> bool:
    """Whether some held approval pair could allow this app here, whatever the run config.

    A necessary condition of `check_task`, decided from the task's FAB hash alone (AcquireTask gives it
    before anything is pulled): verified, this site, not expired, not revoked. When it fails, the task is
    refused in this process, with no child started.
    """
    try:
        held = ApprovalsStore(cfg.home).read(strict=True)
    except HeldFileDamaged:
        return False  # check_task refuses, saying why
    if stale(held, cfg.max_staleness_s, now):
        return False
    try:
        keys = GateKeys(governance_public_key(cfg.home), site_key(cfg.home).public_key())
    except FairgridError:
        return False
    docs = [
        d for d in held.approvals if isinstance(d.get("body"), dict) and d["body"].get("fab_hash") == fab_hash
    ]
    at = time.time() if now is None else now
    for doc in docs:
        body = doc["body"]
        same_job = [d for d in docs if d["body"].get("job") == body.get("job")]
        config = body.get("run_config")
        if (
            isinstance(config, dict)
            and decide(cfg.site, keys, fab_hash, config, same_job, list(held.revocations), at).allowed
        ):
            return True
    return False


def handle(
    cfg: GateConfig, procs: TaskProcesses, token: str, task_id: int, run_id: int, fab_hash: str
) -> Child | None:
    """Serve one acquired task: refuse here when no approval could allow its app, else start a child."""
    task = f"{run_id}/{task_id}"
    if not could_allow(cfg, fab_hash):
        # the full check, in this process: it refuses, with the precise reason, and nothing is started
        from flwr.supernode.runtime import run_clientapp as rc

        client = _client(cfg.runtime, token)
        try:
            message, context, run, fab = rc.pull_task_input(client)
            decision = check_task(cfg, run, fab, context, task)
            reason = decision.reason if not decision.allowed else "no approval could allow this app"
            refuse_task(client, message, context, reason)
        finally:
            client.close()
        return None
    args = (str(cfg.home), cfg.runtime, cfg.site, cfg.gpu, cfg.max_staleness_s)
    return procs.start(_cli_args(cfg), args, token, task)


def _cli_args(cfg: GateConfig) -> list[str]:
    out = ["--home", str(cfg.home), "--runtime", cfg.runtime, "--site", cfg.site,
           "--max-staleness", str(cfg.max_staleness_s)]  # fmt: skip
    return out + (["--gpu"] if cfg.gpu else ["--no-gpu"])


def serve(cfg: GateConfig, *, stop_after: float | None = None) -> None:
    """Acquire and serve tasks until stopped (SIGTERM/SIGINT end the process)."""
    from flwr.common.constant import SubStatus  # noqa: F401  (fail early when flwr is missing)
    from flwr.proto.runtime_pb2 import AcquireTaskRequest
    from flwr.supercore.constant import TaskType

    secret = cfg.secret_file.read_bytes() if cfg.secret_file else None
    client = _client(cfg.runtime, secret=secret)
    procs = TaskProcesses(_child_env(cfg), fork_server=cfg.fork_server)
    backoff, last_sync = cfg.poll_s, 0.0
    end = None if stop_after is None else time.monotonic() + stop_after
    log.info("site gate for %s serving the SuperNode at %s", cfg.site, cfg.runtime)
    while end is None or time.monotonic() < end:
        cfg.children = [c for c in cfg.children if c.poll() is None]
        if cfg.hub and cfg.token and time.monotonic() - last_sync > cfg.sync_interval_s:
            last_sync = time.monotonic()
            try:
                ApprovalsStore(cfg.home).sync(cfg.hub, cfg.token, cfg.site)
            except FairgridError as exc:
                log.warning("approvals sync failed: %s", exc.message)
        if len(cfg.children) >= cfg.max_children:  # busy: leave the task to the SuperNode's queue
            time.sleep(cfg.poll_s)
            continue
        try:
            res = client.AcquireTask(AcquireTaskRequest(supported_task_types=[TaskType.CLIENT_APP]))
        except Exception as exc:  # noqa: BLE001 - the SuperNode is down or restarting: wait and retry
            log.warning("SuperNode at %s not answering (%s); retrying", cfg.runtime, type(exc).__name__)
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
            continue
        backoff = cfg.poll_s
        if res.HasField("task") and res.token:
            t = res.task
            try:
                child = handle(cfg, procs, res.token, t.task_id, t.run_id, t.fab_hash)
            except Exception as exc:  # noqa: BLE001 - one bad task must not stop the gate
                log.exception("task %s/%s could not be served: %s", t.run_id, t.task_id, type(exc).__name__)
                continue
            if child is not None:
                cfg.children.append(child)
            continue
        time.sleep(cfg.poll_s)


def main(argv: list[str] | None = None) -> int:
    """`--task T`: serve one task (token on stdin). `--serve`: the loop (hub token, if any, on stdin)."""
    p = argparse.ArgumentParser(prog="python -m federation.site.gate_runner")
    p.add_argument("--home", required=True, type=Path)
    p.add_argument("--runtime", required=True)
    p.add_argument("--site", required=True)
    p.add_argument("--gpu", action=argparse.BooleanOptionalAction, help="default: site.yaml's resources")
    p.add_argument("--max-staleness", type=float, default=600.0)
    p.add_argument("--hub")
    p.add_argument("--secret-file", type=Path)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--task", help="serve one task whose token comes on stdin")
    mode.add_argument("--serve", action="store_true", help="acquire and serve tasks until stopped")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s gate: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll otherwise
    from federation.site.home import declared_gpus

    gpus = declared_gpus(a.home) if a.gpu is not False else 0
    gpu = gpus > 0 if a.gpu is None else a.gpu
    cfg = GateConfig(a.home, a.runtime, a.site, gpu=gpu, gpus=gpus, max_staleness_s=a.max_staleness,
                     hub=a.hub, secret_file=a.secret_file)  # fmt: skip
    if a.serve:
        from registry.config import Settings

        cfg.fork_server = Settings.from_env().site.gate_fork_server
    secret = sys.stdin.read().strip() if (a.task or a.hub) else ""
    if a.task:
        serve_task(cfg, secret, a.task)
    else:
        cfg.token = secret or None
        serve(cfg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
