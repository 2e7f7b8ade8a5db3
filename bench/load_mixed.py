"""A bounded load run: `--clients` closed-loop clients against a live `fairgrid serve`, mixed reads and
writes, for `--seconds`; reports every error (goal 0) and the latency percentiles (p99 included) per kind.

    .venv/bin/python bench/load_mixed.py [--clients 16] [--seconds 60] [--records 2000] [--write-share 0.2]

The registry holds the terminologies, the example catalogue and `--records` generated datasets (imported
first). Each request is, by a seeded draw: a write (POST /records of a new generated dataset document,
as a curator; share `--write-share`), or a read: a GraphQL search (text + filter + facets), a record
fetched as Turtle, or a catalogue page. Errors are any non-2xx answer, a GraphQL `errors` member, or a
failed connection. The server runs `--workers` processes over an Oxigraph store server (the embedded
store opens in one process only). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import LiveServer, store_server  # noqa: E402
from bench.load import cpu_seconds, hammer  # noqa: E402
from registry.io.generate import documents  # noqa: E402

SEARCH = """query($text: String) { search(text: $text, facets: [THEME, ACCESS_RIGHTS], first: 10) {
  totalCount hits { iri title } } }"""
TEXTS = ["myelodysplastic", "sickle cell", "myeloma", "transfusion", "registry", "cohort", "Lyon"]


def prepare(home: Path, store_url: str, records: int, work: Path) -> None:
    from registry.config import Settings
    from registry.identity import local_operator
    from registry.validation.bundle import example_catalogue, terminology_files
    from registry.wiring import open_registry

    src = work / "in"
    src.mkdir()
    for i, doc in enumerate(documents(records, seed=3, prefix="load")):
        (src / f"{i:06d}.ttl").write_text(doc)
    with open_registry(Settings(home=home, store_url=store_url)) as reg:
        summary = reg.importer.run(local_operator("load"), [*terminology_files(), example_catalogue(), src])
        if summary.rejected:
            raise RuntimeError(
                f"{summary.rejected} records rejected while preparing: {summary.rejections[0]}"
            )
        reg.search.sync()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--write-share", type=float, default=0.2)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from api.auth import dev_token
    from registry.identity import Role

    with tempfile.TemporaryDirectory(prefix="fairgrid-load-") as tmp:
        work = Path(tmp)
        oxi, store_url = store_server(work / "store")
        try:
            t0 = time.monotonic()
            prepare(work / "home", store_url, args.records, work)
            print(f"prepared {args.records} records in {time.monotonic() - t0:.1f}s", flush=True)
            env = {"FAIRGRID_STORE_URL": store_url}
            with LiveServer(work / "home", workers=args.workers, env=env) as server:
                result = run(server, args, dev_token(work / "home", "load", [Role.CURATOR]))
        finally:
            oxi.terminate()
            oxi.wait(20)
    for kind, figures in result["kinds"].items():
        print(f"{kind}: {figures}")
    print(json.dumps({k: v for k, v in result.items() if k != "kinds"} | {"kinds": result["kinds"]}))


def run(server: LiveServer, args: argparse.Namespace, token: str) -> dict[str, Any]:
    curator = {"Authorization": f"Bearer {token}"}
    serial = itertools.count()
    local = threading.local()
    lat: dict[str, list[float]] = {"write": [], "search": [], "record": [], "catalog": []}
    errors: list[str] = []
    lock = threading.Lock()
    rnd = random.Random(11)
    plan = [
        "write" if rnd.random() < args.write_share else rnd.choice(["search", "search", "record", "catalog"])
        for _ in range(1000)
    ]

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=server.base, timeout=120)
        c: httpx.Client = local.c
        return c

    def call(q: dict[str, Any]) -> None:
        kind, n = q["kind"], next(serial)
        t0 = time.perf_counter()
        if kind == "write":
            doc = next(documents(1, seed=n, prefix=f"w{n}"))
            r = client().post("/records", content=doc, headers={**curator, "Content-Type": "text/turtle"})
        elif kind == "search":
            body = {"query": SEARCH, "variables": {"text": TEXTS[n % len(TEXTS)]}}
            r = client().post("/graphql", json=body)
        elif kind == "record":
            r = client().get(f"/records/dataset/load-{n % args.records}", headers={"Accept": "text/turtle"})
        else:
            r = client().get("/catalog", params={"page": 1 + n % max(1, args.records // 10), "size": 10})
        took = time.perf_counter() - t0
        bad = r.status_code >= 300 or (kind == "search" and "errors" in r.json())
        with lock:
            if bad:
                errors.append(f"{kind} {r.status_code} {r.text[:200]}")
            else:
                lat[kind].append(took)
        if bad:
            raise RuntimeError(errors[-1])

    qs = [{"kind": k} for k in plan]
    cpu0 = cpu_seconds(server.proc.pid) if server.proc else None
    overall = hammer(call, qs, args.clients, args.seconds)
    cpu1 = cpu_seconds(server.proc.pid) if server.proc else None
    from bench.load import percentiles

    kinds = {k: percentiles(v, args.seconds) for k, v in lat.items()}
    return {
        "clients": args.clients, "seconds": args.seconds, "records": args.records,
        "requests": overall["requests"] + overall["errors"], "errors": overall["errors"],
        "first_errors": errors[:5], "p50_ms": overall["p50_ms"], "p95_ms": overall["p95_ms"],
        "p99_ms": overall["p99_ms"], "rps": overall["rps"],
        "server_cpu_ms_per_request": round((cpu1 - cpu0) * 1000 / max(1, overall["requests"]), 2)
        if cpu0 is not None and cpu1 is not None else None,
        "kinds": kinds,
    }  # fmt: skip


if __name__ == "__main__":
    main()
