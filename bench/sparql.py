"""What SparqlService adds to each /sparql query: worker processes on the embedded store, the hub's
handling on Apache Jena Fuseki.

    .venv/bin/python bench/sparql.py [--rounds 200] [--store embedded|fuseki] [--fuseki-url URL]

Loads the example catalogue and the terminologies into a throwaway home, then times each query two ways,
sequentially. Embedded store: through SparqlService (a pre-started worker process over a store
checkpoint, the answer serialised by Oxigraph and parsed back) against the same query in process on a copy
of the same data (how /sparql ran before deadlines could stop a query). Fuseki (`--fuseki-url`, a dataset's
query endpoint, default the test node's http://127.0.0.1:3330/mem/query, which the bench empties first:
not while tests use the node): through SparqlService against the same request sent straight to Fuseki
(same graphs, same result format).
Rows are collected the same way on both sides. Prints the medians and the difference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry.config import Settings  # noqa: E402
from registry.identity import Identity, Role, local_operator  # noqa: E402
from registry.services.sparql import SparqlService  # noqa: E402
from registry.validation.bundle import terminology_files  # noqa: E402
from registry.wiring import open_registry  # noqa: E402

QUERIES = {
    "datasets": "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
    "LIMIT 1000": "SELECT * WHERE { ?s ?p ?o } LIMIT 1000",
    "LIMIT 5000": "SELECT * WHERE { ?s ?p ?o } LIMIT 5000",
}


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    for _ in range(5):
        fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fuseki(url: str, rounds: int) -> None:
    """SparqlService over Fuseki against the same request posted straight to it."""
    import httpx

    from registry.store.remote import DATASET_ACCEPT

    update = url.rsplit("/", 1)[0] + "/update"
    httpx.post(update, data={"update": "DROP ALL"}, timeout=60).raise_for_status()
    home = Path(tempfile.mkdtemp(prefix="fairgrid-bench-sparql-")) / "home"
    reg = open_registry(Settings(home=home, store_url=url))
    reg.importer.run(local_operator(), [*terminology_files(), ROOT / "ontologies/examples/consortium.ttl"])
    svc = SparqlService(reg.store)
    who = Identity("bench", frozenset({Role.RESEARCHER}))
    graphs = list(svc.graphs(who))
    client = httpx.Client(timeout=60)

    def direct(text: str) -> list[dict[str, object]]:
        data = {"query": text, "default-graph-uri": graphs, "named-graph-uri": graphs}
        body = client.post(url, data=data, headers={"Accept": DATASET_ACCEPT}).content
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: v for n, v in zip(names, s, strict=True) if v is not None} for s in result]

    print(f"Fuseki at {url}: {len(graphs)} record graphs, {rounds} rounds each, medians:")
    for name, text in QUERIES.items():
        rows = len(direct(text))
        assert len(svc.query(who, text).rows or []) == rows
        hub = median_ms(partial(svc.query, who, text), rounds)
        plain = median_ms(partial(direct, text), rounds)
        print(f"  {name:10} ({rows:5} rows)  SparqlService {hub:7.2f} ms   straight to Fuseki "
              f"{plain:7.2f} ms   added {hub - plain:+.2f} ms")  # fmt: skip
    client.close()
    reg.close()
    shutil.rmtree(home.parent, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--store", choices=["embedded", "fuseki"], default="embedded")
    p.add_argument(
        "--fuseki-url", default=os.environ.get("FAIRGRID_FUSEKI_URL", "http://127.0.0.1:3330") + "/mem/query"
    )
    a = p.parse_args()
    if a.store == "fuseki":
        fuseki(a.fuseki_url, a.rounds)
        return
    home = Path(tempfile.mkdtemp(prefix="fairgrid-bench-sparql-")) / "home"
    reg = open_registry(Settings(home=home))
    reg.importer.run(local_operator(), [*terminology_files(), ROOT / "ontologies/examples/consortium.ttl"])
    reg.close()
    # a copy for the in-process baseline: a read-only open of the live store breaks when RocksDB compacts
    shutil.copytree(home / "store", home / "baseline")
    local = ox.Store.read_only(str(home / "baseline"))
    reg = open_registry(Settings(home=home))
    svc = SparqlService(reg.store)
    who = Identity("bench", frozenset({Role.RESEARCHER}))
    graphs = [ox.NamedNode(g) for g in svc.graphs(who)]

    def in_process(text: str) -> list[dict[str, object]]:
        result = local.query(text, default_graph=list(graphs), named_graphs=list(graphs))
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: v for n, v in zip(names, s, strict=True) if v is not None} for s in result]

    print(f"{len(graphs)} record graphs, {a.rounds} rounds each, medians:")
    for name, text in QUERIES.items():
        assert len(svc.query(who, text).rows or []) == len(in_process(text))
        rows = len(in_process(text))
        worker = median_ms(partial(svc.query, who, text), a.rounds)
        inline = median_ms(partial(in_process, text), a.rounds)
        added = worker - inline
        print(f"  {name:10} ({rows:5} rows)  worker {worker:7.2f} ms   in process {inline:7.2f} ms   "
              f"added {added:+.2f} ms")  # fmt: skip
    reg.close()


if __name__ == "__main__":
    main()
