"""Search latency: GraphQL search over HTTP on the embedded index and on OpenSearch, against the way
FAIR Data Point searches (SPARQL, case-insensitive CONTAINS over every literal, plus the same filters).

    .venv/bin/python bench/search.py [--records 100000] [--seconds 30] [--clients 16]

Generates synthetic HealthDCAT-AP datasets (seeded; access rights 25% public, 55% restricted, 20% non-public,
one in ten with consortium-only metadata), as SearchDocuments for the indexes, as records in the registry's
store (revisions, verbatim content, as an import stores them) and as triples in a separate in-process
Oxigraph store for the FDP-style baseline. Each backend is served by the real
server, `fairgrid serve --workers N` (one worker per core by default; the registry's store is an Oxigraph
server holding the terminologies), and hit by `--clients` concurrent connections for `--seconds` with
GraphQL searches: text + 2 filters + 4 facets, drawn from a fixed seeded list of 200 (no result cache
exists anywhere in the path, so repeats are answered afresh). The FDP-style queries run directly against the
Oxigraph store (no HTTP, and they compute no facets: both in FDP's favour). OpenSearch is measured when
reachable (FAIRGRID_OPENSEARCH_URL, default http://127.0.0.1:9250), else reported as null. The last line
is one JSON object with the p95 figures, the server CPU per search for each path (the FDP-style one is
this process's CPU) and every path's error count; wrk counts HTTP 200 answers with GraphQL `errors` as
errors too.
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
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import free_port  # noqa: E402
from bench.load import cpu_seconds, hammer, percentiles, wrk, wrk_script  # noqa: E402
from registry.search.port import SearchDocument  # noqa: E402
from registry.vocab import (  # noqa: E402
    ACCESS_RIGHT,
    DATA_THEME,
    DCAT,
    DCT,
    FG,
    HEALTH,
    ICD10,
    METADATA_VISIBILITY,
    RDF_TYPE,
    VISIBILITY_CONSORTIUM,
    XSD,
)  # fmt: skip

BASE = "https://w3id.org/fairgrid/"
DISEASES = {
    "D46.1": "refractory anaemia with ring sideroblasts", "D46.2": "myelodysplastic syndrome excess blasts",
    "D46.9": "myelodysplastic syndrome", "D57.0": "sickle cell anaemia with crisis",
    "D57.1": "sickle cell disease", "C90.0": "multiple myeloma", "C92.0": "acute myeloid leukaemia",
    "C91.0": "acute lymphoblastic leukaemia", "D61.9": "aplastic anaemia", "D56.1": "beta thalassaemia",
}  # fmt: skip
SITES = ["paris", "milan", "leiden", "berlin", "madrid", "lisbon", "vienna", "prague", "leuven", "uppsala"]
ACCESS = [ACCESS_RIGHT + a for a in ("PUBLIC", "RESTRICTED", "NON_PUBLIC")]
# Health datasets are mostly restricted; about one record in ten keeps its metadata to the consortium.
ACCESS_WEIGHTS = (25, 55, 20)
CONSORTIUM_ONLY = 0.1
THEMES = [DATA_THEME + t for t in ("HEAL", "SOCI", "TECH", "EDUC")]
KINDS = ["registry", "cohort", "biobank", "trial follow-up", "sequencing study", "imaging series", "audit"]
TOPICS = ["transfusion burden", "treatment outcomes", "genomics", "quality of life", "paediatric care",
          "survival", "risk scores", "infections", "iron overload", "stem cell transplantation"]  # fmt: skip
KEYWORDS = ["registry", "cohort", "genomics", "transfusion", "paediatric", "outcomes", "survival", "biobank",
            "MDS", "AML", "myeloma", "sickle cell", "thalassaemia", "IPSS-R", "real-world data"]  # fmt: skip
TEXTS = ["myelodysplastic", "sickle cell", "myeloma", "transfusion", "registry", "sequencing", "paediatric",
         "outcomes", "leukaemia", "anaemia", "survival", "biobank"]  # fmt: skip
GQL = """query($text: String, $filter: SearchFilter) {
  search(text: $text, filter: $filter, facets: [THEME, ACCESS_RIGHTS, DISEASE, KEYWORD], first: 10) {
    totalCount hits { iri title } facets { facet buckets { value count } } } }"""


def generate(n: int, seed: int = 42) -> Iterator[tuple[SearchDocument, list[ox.Quad]]]:
    rnd = random.Random(seed)
    for i in range(n):
        codes = rnd.sample(list(DISEASES), rnd.choice((1, 1, 2, 3)))
        site = rnd.choice(SITES)
        kind, topic = rnd.choice(KINDS), rnd.choice(TOPICS)
        title = f"{DISEASES[codes[0]].capitalize()} {kind}: {topic} — {site.capitalize()} site #{i}"
        desc = (
            f"Synthetic {kind} of patients with {', '.join(DISEASES[c] for c in codes)} at the {site} site, "
            f"covering {topic}, with {rnd.randint(50, 20000)} participants."
        )
        issued = date(2012, 1, 1) + timedelta(days=rnd.randint(0, 4500))
        doc = SearchDocument(
            iri=f"{BASE}dataset/bench-{i}", kind="Dataset", title=title, description=desc,
            keywords=sorted(set(rnd.sample(KEYWORDS, 4))), themes=[rnd.choice(THEMES)],
            publisher=f"{BASE}organization/consortium", sites=[f"{BASE}site/{site}"],
            access_rights=rnd.choices(ACCESS, ACCESS_WEIGHTS)[0], diseases=sorted(ICD10 + c for c in codes),
            unique_individuals=rnd.randint(50, 20000), issued=issued,
            modified=issued + timedelta(days=rnd.randint(0, 900)), public=rnd.random() >= CONSORTIUM_ONLY,
        )  # fmt: skip
        yield doc, quads(doc)


def quads(d: SearchDocument) -> list[ox.Quad]:
    s, g, n = ox.NamedNode(d.iri), ox.NamedNode(d.iri), ox.NamedNode
    out: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, n(DCAT + "Dataset")),
        (DCT + "title", ox.Literal(d.title, language="en")),
        (DCT + "description", ox.Literal(d.description, language="en")),
        (DCT + "publisher", n(d.publisher or "")),
        (DCT + "accessRights", n(d.access_rights or "")),
        (DCT + "issued", ox.Literal(str(d.issued), datatype=n(XSD + "date"))),
        (
            HEALTH + "numberOfUniqueIndividuals",
            ox.Literal(str(d.unique_individuals), datatype=n(XSD + "int")),
        ),
        *[(DCAT + "keyword", ox.Literal(k, language="en")) for k in d.keywords],
        *[(DCAT + "theme", n(t)) for t in d.themes],
        *[(FG + "hostedAt", n(x)) for x in d.sites],
        *[(HEALTH + "hasCodeValues", n(c)) for c in d.diseases],
        *([] if d.public else [(METADATA_VISIBILITY, n(VISIBILITY_CONSORTIUM))]),
    ]
    return [ox.Quad(s, n(p), o, g) for p, o in out]


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


def store_server(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """An Oxigraph server holding the registry's store (the terminologies that disease filters expand
    through): `fairgrid serve --workers N` needs the store as a server."""
    exe = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    cmd = [
        str(exe) if exe.exists() else "oxigraph",
        "serve",
        "--location",
        str(work / "store"),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(300):
        try:
            httpx.get(url, params={"query": "ASK {}"}, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the Oxigraph server did not start")


def load_registry(home: Path, store_url: str, records: int) -> None:
    """The registry's store: the terminologies (disease filters expand through them) and every generated
    record, stored as the registry stores records (revision, verbatim content, PROV), so the served
    searches read the same records the index holds. The index is built separately: the outbox is
    acknowledged."""
    from datetime import UTC, datetime

    from registry.config import Settings
    from registry.identity import local_operator
    from registry.model import Record, RevisionInfo, content_hash
    from registry.store.port import Write
    from registry.validation.bundle import terminology_files
    from registry.vocab import Kind
    from registry.wiring import open_registry

    with open_registry(Settings(home=home, store_url=store_url)) as reg:
        reg.importer.run(local_operator(), terminology_files())
        batch: list[Write] = []
        now, agent = datetime.now(UTC), local_operator().agent_iri
        for i, (doc, qd) in enumerate(generate(records)):
            triples = tuple(q.triple for q in qd)
            rev = RevisionInfo(doc.iri, 1, Kind.DATASET, now, agent, content_hash(list(triples)))
            batch.append(Write(Record(doc.iri, Kind.DATASET, triples, rev), None))
            if len(batch) == 1000 or i == records - 1:
                reg.store.commit(batch)
                reg.store.ack(reg.store.pending(100_000))
                batch = []
        reg.store.ack(reg.store.pending(100_000))


def http_bench(
    env: dict[str, str], home: Path, qs: list[dict[str, Any]], a: argparse.Namespace
) -> dict[str, Any]:
    """The real server (`fairgrid serve --workers N`) on `home` with the given FAIRGRID_* settings."""
    from api.auth import dev_token
    from registry.identity import Role

    port = free_port()
    exe = str(Path(sys.executable).parent / "fairgrid")
    cmd = [exe, "serve", "--port", str(port), "--workers", str(a.workers), "--log-level", "warning"]
    # development sign-in: the bench signs its requests with a `fairgrid dev-token`
    server_env = {**os.environ, "FAIRGRID_HOME": str(home), "FAIRGRID_DEV_AUTH": "1", **env}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env)
    token = dev_token(home, "bench", [Role.RESEARCHER])
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
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
        cpu0 = cpu_seconds(proc.pid)
        if a.driver == "wrk" or (a.driver == "auto" and shutil.which("wrk")):
            out = wrk(f"http://127.0.0.1:{port}", wrk_script(GQL, qs, token, home), a.clients, a.seconds)
        else:
            out = hammer(call, qs, a.clients, a.seconds)
        cpu1 = cpu_seconds(proc.pid)
        if cpu0 is not None and cpu1 is not None and out["requests"]:
            # the server's whole CPU cost per search (all workers): with every core busy, this is
            # what sets throughput and so, with a fixed number of clients, latency
            out["server_cpu_ms_per_request"] = round((cpu1 - cpu0) * 1000 / out["requests"], 2)
        if out.get("driver") == "wrk":
            out["http_floor"] = wrk(f"http://127.0.0.1:{port}/healthz", None, a.clients, a.seconds)
        return out
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument(
        "--opensearch-url", default=os.environ.get("FAIRGRID_OPENSEARCH_URL", "http://127.0.0.1:9250")
    )
    p.add_argument("--driver", choices=["auto", "wrk", "python"], default="auto",
                   help="load generator: wrk when installed (auto), or Python threads")  # fmt: skip
    p.add_argument("--workers", type=int, default=0,
                   help="server worker processes (0: one per CPU core)")  # fmt: skip
    a = p.parse_args()
    from registry.search.embedded import TantivyIndex
    from registry.search.opensearch import OpenSearchIndex
    from registry.services.search import note_index_current

    work = Path(tempfile.mkdtemp(prefix="fairgrid-bench-"))
    t0 = time.monotonic()
    docs: list[SearchDocument] = []
    store = ox.Store()
    batch: list[ox.Quad] = []
    for doc, qd in generate(a.records):
        docs.append(doc)
        batch += qd
        if len(batch) > 200_000:
            store.bulk_extend(batch)
            batch = []
    store.bulk_extend(batch)
    print(f"generated {len(docs)} records, {len(store)} quads in {time.monotonic() - t0:.1f}s", flush=True)
    t0 = time.monotonic()
    home = work / "home"
    emb = TantivyIndex(home / "index")
    emb.rebuild(docs)
    note_index_current(home)  # built here, not by the server's drain: it must not rebuild it
    print(f"embedded index built in {time.monotonic() - t0:.1f}s", flush=True)
    index_only = index_latency(emb, queries())
    emb.close()
    print("embedded index alone (one thread, no HTTP/GraphQL):", index_only, flush=True)
    qs = queries()
    results: dict[str, Any] = {}
    alias: str | None = None
    os_index: OpenSearchIndex | None = None
    oxi, store_url = store_server(work)
    try:
        t0 = time.monotonic()
        load_registry(home, store_url, a.records)
        print(f"registry store loaded in {time.monotonic() - t0:.1f}s", flush=True)
        env = {"FAIRGRID_STORE_URL": store_url}
        # Embedded first, before the OpenSearch index exists: building it leaves the node merging
        # segments in the background, which would take CPU from this run.
        results["embedded"] = http_bench(env, home, qs, a)
        print("embedded (GraphQL over HTTP):", results["embedded"], flush=True)
        try:
            with urllib.request.urlopen(a.opensearch_url + "/", timeout=3):
                pass
        except OSError as exc:
            print(f"OpenSearch not reachable at {a.opensearch_url} ({exc}): reported as null", flush=True)
        else:
            alias = f"fairgrid-bench-{uuid.uuid4().hex[:8]}"
            os_index = OpenSearchIndex(a.opensearch_url, alias=alias)
            t0 = time.monotonic()
            os_index.rebuild(docs)
            # A static index, as the embedded one: merged down so that no merge runs during the load.
            os_index.engine.call("POST", f"/{alias}/_forcemerge", params={"max_num_segments": 1})
            print(f"OpenSearch index built and merged in {time.monotonic() - t0:.1f}s", flush=True)
            env |= {"FAIRGRID_SEARCH_URL": a.opensearch_url, "FAIRGRID_SEARCH_ALIAS": alias}
            results["opensearch"] = http_bench(env, home, qs, a)
            print("opensearch (GraphQL over HTTP):", results["opensearch"], flush=True)
    finally:
        oxi.terminate()
        oxi.wait(20)
        if os_index is not None:
            os_index.drop()
            os_index.close()
    del docs

    def fdp(q: dict[str, Any]) -> None:
        list(store.query(fdp_sparql(q)))  # type: ignore[arg-type]

    cpu0 = cpu_seconds(os.getpid())
    results["fdp_style"] = hammer(fdp, qs, a.clients, a.seconds)
    cpu1 = cpu_seconds(os.getpid())
    if cpu0 is not None and cpu1 is not None and results["fdp_style"]["requests"]:
        # in this process, no HTTP and no facets: both in FDP's favour
        results["fdp_style"]["cpu_ms_per_request"] = round(
            (cpu1 - cpu0) * 1000 / results["fdp_style"]["requests"], 2
        )
    print(
        "FDP-style (SPARQL CONTAINS on Oxigraph, in process: no HTTP, no facets):",
        results["fdp_style"],
        flush=True,
    )
    emb95 = results["embedded"]["p95_ms"]
    os95 = results.get("opensearch", {}).get("p95_ms")
    fdp95 = results["fdp_style"]["p95_ms"]
    print(json.dumps({
        "records": a.records, "seconds": a.seconds, "clients": a.clients,
        "embedded_p95_ms": emb95, "opensearch_p95_ms": os95, "fdp_style_p95_ms": fdp95,
        "speedup_vs_fdp": round(fdp95 / emb95, 1) if emb95 and fdp95 else None,
        "index_only_p95_ms": index_only["p95_ms"],
        "http_floor_p95_ms": results["embedded"].get("http_floor", {}).get("p95_ms"),
        "embedded_rps": results["embedded"].get("rps"),
        "embedded_cpu_ms_per_request": results["embedded"].get("server_cpu_ms_per_request"),
        "opensearch_cpu_ms_per_request": results.get("opensearch", {}).get("server_cpu_ms_per_request"),
        "fdp_style_cpu_ms_per_request": results["fdp_style"].get("cpu_ms_per_request"),
        "throughput_vs_fdp": round(results["embedded"]["rps"] / results["fdp_style"]["rps"], 1)
        if results["embedded"].get("rps") and results["fdp_style"].get("rps") else None,
        "errors": {k: v.get("errors") for k, v in results.items()},
        "driver": results["embedded"].get("driver", "python"),
        "workers": a.workers or os.cpu_count(), "cpus": os.cpu_count(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
