"""What one catalogue page costs: listed by the search index against listed by the store's query.

    .venv/bin/python bench/catalog_page.py [--records 20000] [--size 50] [--repeat 7]
                                           [--opensearch-url URL|none]

Generates `--records` synthetic HealthDCAT-AP datasets (bench/search_data.py: one in ten with
consortium-only metadata), bulk-loaded into an embedded store and the embedded index as `fairgrid reindex`
builds it, then times `CatalogService.page` in this process for an anonymous caller and a consortium member
at the first, middle and last page: through the search index (the path non-curators take) and through the
store (one query for every visible head, ordered in Python: the path curators take, and the only one before;
the strongest alternative measured: SPARQL ORDER BY with LIMIT/OFFSET was slower, see services/catalog.py).
Both paths must give the same page and total; the bench stops if they do not. OpenSearch is measured too
when reachable (deeper than its 10,000-document result window the store answers: shown as such).
Each figure is the median of `--repeat` runs: milliseconds of wall time and of this process's CPU (the
robust figure on a shared machine; an OpenSearch node's own CPU is not in it); the load average is
printed before and after. The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search_data import Corpus, generate  # noqa: E402
from registry.config import Settings  # noqa: E402
from registry.identity import ANONYMOUS, Identity, Role  # noqa: E402
from registry.search.embedded import TantivyIndex  # noqa: E402
from registry.search.port import SearchIndex  # noqa: E402
from registry.services.catalog import CatalogPage, CatalogService  # noqa: E402
from registry.services.search import note_index_current  # noqa: E402
from registry.wiring import Registry, open_registry  # noqa: E402

CALLERS = {"anonymous": ANONYMOUS, "member": Identity("bench-member", frozenset({Role.CONSORTIUM_MEMBER}))}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(
    cat: CatalogService, who: Identity, offset: int, size: int, repeat: int
) -> tuple[float, float, CatalogPage]:
    """Median wall and CPU milliseconds of this process (the CPU of an OpenSearch node is not in it)."""
    walls, cpus, page = [], [], cat.page(who, None, offset, size)  # a first call warms caches alike
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        page = cat.page(who, None, offset, size)
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return round(statistics.median(walls), 1), round(statistics.median(cpus), 1), page


def measure(reg: Registry, index: SearchIndex, name: str, a: argparse.Namespace) -> dict[str, Any]:
    by_store = CatalogService(reg.store, reg.records, None)
    by_index = CatalogService(reg.store, reg.records, index)
    out: dict[str, Any] = {}
    for caller, who in CALLERS.items():
        total = by_store.page(who, None, 0, 0).total
        last = max(0, (total - 1) // a.size * a.size)
        for where, offset in (("first", 0), ("middle", last // 2 // a.size * a.size), ("last", last)):
            store_ms, store_cpu, expected = timed(by_store, who, offset, a.size, a.repeat)
            index_ms, index_cpu, got = timed(by_index, who, offset, a.size, a.repeat)
            if got != expected:
                sys.exit(f"{name}: the index's page differs from the store's ({caller}, offset {offset})")
            deep = offset + a.size > index.list_window
            key = f"{caller}_{where}"
            out[key] = {"offset": offset, "total": total, "store_ms": store_ms, "index_ms": index_ms,
                        "store_cpu_ms": store_cpu, "index_cpu_ms": index_cpu}  # fmt: skip
            if deep:
                out[key]["index_ms"] = out[key]["index_cpu_ms"] = None
                out[key]["note"] = "past the index's result window: the store answers"
            shown = "store answers" if deep else f"{index_ms:7.1f} ms (CPU {index_cpu:6.1f})"
            print(f"{name:10} {caller:9} {where:6} page (offset {offset:5}): store {store_ms:7.1f} ms "
                  f"(CPU {store_cpu:6.1f}), index {shown}  ({total} visible)", flush=True)  # fmt: skip
    return out


def opensearch(url: str) -> bool:
    if url == "none":
        return False
    try:
        with urllib.request.urlopen(url + "/", timeout=3):
            return True
    except OSError as exc:
        print(f"OpenSearch not reachable at {url} ({exc}): left out", flush=True)
        return False


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=20_000)
    p.add_argument("--size", type=int, default=50, help="records per page")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument(
        "--opensearch-url", default=os.environ.get("FAIRGRID_OPENSEARCH_URL", "http://127.0.0.1:9250")
    )
    a = p.parse_args()
    if a.records < 1 or a.size < 1 or a.repeat < 1:
        p.error("--records, --size and --repeat must be positive")
    print(load(), flush=True)
    work = Path(tempfile.mkdtemp(prefix="fairgrid-bench-catalog-"))
    result: dict[str, Any] = {"records": a.records, "size": a.size, "repeat": a.repeat}
    try:
        home = work / "home"
        t0 = time.monotonic()
        corpus = Corpus(home, "urn:fairgrid:agent:bench")
        index = TantivyIndex(home / "index")
        index.rebuild(corpus.documents(a.records))
        note_index_current(home)
        print(f"{a.records} records loaded and indexed in {time.monotonic() - t0:.1f}s", flush=True)
        with open_registry(Settings(home=home)) as reg:
            result["embedded"] = measure(reg, index, "embedded", a)
            if opensearch(a.opensearch_url):
                from registry.search.opensearch import OpenSearchIndex

                os_index = OpenSearchIndex(a.opensearch_url, alias=f"fairgrid-bench-{uuid.uuid4().hex[:8]}")
                try:
                    os_index.rebuild(generate(a.records))
                    result["opensearch"] = measure(reg, os_index, "opensearch", a)
                finally:
                    os_index.drop()
                    os_index.close()
        index.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["load_after"] = load()
    print(result["load_after"], flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
