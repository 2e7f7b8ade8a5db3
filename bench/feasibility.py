"""Federated feasibility end to end: 10 site agent processes with 100,000 synthetic patients each, one hub.

    .venv/bin/python bench/feasibility.py [--sites 10] [--patients 100000] [--queries 200]

A simple question (one disease code with descendants) and a complex one (code + age at diagnosis + lab
range + variant + an exclusion) are each asked `--queries` times through the hub's HTTP API
(`POST /feasibility`), with each site's noise cache cleared between questions so that no answer is a cache
hit (sites run with epsilon 1.0, and a budget the bench cannot spend). In the same run the same counts
are timed on one site store directly (no hub, no network, no disclosure control), through the agent's
cohort index and through the reference SQL, to show what the protocol adds. The site data is synthesised once
(bench/out/feasibility/) and copied to every site: each site holds its own store file.
Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.auth import dev_token  # noqa: E402
from federation.criteria import parse_criteria  # noqa: E402
from federation.local import LocalSites, fairgrid_command  # noqa: E402
from federation.site import evaluate  # noqa: E402
from federation.site.cohort_index import CohortIndex  # noqa: E402
from federation.site.home import init_site  # noqa: E402
from federation.site.keys import site_public_key  # noqa: E402
from federation.site.store import SiteStore  # noqa: E402
from federation.site.terminology import Terminology  # noqa: E402
from federation.synth.run import synthesize  # noqa: E402
from registry.identity import Role  # noqa: E402

OUT = ROOT / "bench" / "out" / "feasibility"
SIMPLE = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}
COMPLEX = {
    "inclusion": [
        [{"type": "diagnosis", "system": "icd10", "code": "D46"}],
        [{"type": "age", "min": 60, "at": "diagnosis"}],
        [{"type": "lab", "loinc": "718-7", "min": 7, "max": 10, "unit": "g/dL"}],
        [{"type": "variant", "gene": "SF3B1"}],
    ],
    "exclusion": [{"type": "variant", "gene": "TP53"}],
}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def source_store(patients: int) -> Path:
    """One synthesised and loaded site store, made once and reused."""
    store = OUT / f"source-{patients}" / "store.duckdb"
    if store.exists():
        return store
    synth = OUT / f"synth-{patients}"
    print(f"synthesising {patients} MDS patients (once)", file=sys.stderr, flush=True)
    synthesize("mds", 1, patients, 42, synth)
    home = init_site(store.parent, "bench-source", secret="bench", force=True)
    with SiteStore(home.store_path, terminology=Terminology.load()) as st:
        st.load([synth / "site-1" / "fhir"])
    shutil.rmtree(synth)
    return store


def site_direct(store: Path, queries: int) -> dict[str, list[float]]:
    """The same counts on one site store, no hub: through the agent's cohort index and the reference SQL."""
    out: dict[str, list[float]] = {}
    with SiteStore(store, terminology=Terminology.load(), read_only=True) as st:
        index = CohortIndex(st)
        for name, doc in (("simple", SIMPLE), ("complex", COMPLEX)):
            q = parse_criteria(doc)
            assert index.count(q) == evaluate.count(st, q)
            for engine, count in (("index", index.count), ("sql", lambda q: evaluate.count(st, q))):
                count(q)  # warm
                times = []
                for _ in range(queries if engine == "index" else max(5, queries // 10)):
                    t = time.perf_counter()
                    count(q)
                    times.append((time.perf_counter() - t) * 1000)
                out[f"{name}_{engine}"] = times
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sites", type=int, default=10)
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    src = source_store(args.patients)
    run = OUT / "run"
    shutil.rmtree(run, ignore_errors=True)
    hub_home = run / "hub"
    env = {**os.environ, "FAIRGRID_HOME": str(hub_home), "FAIRGRID_DEV_AUTH": "1"}
    ttl = ["@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> ."]
    homes: dict[str, Path] = {}
    for i in range(args.sites):
        sid = f"bench-{i:02d}"
        home = init_site(run / "sites" / sid, sid, secret=f"secret-{sid}")
        shutil.copy(src, home.store_path)
        policy = "threshold: 10\nrounding: 5\nepsilon: 1.0\nbudget: 1000000\n"  # epsilon needs a budget
        (home.path / "site-policy.yaml").write_text(policy)
        key = site_public_key(home.path)
        ttl.append(f'<https://w3id.org/fairgrid/site/{sid}> a fg:Site, foaf:Organization ;'
                   f' foaf:name "Bench {sid}" ; fg:siteId "{sid}" ; fg:signingKey "{key}" .')  # fmt: skip
        homes[sid] = home.path
    (run / "sites.ttl").write_text("\n".join(ttl) + "\n")
    for cmd in (["init"], ["import", str(run / "sites.ttl")]):
        subprocess.run([*fairgrid_command(), *cmd], env=env, check=True, capture_output=True)
    port = 18600
    url = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen([*fairgrid_command(), "serve", "--port", str(port), "--log-level", "warning"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    sites = LocalSites(url, env)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        for sid, path in homes.items():
            sites.start(sid, path, dev_token(hub_home, f"op-{sid}", [Role.SITE_OPERATOR], site=sid))
        token = dev_token(hub_home, "bench-researcher", [Role.RESEARCHER])
        sites.wait_connected(token, timeout_s=300)
        ledgers = [sqlite3.connect(h / "ledger.sqlite", timeout=30) for h in homes.values()]
        results: dict[str, list[float]] = {}
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            for name, doc in (("simple", SIMPLE), ("complex", COMPLEX)):
                client.post(f"{url}/feasibility", json={"criteria": doc}).raise_for_status()  # warm
                times, statuses = [], set()
                for _ in range(args.queries):
                    for con in ledgers:  # no cache hits: the next answer is drawn afresh
                        con.execute("DELETE FROM noise")
                        con.commit()
                    t = time.perf_counter()
                    r = client.post(f"{url}/feasibility", json={"criteria": doc, "deadline_ms": 5000})
                    times.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
                    statuses |= {s["status"] for s in r.json()["sites"]}
                results[name] = times
                line = f"{name}: p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms"
                print(f"{line}, statuses {sorted(statuses)}", file=sys.stderr, flush=True)
    finally:
        sites.stop_all()
        hub.terminate()
        hub.wait(20)
    direct = site_direct(src, args.queries)
    direct_all = direct["simple_index"] + direct["complex_index"]
    summary: dict[str, Any] = {
        "sites": args.sites,
        "patients_per_site": args.patients,
        "queries": args.queries,
        "simple_p50_ms": round(pct(results["simple"], 50), 1),
        "simple_p95_ms": round(pct(results["simple"], 95), 1),
        "complex_p50_ms": round(pct(results["complex"], 50), 1),
        "complex_p95_ms": round(pct(results["complex"], 95), 1),
        "site_direct_simple_p50_ms": round(pct(direct["simple_index"], 50), 2),
        "site_direct_complex_p50_ms": round(pct(direct["complex_index"], 50), 2),
        "site_sql_simple_p50_ms": round(pct(direct["simple_sql"], 50), 1),
        "site_sql_complex_p50_ms": round(pct(direct["complex_sql"], 50), 1),
        "site_direct_p95_ms": round(pct(direct_all, 95), 2),
        "site_patients_per_s": round(args.patients / (statistics.median(direct_all) / 1000)),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
