"""A real hub (`fairgrid serve`) and real site agents (`fairgrid site serve`) as separate processes."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from federation.local import LocalSites, fairgrid_command
from federation.site.demo import build_demo_sites
from tests.conftest import free_port

SITES = ["demo-mds", "demo-scd", "demo-mm"]
# A site registered at the hub whose agent never connects.
GHOST = """@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://w3id.org/fairgrid/site/ghost> a fg:Site, foaf:Organization ; foaf:name "Ghost Hospital" ;
  fg:siteId "ghost" ; fg:signingKey "HlIpkKmNZjo8fWdC+OFYVjUdQlYA8J7HI9/fnOmcFiI=" .
"""


@dataclass
class Federation:
    root: Path
    url: str
    env: dict[str, str]
    hub: subprocess.Popen[bytes]
    sites: LocalSites

    def token(self, *roles: str, subject: str = "alice", site: str | None = None) -> str:
        args = [*fairgrid_command(), "dev-token", "--subject", subject]
        for r in roles:
            args += ["--role", r]
        if site:
            args += ["--site", site]
        return subprocess.run(args, env=self.env, check=True, capture_output=True, text=True).stdout.strip()

    def site_home(self, site: str) -> Path:
        return self.root / "demo" / "sites" / site

    def start_hub(self) -> None:
        log = (self.root / "hub.log").open("ab")
        port = self.url.rsplit(":", 1)[1]
        self.hub = subprocess.Popen([*fairgrid_command(), "serve", "--port", port, "--log-level", "info"],
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.hub.poll() is not None:
                raise RuntimeError((self.root / "hub.log").read_text()[-3000:])
            time.sleep(0.3)
        raise TimeoutError("hub did not start")

    def stop_hub(self) -> None:
        self.hub.terminate()
        try:
            self.hub.wait(20)
        except subprocess.TimeoutExpired:
            self.hub.kill()


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    root = tmp_path_factory.mktemp("federation")
    env = {**os.environ, "FAIRGRID_HOME": str(root / "hub"), "FAIRGRID_DEV_AUTH": "1"}
    described = build_demo_sites(root / "demo", patients=80)
    (root / "ghost.ttl").write_text(GHOST)
    for cmd in (["init"], ["import", *map(str, described), str(root / "ghost.ttl")]):
        subprocess.run([*fairgrid_command(), *cmd], env=env, check=True, capture_output=True)
    url = f"http://127.0.0.1:{free_port()}"
    fed = Federation(root, url, env, None, LocalSites(url, env))  # type: ignore[arg-type]
    fed.start_hub()
    try:
        for s in SITES:
            fed.sites.start(s, fed.site_home(s), fed.token("site-operator", subject=f"op-{s}", site=s))
        fed.sites.wait_connected(fed.token("researcher"))
        yield fed
    finally:
        fed.sites.stop_all()
        fed.stop_hub()
