"""`make demo`'s live part as a user runs it: a governed training run on Flower, its model published to the
local Zenodo stand-in, then hub and three site agents as processes and one federated question."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port


def test_demo_serves_connects_the_sites_and_asks_them(tmp_path: Path) -> None:
    env = {**os.environ, "FAIRGRID_HOME": str(tmp_path / "home"), "FAIRGRID_DEV_AUTH": "1",
           "FAIRGRID_PORT": str(free_port())}  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "api.demo", "--serve", "--once"], env=env, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    flat = " ".join(run.stdout.split())  # Rich wraps long lines
    assert "training job: completed, 2/2 rounds" in flat, run.stdout[-3000:]
    # truly federated: both sites with MDS patients trained; the SCD site was asked and did not
    for trained in ("demo-mds: trained, n=", "demo-mm: trained, n=", "demo-scd: did not train"):
        assert trained in flat, flat[-3000:]
    assert re.search(r"model https://w3id\.org/fairgrid/model/trained-\w+ registered", flat), flat[-3000:]
    assert re.search(r"DOI https://doi\.org/10\.5072/zenodo\.\d+", flat), flat[-3000:]
    table = run.stdout[run.stdout.index("Federated feasibility") :]
    for site in ("demo-mds", "demo-scd", "demo-mm"):
        assert site in table
    assert "NOT_CONNECTED" not in table and "TIMEOUT" not in table
    assert "total" in table
    # the agents stopped with the demo
    ps = subprocess.run(["pgrep", "-f", f"site serve --home {tmp_path}"], capture_output=True, text=True)
    assert ps.stdout.strip() == ""
