"""Registration throughput: fairgrid's import path against the strongest plain pySHACL path.

    python bench/registration.py N [--naive-sample K] [--batch-size B]

Generates N HealthDCAT-AP dataset documents (each a dataset with 2 distributions, 5 keywords and
3 disease codes, plus its publisher, one of ten shared by all documents) as files, then imports
them into a fresh embedded registry in a child process: parse, split, validate with the compiled
shapes, store with revisions. The child's peak RSS is the import's own (documents are written to
disk as they are generated, never held). The rate counts from the first file read to the last
commit; the shapes are compiled before the clock starts, as in a running service.

The naive path is plain pySHACL as the equivalence test runs it (registry/validation/reference.py
with its default two-hop slice of the background, the fastest plain-pySHACL set-up we have:
without the slice each call re-validates every bundled concept), on the first K documents, read
in the importer's batches with the importer's rule for a record repeated in a batch (an identical
repeat is validated once): both sides validate the same records. It does no storage at all, which
favours it. The compiled validator is timed on the same K documents the same way, so validation
alone can be compared with validation alone. Rates are documents per second; CPU figures are
process CPU seconds, steadier than wall time on a shared machine. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry.config import Settings  # noqa: E402
from registry.identity import local_operator  # noqa: E402
from registry.io.generate import documents  # noqa: E402
from registry.io.split import Draft, split  # noqa: E402
from registry.model import content_hash  # noqa: E402
from registry.rdf import parse  # noqa: E402
from registry.services.importer import Importer  # noqa: E402
from registry.validation.reference import PyshaclValidator  # noqa: E402
from registry.validation.report import ValidationReport  # noqa: E402
from registry.validation.validator import CompiledValidator  # noqa: E402
from registry.vocab import Kind  # noqa: E402
from registry.wiring import open_registry  # noqa: E402

BASE = "https://w3id.org/fairgrid/"
Validate = Callable[[list[ox.Triple], list[ox.Triple], Kind], ValidationReport]


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def import_child(src: Path, home: Path, batch_size: int) -> None:
    """Runs in its own process: the import, timed, with its own peak RSS."""
    reg = open_registry(Settings(home=home))
    _ = reg.records  # shapes compiled before the clock starts
    importer = Importer(reg.records, batch_size=batch_size)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall0, cpu0, main0 = time.perf_counter(), cpu_s(), time.thread_time()
    last = [wall0]

    def tick(_source: str, done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  imported {done}/{total} documents, peak RSS {rss:.0f} MB", file=sys.stderr)

    summary = importer.run(local_operator("bench"), [src], progress=tick, exclusive=True)
    wall, cpu, main = time.perf_counter() - wall0, cpu_s() - cpu0, time.thread_time() - main0
    stored = reg.store.count()
    reg.close()
    out = {
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_main_thread_s": main,  # the rest is the store's own threads (RocksDB flushes, compactions)
        "stored": stored,
        "imported": summary.imported,
        "rejected": summary.rejected,
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))


def batches(docs: list[str], batch_size: int) -> list[list[Draft]]:
    """The documents' records in the importer's batches, identical repeats within a batch dropped."""
    out: list[list[Draft]] = []
    batch: list[Draft] = []
    for doc in docs:
        batch += split(parse(doc, ox.RdfFormat.TURTLE), base_iri=BASE, allowed=(BASE,)).drafts
        if len(batch) >= batch_size:
            out.append(batch)
            batch = []
    if batch:
        out.append(batch)
    return [_dedupe(b) for b in out]


def _dedupe(batch: list[Draft]) -> list[Draft]:
    seen: set[tuple[str, str]] = set()
    out: list[Draft] = []
    for d in batch:
        key = (d.iri, content_hash(d.triples))
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def validate_all(validate: Validate, work: list[list[Draft]]) -> tuple[float, float, int, int]:
    """Each record with the records of its batch that it points at as context, as the record service
    gives them. Returns wall s, CPU s, records validated, violations."""
    wall0, cpu0 = time.perf_counter(), cpu_s()
    records = violations = 0
    for batch in work:
        by_iri = {d.iri: d for d in batch}
        for d in batch:
            ctx = [
                t
                for o in dict.fromkeys(
                    t.object.value for t in d.triples if isinstance(t.object, ox.NamedNode)
                )
                if o != d.iri and o in by_iri
                for t in by_iri[o].triples
            ]
            violations += len(validate(d.triples, ctx, d.kind).violations)
            records += 1
    return time.perf_counter() - wall0, cpu_s() - cpu0, records, violations


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=10_000)
    ap.add_argument("--naive-sample", type=int, default=200)
    default_batch = inspect.signature(Importer).parameters["batch_size"].default
    ap.add_argument("--batch-size", type=int, default=default_batch)
    ap.add_argument("--child", nargs=2, metavar=("SRC", "HOME"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        import_child(Path(args.child[0]), Path(args.child[1]), args.batch_size)
        return
    with tempfile.TemporaryDirectory(prefix="fairgrid-bench-") as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i, doc in enumerate(documents(args.n, seed=42)):
            (src / f"dataset-{i:07d}.ttl").write_text(doc)
        cmd = [
            sys.executable,
            __file__,
            "--batch-size",
            str(args.batch_size),
            "--child",
            str(src),
            tmp + "/home",
        ]
        child = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=os.environ)
        fast = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"fairgrid: {args.n} documents ({fast['stored']} records stored, {fast['rejected']} rejected) "
        f"in {fast['wall_s']:.1f} s wall, {fast['cpu_s']:.1f} s CPU "
        f"({fast['cpu_main_thread_s']:.1f} s of it in the importing thread, the rest in the store's); "
        f"peak RSS {fast['peak_rss_mb']:.0f} MB "
        f"({fast['rss_before_mb']:.0f} MB before the import)"
    )

    k = max(1, min(args.naive_sample, args.n))
    sample = _first(args.n, k)
    work = batches(sample, args.batch_size)
    compiled = CompiledValidator()
    c_wall, c_cpu, c_records, c_viol = validate_all(compiled.validate, work)
    reference = PyshaclValidator()  # sliced background, as in tests/registry/validation/test_equivalence.py
    n_wall, n_cpu, n_records, n_viol = validate_all(reference.validate, work)
    assert (c_records, c_viol) == (n_records, n_viol), "both sides must validate the same records"
    print(
        f"same {k} documents ({n_records} records after the batch rule, {n_viol} violations): "
        f"pySHACL {n_wall:.1f} s wall / {n_cpu:.1f} s CPU, compiled {c_wall:.2f} s wall / {c_cpu:.2f} s CPU"
    )
    fairgrid_rps = args.n / fast["wall_s"]
    naive_rps = k / n_wall
    print(
        json.dumps(
            {
                "n": args.n,
                "records_stored": fast["stored"],
                "rejected": fast["rejected"],
                "naive_sample": k,
                "records_validated_in_sample": n_records,
                "fairgrid_rps": round(fairgrid_rps, 1),
                "naive_rps": round(naive_rps, 2),
                "ratio": round(fairgrid_rps / naive_rps, 1),
                "fairgrid_rps_cpu": round(args.n / fast["cpu_s"], 1),
                "naive_rps_cpu": round(k / n_cpu, 2),
                "ratio_cpu": round((args.n / fast["cpu_s"]) / (k / n_cpu), 1),
                "compiled_validation_rps": round(k / c_wall, 1),
                "import_peak_rss_mb": round(fast["peak_rss_mb"]),
                "import_cpu_s": round(fast["cpu_s"], 1),
                "import_cpu_main_thread_s": round(fast["cpu_main_thread_s"], 1),
            }
        )
    )


def _first(n: int, k: int) -> list[str]:
    out: list[str] = []
    for doc in documents(n, seed=42):  # same seed and order: the first k documents imported
        out.append(doc)
        if len(out) == k:
            break
    return out


if __name__ == "__main__":
    main()
