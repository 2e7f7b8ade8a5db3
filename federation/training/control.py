"""The SuperLink Control API, called directly: start a run with a FAB and a flat run config, read it, stop it.

Flower 1.42 serves the Control API as protobuf over HTTP (`/v1/control/start-run`, ...); flwr's own
`ControlHttpClient` speaks it, so no `flwr` CLI process is needed. The client is built without flwr's CLI
interceptors: the runtime-version one calls `flwr_exit` (ends the process) on a version mismatch, and the
account-auth one reads CLI credential files. The open-source Control API has no authentication, which is
why the hub binds it to a local address and why the sites' gates, not this client, enforce approvals.
"""

from __future__ import annotations

import hashlib
import json
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx
from flwr.common.serde import fab_to_proto, user_config_to_proto
from flwr.proto.control_pb2 import ListRunsRequest, StartRunRequest, StopRunRequest
from flwr.supercore.control import ControlHttpClient
from flwr.supercore.fab import Fab

from registry.errors import InputError, NotFound, Unavailable

Scalar = bool | int | float | str
T = TypeVar("T")


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    fab_hash: str
    status: str  # "pending", "starting", "running", "finished"
    sub_status: str  # "completed", "failed", "stopped" or "" while not finished
    details: str  # failure details from the SuperLink
    pending_at: str
    running_at: str
    finished_at: str

    @property
    def finished(self) -> bool:
        return self.status == "finished"


class ControlError(Unavailable):
    code = "superlink_error"


def _check_address(address: str) -> str:
    host, sep, port = address.rpartition(":")
    if (
        not sep
        or not host
        or not port.isdigit()
        or not 0 < int(port) < 65536
        or any(c in host for c in "/@?#")
    ):
        raise InputError(f"SuperLink Control API address {address[:80]!r} is not host:port")
    return address


class ControlClient:
    """One Control API connection (plain HTTP unless TLS root certificates are given)."""

    def __init__(self, address: str, *, root_certificates: bytes | None = None, timeout_s: float = 30.0):
        self.address = _check_address(address)
        self._client = ControlHttpClient(
            f"{'https' if root_certificates else 'http'}://{self.address}",
            verify=_tls(root_certificates),
            timeout=timeout_s,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def start_run(self, fab: bytes, run_config: Mapping[str, Scalar], federation: str = "") -> int:
        """Start a run of this FAB with `run_config` overriding the app's defaults; the run id."""
        for key, value in run_config.items():
            if not isinstance(key, str) or not isinstance(value, bool | int | float | str):
                raise InputError(f"run config {str(key)[:60]!r}: Flower run config values are scalars")
        fab_hash = hashlib.sha256(fab).hexdigest()
        request = StartRunRequest(
            fab=fab_to_proto(Fab(fab_hash, fab, {})),
            override_config=user_config_to_proto(dict(run_config)),
            federation=federation,
        )
        response = self._call(lambda: self._client.StartRun(request), "start a run")
        if not response.HasField("run_id"):
            note = response.note if response.HasField("note") else "no run id"
            raise ControlError(f"the SuperLink did not start the run: {note[:300]}")
        return int(response.run_id)

    def run(self, run_id: int) -> RunInfo:
        response = self._call(lambda: self._client.ListRuns(ListRunsRequest(run_id=run_id)), "read a run")
        if run_id not in response.run_dict:  # (the SuperLink answers 404 itself; this is belt and braces)
            raise NotFound(f"the SuperLink has no run {run_id}")
        r = response.run_dict[run_id]
        return RunInfo(
            run_id=int(r.run_id), fab_hash=r.fab_hash, status=r.status.status, sub_status=r.status.sub_status,
            details=r.status.details[:2000], pending_at=r.pending_at, running_at=r.running_at,
            finished_at=r.finished_at,
        )  # fmt: skip

    def runs(self, limit: int = 100) -> list[int]:
        response = self._call(lambda: self._client.ListRuns(ListRunsRequest(limit=limit)), "list runs")
        return sorted(int(k) for k in response.run_dict)

    def stop_run(self, run_id: int) -> bool:
        """Stop a run; False when it had already finished."""
        try:
            response = self._call(lambda: self._client.StopRun(StopRunRequest(run_id=run_id)), "stop a run")
        except ControlError as exc:
            if "already finished" in exc.message:
                return False
            raise
        return bool(response.success)

    def _call(self, fn: Callable[[], T], what: str) -> T:
        try:
            return fn()
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                raise NotFound(f"the SuperLink could not {what}: {_flower_message(exc.response)}") from None
            raise ControlError(f"the SuperLink refused to {what}: {_flower_message(exc.response)}") from None
        except (httpx.TransportError, ValueError) as exc:
            raise ControlError(
                f"could not {what}: the SuperLink Control API at {self.address} did not answer "
                f"({type(exc).__name__})"
            ) from None


def _tls(root_certificates: bytes | None) -> bool | ssl.SSLContext:
    if root_certificates is None:
        return False
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=root_certificates.decode("ascii"))
    return context


def _flower_message(response: httpx.Response) -> str:
    """The SuperLink's error message (FlowerError JSON), cut short."""
    try:
        body = json.loads(response.content[:4096])
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        detail = body.get("message") or body.get("detail") or body.get("error")
        if isinstance(detail, str | dict):
            return str(detail)[:300]
    return f"HTTP {response.status_code}"
