"""Search cost and latency: GraphQL search over HTTP on the embedded index and on OpenSearch, against the
way FAIR Data Point searches (SPARQL, case-insensitive CONTAINS over every literal, plus the same filters).

    .venv/bin/python bench/search.py [--records 100000,1000000] [--seconds 30] [--clients 16]
                                     [--opensearch-url URL|none] [--driver auto|wrk|python]

Generates synthetic HealthDCAT-AP datasets (seeded; access rights 25% public, 55% restricted, 20% non-public,
one in ten with consortium-only metadata). They are loaded in bulk, not imported (bench/search_data.py says
why and how): into the registry's store as the quads an import's commit writes (content, verbatim revision,
PROV), into the embedded index by its own bulk build, and as plain triples into a separate in-memory
Oxigraph store for the FDP-style baseline. Every size in `--records` is measured in the same run, smallest
first (the stores grow, the index is rebuilt), so the growth of CPU per search compares like with like.

Each backend is served by the real server, `fairgrid serve --workers N` (one worker per core by default)
over an Oxigraph server holding the registry's store (terminologies and records), and hit by `--clients`
concurrent connections for `--seconds` with GraphQL searches: text + 2 filters + 4 facets, drawn from a
fixed seeded list of 200 (no result cache exists anywhere in the path, so repeats are answered afresh).
The load comes from wrk when installed (Debian: `apt-get install wrk`), else from Python threads.
The FDP-style queries run in this process straight against the in-memory store: no HTTP, no facets, no
access filtering, all in FDP's favour; Oxigraph has no full-text index, so CONTAINS over literals is the
strongest text match its SPARQL offers. OpenSearch is measured when reachable (FAIRGRID_OPENSEARCH_URL,
default http://127.0.0.1:9250; `none` leaves it out), else reported as null.

Server CPU per search (CPU seconds of the serving processes / searches answered) is the robust figure on a
shared machine; requests per second and percentiles depend on what else runs. The last line is one JSON
object: per size, CPU per search for each path (the FDP-style one is this process's CPU; the store
server's is given apart, measured once it has compacted the bulk-loaded folder), throughput, p95/p99
and every path's error count (wrk counts HTTP 200 answers with GraphQL `errors` as errors), and the
growth of embedded CPU per search from the first size to the last.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import LiveServer, store_server  # noqa: E402
from bench.load import cpu_seconds, hammer, percentiles, settle, wrk, wrk_script  # noqa: E402
from bench.search_data import ACCESS, BASE, DISEASES, SITES, THEMES, Corpus, generate  # noqa: E402
from registry.vocab import DCAT, DCT, FG, HEALTH, ICD10  # noqa: E402

TEXTS = ["myelodysplastic", "sickle cell", "myeloma", "transfusion", "registry", "sequencing", "paediatric",
         "outcomes", "leukaemia", "anaemia", "survival", "biobank"]  # fmt: skip
GQL = """query($text: String, $filter: SearchFilter) {
  search(text: $text, filter: $filter, facets: [THEME, ACCESS_RIGHTS, DISEASE, KEYWORD], first: 10) {
    totalCount hits { iri title } facets { facet buckets { value count } } } }"""


def queries(seed: int = 7, count: int = 200) -> list[dict[str, Any]]:
    """A fixed list of (text, two filters) searches."""
    rnd = random.Random(seed)
    pool: list[Callable[[], tuple[str, list[str]]]] = [
        lambda: ("accessRights", [rnd.choice(ACCESS)]),
        lambda: ("diseases", [ICD10 + rnd.choice(list(DISEASES))]),
        lambda: ("publishers", [f"{BASE}site/{rnd.choice(SITES)}"]),
        lambda: ("themes", [rnd.choice(THEMES)]),
    ]
    out = []
    for _ in range(count):
        a, b = rnd.sample(pool, 2)
        out.append({"text": rnd.choice(TEXTS), "filter": dict([a(), b()])})
    return out


def fdp_sparql(q: dict[str, Any]) -> str:
    """FAIR Data Point style: every literal of the entity, lower-cased, CONTAINS the text; plus filters."""
    f = q["filter"]
    pats = []
    if "accessRights" in f:
        pats.append(f"?s <{DCT}accessRights> <{f['accessRights'][0]}> .")
    if "diseases" in f:
        pats.append(f"?s <{HEALTH}hasCodeValues> <{f['diseases'][0]}> .")
    if "publishers" in f:
        o = f["publishers"][0]
        pats.append(f"{{ ?s <{DCT}publisher> <{o}> }} UNION {{ ?s <{FG}hostedAt> <{o}> }}")
    if "themes" in f:
        pats.append(f"?s <{DCAT}theme> <{f['themes'][0]}> .")
    text = q["text"].lower().replace('"', "")
    return (
        f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s a <{DCAT}Dataset> . {' '.join(pats)} ?s ?p ?o . "
        f'FILTER(isLiteral(?o) && CONTAINS(LCASE(STR(?o)), "{text}")) }} }}'
    )


def index_latency(index: Any, qs: list[dict[str, Any]]) -> dict[str, Any]:
    """The same searches straight on the index, one at a time: what the engine itself costs."""
    from registry.search.port import Facet, SearchFilter, SearchQuery

    names = {"accessRights": "access_rights"}
    facets = [Facet.THEME, Facet.ACCESS_RIGHTS, Facet.DISEASE, Facet.KEYWORD]
    lat: list[float] = []
    start = time.monotonic()
    for q in qs:
        f = SearchFilter(**{names.get(k, k): v for k, v in q["filter"].items()})
        t0 = time.perf_counter()
        index.search(SearchQuery(text=q["text"], filters=f, facets=facets, first=10))
        lat.append(time.perf_counter() - t0)
    return percentiles(lat, time.monotonic() - start)


def import_terminologies(home: Path) -> str:
    """The registry's store starts with the terminologies, imported as `fairgrid import` does (disease
    filters expand through them), in the embedded store under `home/store`; their outbox entries are
    acknowledged (the bench builds the index itself). Returns the importing agent's IRI."""
    from registry.config import Settings
    from registry.identity import local_operator
    from registry.validation.bundle import terminology_files
    from registry.wiring import open_registry

    with open_registry(Settings(home=home)) as reg:
        reg.importer.run(local_operator(), terminology_files())
        reg.store.ack(reg.store.pending(100_000))
    return local_operator().agent_iri


def http_bench(
    env: dict[str, str], home: Path, qs: list[dict[str, Any]], a: argparse.Namespace, store_pid: int
) -> dict[str, Any]:
    """The real server (`fairgrid serve --workers N`) on `home` with the given FAIRGRID_* settings.
    Server CPU is the serving processes' own; the store server's (terminology checks) is given apart."""
    from api.auth import dev_token
    from registry.identity import Role

    # development sign-in (LiveServer turns it on): the bench signs its requests with a `fairgrid dev-token`
    token = dev_token(home, "bench", [Role.RESEARCHER])
    with LiveServer(home, workers=a.workers, env=env) as server:
        assert server.proc is not None
        pid, base = server.proc.pid, server.base
        url = f"{base}/graphql"
        local = threading.local()

        def call(q: dict[str, Any]) -> None:
            if not hasattr(local, "c"):
                local.c = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60)
            r = local.c.post(url, json={"query": GQL, "variables": q})
            body = r.json()
            if r.status_code != 200 or body.get("errors"):
                raise RuntimeError(f"{r.status_code} {str(body)[:200]}")

        for q in qs[:40]:  # warm up (every worker)
            call(q)
        cpu0, store0 = cpu_seconds(pid), cpu_seconds(store_pid)
        if a.driver == "wrk" or (a.driver == "auto" and shutil.which("wrk")):
            out = wrk(base, wrk_script(GQL, qs, token, home), a.clients, a.seconds)
        else:
            out = hammer(call, qs, a.clients, a.seconds)
        cpu1, store1 = cpu_seconds(pid), cpu_seconds(store_pid)
        if cpu0 is not None and cpu1 is not None and out["requests"]:
            # the server's whole CPU cost per search (all workers): with every core busy, this is
            # what sets throughput and so, with a fixed number of clients, latency
            out["server_cpu_ms_per_request"] = round((cpu1 - cpu0) * 1000 / out["requests"], 3)
        if store0 is not None and store1 is not None and out["requests"]:
            out["store_server_cpu_ms_per_request"] = round((store1 - store0) * 1000 / out["requests"], 3)
        if out.get("driver") == "wrk":
            out["http_floor"] = wrk(f"{base}/healthz", None, a.clients, a.seconds)
        return out


def fdp_bench(store: Any, qs: list[dict[str, Any]], a: argparse.Namespace) -> dict[str, Any]:
    """The FDP-style searches straight on the in-memory Oxigraph store, in this process: no HTTP, no
    facets, no access filtering (all in FDP's favour)."""

    def fdp(q: dict[str, Any]) -> None:
        list(store.query(fdp_sparql(q)))

    cpu0 = cpu_seconds(os.getpid())
    out = hammer(fdp, qs, a.clients, a.seconds)
    cpu1 = cpu_seconds(os.getpid())
    if cpu0 is not None and cpu1 is not None and out["requests"]:
        out["cpu_ms_per_request"] = round((cpu1 - cpu0) * 1000 / out["requests"], 2)
    return out


def opensearch_bench(
    n: int, env: dict[str, str], home: Path, qs: list[dict[str, Any]], a: argparse.Namespace, store_pid: int
) -> dict[str, Any] | None:
    """The same served searches on OpenSearch, when a node is reachable (else None)."""
    from registry.search.opensearch import OpenSearchIndex

    if a.opensearch_url == "none":
        return None
    try:
        with urllib.request.urlopen(a.opensearch_url + "/", timeout=3):
            pass
    except OSError as exc:
        print(f"OpenSearch not reachable at {a.opensearch_url} ({exc}): reported as null", flush=True)
        return None
    alias = f"fairgrid-bench-{uuid.uuid4().hex[:8]}"
    os_index = OpenSearchIndex(a.opensearch_url, alias=alias)
    try:
        t0 = time.monotonic()
        os_index.rebuild(generate(n))
        # A static index, as the embedded one: merged down so that no merge runs during the load.
        os_index.engine.call("POST", f"/{alias}/_forcemerge", params={"max_num_segments": 1})
        print(f"OpenSearch index built and merged in {time.monotonic() - t0:.1f}s", flush=True)
        env = {**env, "FAIRGRID_SEARCH_URL": a.opensearch_url, "FAIRGRID_SEARCH_ALIAS": alias}
        return http_bench(env, home, qs, a, store_pid)
    finally:
        os_index.drop()
        os_index.close()


def point(corpus: Corpus, n: int, a: argparse.Namespace) -> dict[str, Any]:
    """Every path measured at `n` records: the stores grow to `n`, the index is rebuilt over them."""
    from registry.search.embedded import TantivyIndex
    from registry.services.search import note_index_current

    home, qs = corpus.home, queries()
    t0 = time.monotonic()
    emb = TantivyIndex(home / "index")
    emb.rebuild(corpus.documents(n))
    note_index_current(home)  # built here, not by the server's drain: it must not rebuild it
    print(f"{n} records: stores grown and index rebuilt in {time.monotonic() - t0:.1f}s "
          f"({corpus.quads} record quads in the registry's store)", flush=True)  # fmt: skip
    out: dict[str, Any] = {"records": n, "index_only": index_latency(emb, qs)}
    emb.close()
    print("embedded index alone (one thread, no HTTP/GraphQL):", out["index_only"], flush=True)
    # The store server holds the terminologies that disease filters expand through, and the records.
    oxi, store_url = store_server(home / "store", stderr=subprocess.DEVNULL)
    try:
        out["store_settle_s"] = settle(oxi.pid)
        # settle gives up at its limit: the message says how long it waited, not that it went quiet
        waited = out["store_settle_s"]
        print(f"waited {waited}s for the store server to compact the bulk load", flush=True)
        env = {"FAIRGRID_STORE_URL": store_url}
        # Embedded first, before an OpenSearch index exists: building it leaves the node merging
        # segments in the background, which would take CPU from this run.
        out["embedded"] = http_bench(env, home, qs, a, oxi.pid)
        print("embedded (GraphQL over HTTP):", out["embedded"], flush=True)
        out["opensearch"] = opensearch_bench(n, env, home, qs, a, oxi.pid)
        if out["opensearch"] is not None:
            print("opensearch (GraphQL over HTTP):", out["opensearch"], flush=True)
    finally:
        oxi.terminate()
        oxi.wait(60)
    out["fdp_style"] = fdp_bench(corpus.fdp, qs, a)
    print("FDP-style (SPARQL CONTAINS on in-memory Oxigraph, in process: no HTTP, no facets):",
          out["fdp_style"], flush=True)  # fmt: skip
    return out


def summary(p: dict[str, Any]) -> dict[str, Any]:
    emb, fdp, ops = p["embedded"], p["fdp_style"], p["opensearch"] or {}
    return {
        "records": p["records"], "embedded_cpu_ms_per_search": emb.get("server_cpu_ms_per_request"),
        "store_server_cpu_ms_per_search": emb.get("store_server_cpu_ms_per_request"),
        "store_settle_s": p.get("store_settle_s"),
        "embedded_rps": emb.get("rps"), "embedded_p95_ms": emb["p95_ms"], "embedded_p99_ms": emb["p99_ms"],
        "index_only_p95_ms": p["index_only"]["p95_ms"],
        "http_floor_p95_ms": emb.get("http_floor", {}).get("p95_ms"),
        "opensearch_cpu_ms_per_search": ops.get("server_cpu_ms_per_request"),
        "opensearch_p95_ms": ops.get("p95_ms"),
        "fdp_style_rps": fdp.get("rps"), "fdp_style_p95_ms": fdp["p95_ms"],
        "fdp_style_cpu_ms_per_search": fdp.get("cpu_ms_per_request"),
        "throughput_vs_fdp": round(emb["rps"] / fdp["rps"], 1) if emb.get("rps") and fdp.get("rps") else None,
        "cpu_per_search_vs_fdp": round(fdp["cpu_ms_per_request"] / emb["server_cpu_ms_per_request"], 1)
        if fdp.get("cpu_ms_per_request") and emb.get("server_cpu_ms_per_request") else None,
        "p95_vs_fdp": round(fdp["p95_ms"] / emb["p95_ms"], 1) if emb["p95_ms"] and fdp["p95_ms"] else None,
        "errors": {k: (p[k] or {}).get("errors") for k in ("embedded", "opensearch", "fdp_style")},
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", default="100000",
                   help="record counts, comma-separated, measured in one run (100000,1000000)")  # fmt: skip
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument(
        "--opensearch-url",
        default=os.environ.get("FAIRGRID_OPENSEARCH_URL", "http://127.0.0.1:9250"),
        help="OpenSearch node to measure too when reachable; `none` leaves it out",
    )
    p.add_argument("--driver", choices=["auto", "wrk", "python"], default="auto",
                   help="load generator: wrk when installed (auto), or Python threads")  # fmt: skip
    p.add_argument("--workers", type=int, default=0,
                   help="server worker processes (0: one per CPU core)")  # fmt: skip
    a = p.parse_args()
    # a bench stopped with SIGTERM still cleans up (its OpenSearch index on a shared node, its folders)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sizes = [int(x) for x in a.records.split(",")]
    except ValueError:
        p.error("--records takes record counts separated by commas, such as 100000,1000000")
    if not sizes or any(n < 1 for n in sizes) or sizes != sorted(sizes):
        p.error("--records takes positive record counts in increasing order")
    work = Path(tempfile.mkdtemp(prefix="fairgrid-bench-"))
    try:
        home = work / "home"
        t0 = time.monotonic()
        corpus = Corpus(home, import_terminologies(home))
        print(f"terminologies imported in {time.monotonic() - t0:.1f}s", flush=True)
        points = [point(corpus, n, a) for n in sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [summary(x) for x in points]
    first, last = rows[0], rows[-1]
    growth = (
        round(last["embedded_cpu_ms_per_search"] / first["embedded_cpu_ms_per_search"], 2)
        if first["embedded_cpu_ms_per_search"] and last["embedded_cpu_ms_per_search"] else None
    )  # fmt: skip
    print(json.dumps({
        "seconds": a.seconds, "clients": a.clients, "points": rows,
        "cpu_per_search_growth": growth, "driver": points[0]["embedded"].get("driver", "python"),
        "workers": a.workers or os.cpu_count(), "cpus": os.cpu_count(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
