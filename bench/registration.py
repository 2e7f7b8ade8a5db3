"""Registration throughput: fairgrid's import path against naive per-record pySHACL.

    python bench/registration.py N [--naive-sample K]

Generates N HealthDCAT-AP dataset documents (each a dataset with 2 distributions, 5 keywords and
3 disease codes, plus its publisher) and imports them into a fresh embedded registry: parse,
split, validate with the compiled shapes, store with revisions. In the same run it times the naive
path, plain pySHACL per record against the same shapes and the same background vocabularies
(loaded into each record's data graph, as pySHACL needs them there), on an evenly spread sample of
K documents (naive validation of all N would take hours at N=10,000). The naive path does no
storage at all. Rates are dataset documents per second. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.config import Settings  # noqa: E402
from registry.identity import local_operator  # noqa: E402
from registry.io.generate import documents  # noqa: E402
from registry.io.split import split  # noqa: E402
from registry.rdf import parse  # noqa: E402
from registry.validation.reference import PyshaclValidator  # noqa: E402
from registry.wiring import open_registry  # noqa: E402

BASE = "https://w3id.org/fairgrid/"


def naive(docs: list[str]) -> tuple[float, int]:
    validator = PyshaclValidator(slice_background=False)
    violations = 0
    start = time.perf_counter()
    for doc in docs:
        drafts = split(parse(doc, ox.RdfFormat.TURTLE), base_iri=BASE, allowed=(BASE,)).drafts
        by_iri = {d.iri: d for d in drafts}
        for d in drafts:
            refs = {t.object.value for t in d.triples if isinstance(t.object, ox.NamedNode)} - {d.iri}
            ctx = [t for r in sorted(refs) if r in by_iri for t in by_iri[r].triples]
            violations += len(validator.validate(d.triples, ctx, d.kind).violations)
    return time.perf_counter() - start, violations


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=10_000)
    ap.add_argument("--naive-sample", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        docs = list(documents(args.n, seed=42))
        for i, doc in enumerate(docs):
            (src / f"dataset-{i:06d}.ttl").write_text(doc)
        reg = open_registry(Settings(home=Path(tmp) / "home"))
        _ = reg.validator  # shapes compiled once, before the clock starts (as in a running service)
        start = time.perf_counter()
        last = [0.0]

        def tick(_source: str, done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 5:
                last[0] = time.perf_counter()
                print(f"  imported {done}/{total} documents", file=sys.stderr)

        summary = reg.importer.run(local_operator("bench"), [src], progress=tick)
        fast_s = time.perf_counter() - start
        stored = reg.store.count()
        reg.close()
        print(
            f"fairgrid: {args.n} documents ({stored} records stored, {summary.rejected} rejected) "
            f"in {fast_s:.1f} s"
        )

        k = max(1, min(args.naive_sample, args.n))
        step = max(1, args.n // k)
        sample = docs[::step][:k]
        naive_s, naive_violations = naive(sample)
        print(f"naive pySHACL: {len(sample)} documents in {naive_s:.1f} s ({naive_violations} violations)")

    fairgrid_rps = args.n / fast_s
    naive_rps = len(sample) / naive_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "n": args.n,
                "records_stored": stored,
                "rejected": summary.rejected,
                "naive_sample": len(sample),
                "naive_rps": round(naive_rps, 2),
                "fairgrid_rps": round(fairgrid_rps, 1),
                "ratio": round(fairgrid_rps / naive_rps, 1),
                "peak_rss_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
