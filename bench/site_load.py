"""Benchmark: synthesise N patients for one site, load them into a fresh site store, and parse the same NDJSON
with plain fhir.resources (R4B) model validation.

    .venv/bin/python bench/site_load.py [--patients 100000] [--use-case mds] [--plain-limit 100000]

Plain validation runs at a few thousand resources per second, so by default it validates an evenly spread
sample of up to --plain-limit resources (0 = all) and reports its rate.

The two sides do DIFFERENT WORK: the site store load makes partial structural checks (the fields it reads
and their types) and writes to DuckDB; fhir.resources validates every field of the full R4B model and
stores nothing. Nothing here shows that both accept and refuse the same resources, so the ratio is
printed as `ratio_different_work`: a rate comparison, not a like-for-like speed-up.
Last line: one JSON object with resources_per_s, plain_parse_per_s, ratio, peak_rss_mb (and more).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir.resources.R4B import get_fhir_model_class  # noqa: E402

from federation.site.store import SiteStore  # noqa: E402
from federation.site.terminology import Terminology  # noqa: E402
from federation.synth.run import synthesize  # noqa: E402


def _rss() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def plain_parse(files: list[Path], total: int, limit: int) -> tuple[int, float]:
    step = max(1, total // limit) if limit else 1
    n, t0 = 0, time.perf_counter()
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i % step == 0:
                    data = json.loads(line)
                    get_fhir_model_class(data["resourceType"]).model_validate(data)
                    n += 1
    return n, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--use-case", default="mds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plain-limit", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fairgrid-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        summary = synthesize(args.use_case, 1, args.patients, args.seed, root / "synth")
        synth_s = time.perf_counter() - t0
        print(f"peak RSS after synth: {_rss()} MB", flush=True)
        fhir = root / "synth" / "site-1" / "fhir"
        files = sorted(fhir.glob("*.ndjson"))
        with SiteStore(root / "store.duckdb", terminology=Terminology.fallback()) as store:
            t0 = time.perf_counter()
            report = store.load([fhir])
            load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = store.load([fhir])
            reload_s = time.perf_counter() - t0
        assert not report.rejected and again.loaded == 0
        rss_load = _rss()
        n_plain, plain_s = plain_parse(files, report.read, args.plain_limit)
    rate = report.read / load_s
    plain_rate = n_plain / plain_s
    print(f"synthesised {args.patients} patients ({report.read} resources) in {synth_s:.1f} s: {summary}")
    print(f"loaded in {load_s:.1f} s (peak RSS then {rss_load} MB), idempotent reload in {reload_s:.1f} s")
    print(f"plain fhir.resources validation of {n_plain} sampled resources in {plain_s:.1f} s")
    print("note: different work (partial structural checks + storage vs full model validation, no storage)")
    print(
        json.dumps(
            {
                "patients": args.patients,
                "use_case": args.use_case,
                "resources": report.read,
                "synth_s": round(synth_s, 2),
                "load_s": round(load_s, 2),
                "resources_per_s": round(rate),
                "plain_parse_per_s": round(plain_rate),
                "plain_sampled": n_plain,
                "ratio_different_work": round(rate / plain_rate, 2),
                "peak_rss_mb": _rss(),
            }
        )
    )


if __name__ == "__main__":
    main()
