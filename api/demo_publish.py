"""The demo's publishing step: a record published to a local stand-in for Zenodo, its DOI on the landing page.

`make demo` calls `publish_step(reg, console, port, model_iri)` with its open registry once the training
demo has registered a model. It starts `fairgrid dev-zenodo` (the local stand-in; DOIs under the test prefix
10.5072) as a subprocess on a free port, publishes the model (or, when no model with weights in the hub home
exists yet, a dataset description) through PublishService as a consortium member, prints the DOI and the
record's landing page, and stops the stand-in (or leaves it to the caller with `keep=True`).
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from rich.console import Console
from rich.text import Text

from api.cli.output import styled
from api.federation import hub_audit, publish_service
from api.linked_data import local_path
from registry.config import Secret, ZenodoSettings
from registry.errors import FairgridError, InputError, Unavailable
from registry.identity import Identity, Role
from registry.vocab import Kind
from registry.wiring import Registry

DEMO_MEMBER = Identity("demo-consortium-member", frozenset({Role.CONSORTIUM_MEMBER}))
FALLBACK_DATASET = "https://w3id.org/fairgrid/dataset/mds-registry-hub-a"
PORTS = (18000, 19999)
START_TIMEOUT_S = 30.0


@dataclass
class LocalZenodo:
    url: str
    token: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _free_port(remembered: Path) -> int:
    """A port from 18000-19999 that nothing listens on right now (never 8000, never the API's): the one
    an earlier demo run used when it is free, so the Zenodo links that run wrote back keep working."""
    try:
        earlier = [int(remembered.read_text().strip())]
    except (OSError, ValueError):
        earlier = []
    for port in [*earlier, *(random.randint(*PORTS) for _ in range(50))]:
        if not PORTS[0] <= port <= PORTS[1]:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        remembered.write_text(str(port))
        return port
    raise Unavailable("no free port in 18000-19999 for the local Zenodo")


def start_local_zenodo(data: Path) -> LocalZenodo:
    """`fairgrid dev-zenodo` as a subprocess, answering before this returns."""
    data.mkdir(parents=True, exist_ok=True)
    port, token = _free_port(data / "port"), secrets.token_urlsafe(24)
    # the CLI's own entry point (`python -m api.cli.main` would import the command modules twice)
    entry = "from api.cli.main import main; main()"
    cmd = [
        sys.executable,
        "-c",
        entry,
        "dev-zenodo",
        "--port",
        str(port),
        "--data",
        str(data),
        "--token",
        token,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    zen = LocalZenodo(f"http://127.0.0.1:{port}", token, proc)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:  # a start-up wait
        if proc.poll() is not None:
            raise Unavailable("the local Zenodo (fairgrid dev-zenodo) exited at start")
        try:
            httpx.get(f"{zen.url}/_dev/state", timeout=1.0)
            return zen
        except httpx.HTTPError:
            time.sleep(0.1)
    zen.stop()
    raise Unavailable("the local Zenodo (fairgrid dev-zenodo) did not answer within 30 s")


@contextmanager
def local_zenodo(data: Path) -> Iterator[LocalZenodo]:
    zen = start_local_zenodo(data)
    try:
        yield zen
    finally:
        zen.stop()


def _candidates(reg: Registry, model_iri: str | None) -> list[str]:
    if model_iri:
        return [model_iri, FALLBACK_DATASET]
    models = [h.iri for h in reg.store.list_records(Kind.MODEL, 0, 100) if h.published]
    return [*models, FALLBACK_DATASET]


def publish_step(
    reg: Registry, console: Console, port: int, model_iri: str | None = None, *, keep: bool = False
) -> LocalZenodo | None:
    """Publish the demo's model (else a dataset) to a local Zenodo; print the DOI and the landing page URL.
    `reg` is the demo's open registry. Returns the still-running local Zenodo with `keep=True` (the caller
    stops it), else None."""
    console.print(
        Text.assemble(
            "\n",
            ("Publishing to Zenodo", "bold"),
            " (a LOCAL STAND-IN: fairgrid dev-zenodo, DOIs 10.5072/...)",
        )
    )
    settings = reg.settings
    try:
        zen = start_local_zenodo(settings.home / "dev-zenodo")
    except FairgridError as exc:
        console.print(styled("publishing skipped:", "red", exc.message, indent="  "))
        return None
    try:
        secret = Secret(zen.token)
        local = replace(settings, zenodo=ZenodoSettings(zen.url, zen.url, secret, secret))
        service = publish_service(reg, local)  # audited in the hub's log, as every publication
        for iri in _candidates(reg, model_iri):
            try:
                result = service.publish(DEMO_MEMBER, iri)
            except InputError as exc:  # a model whose weights are not in the hub home, say
                console.print(Text(f"  not published: {iri}: {exc.message}", "dim"))
                continue
            pub = result.published
            assert pub is not None
            page = f"http://127.0.0.1:{port}{local_path(iri, settings.base_iri)}"
            # Text, not str: the caller's Console may read markup and ':emoji:' codes (an IRI may hold one)
            console.print(Text(f"  published {iri}"))
            console.print(Text(f"  DOI https://doi.org/{pub.doi} (all versions {pub.concept_doi})"))
            console.print(Text(f"  on the local Zenodo: {pub.record_url}"))
            console.print(Text(f"  landing page with the DOI: {page}"))
            if result.audit_warning:
                console.print(styled("warning:", "yellow", result.audit_warning, indent="  "))
            else:
                logged = [e for e in hub_audit(reg).entries(user=DEMO_MEMBER.subject) if e["query"] == iri]
                if logged:
                    e = logged[-1]
                    console.print(
                        Text(f"  in the hub's audit log (fairgrid audit): {e['source']} by {e['user']}")
                    )
            if result.writeback_error:
                late = "the DOI is not in the registry yet:"
                console.print(styled(late, "yellow", result.writeback_error, indent="  "))
            break
        else:
            console.print(Text("  nothing could be published", "yellow"))
    except FairgridError as exc:
        zen.stop()
        console.print(styled("publishing failed:", "red", exc.message, indent="  "))
        return None
    except BaseException:
        zen.stop()
        raise
    if keep:
        return zen
    zen.stop()
    return None
