"""What running /sparql queries in killable worker processes costs, per query, on the embedded store.

    .venv/bin/python bench/sparql.py [--rounds 200]

Loads the example catalogue and the terminologies into a throwaway home, then times each query two ways,
sequentially: through SparqlService (a pre-started worker process over a store checkpoint, the answer
serialised by Oxigraph and parsed back) and the same query in process on a copy of the same data (how
/sparql ran before deadlines could stop a query), rows collected the same way. Prints the medians and
the difference.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=200)
    a = p.parse_args()
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
