"""The demo's live part: serve the hub, connect the three demo sites' agents, ask one federated question.

The hub (`fairgrid serve`) and each site agent (`fairgrid site serve`) run as their own processes, as they
would in a hospital network; the agents stop when the demo stops.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from rich.text import Text

from api.auth import dev_token
from api.cli.output import data_console, feasibility_table
from federation.local import LocalSites, fairgrid_command
from federation.site.demo import DEMO_SITES
from registry.config import Settings
from registry.errors import Unavailable
from registry.identity import Role

console = data_console()
# MDS patients over 60 at diagnosis with haemoglobin below 10 g/dL.
DEMO_QUESTION: dict[str, Any] = {
    "inclusion": [
        [{"type": "diagnosis", "system": "icd10", "code": "D46"}],
        [{"type": "age", "min": 60, "at": "diagnosis"}],
        [{"type": "lab", "loinc": "718-7", "comparator": "<", "value": 10, "unit": "g/dL"}],
    ]
}


def _wait_ready(url: str, hub: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if hub.poll() is not None:
            raise Unavailable(f"the hub exited (code {hub.returncode}) before it was ready")
        time.sleep(0.3)
    raise Unavailable(f"the hub at {url} was not ready after {timeout_s:g} s")


def run(settings: Settings, port: int, *, once: bool) -> int:
    url = f"http://127.0.0.1:{port}"
    env = {**_environ(), "FAIRGRID_HOME": str(settings.home)}
    serve = [*fairgrid_command(), "serve", "--port", str(port), "--log-level", "warning"]
    hub = subprocess.Popen(serve, env=env)
    sites = LocalSites(url, env)
    try:
        _wait_ready(url, hub)
        root = settings.home / "demo-sites" / "sites"
        for site in DEMO_SITES.values():
            token = dev_token(settings.home, f"operator-{site}", [Role.SITE_OPERATOR], site=site)
            sites.start(site, Path(root / site), token)
        researcher = dev_token(settings.home, "demo-researcher", [Role.RESEARCHER])
        with console.status("connecting the three demo sites' agents to the hub"):
            sites.wait_connected(researcher)
        console.print(
            Text.assemble(
                "\n",
                ("Federated feasibility", "bold"),
                ": MDS patients over 60 at diagnosis with Hb < 10 g/dL",
            )
        )
        ask = {"criteria": DEMO_QUESTION, "sites": sorted(DEMO_SITES.values())}
        r = httpx.post(f"{url}/feasibility", json=ask,
                       headers={"Authorization": f"Bearer {researcher}"}, timeout=60)  # fmt: skip
        r.raise_for_status()
        feasibility_table(r.json())
        console.print("Each site answered from its own store under its own policy (defaults: threshold 10,"
                      " rounding 5).")  # fmt: skip
        if once:
            return 0
        console.print(
            Text.assemble(
                "\n",
                ("Serving", "bold"),
                f" on {url} with the three site agents connected; Ctrl-C stops all.",
            )
        )
        hub.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        sites.stop_all()
        if hub.poll() is None:
            hub.send_signal(signal.SIGINT)
            try:
                hub.wait(20)
            except subprocess.TimeoutExpired:
                hub.kill()


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)
