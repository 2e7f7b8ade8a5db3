"""Per-round orchestration overhead of governed training, with and without the gate's fork server.

    .venv/bin/python bench/overhead.py [--rounds 3] [--sizes 300,300,300] [--modes fork,spawn]

Three synthetic MDS sites (bench/federated.py's build_sites), then for each mode one governed job on real
processes (registry, signed approvals, SuperLink, SuperNodes with their gates: bench/federated.py's
`overhead`): `fork` starts each task's process from the gate's preloaded fork server (the default),
`spawn` starts a fresh interpreter per task (FAIRGRID_GATE_FORK_SERVER=0). Overhead per round is the
round's wall time minus the slowest site's train_s. The machine's load average is printed with each
figure, since on a shared machine it moves them more than anything else. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from federated import build_sites, overhead  # noqa: E402  (bench/ is not a package)


def one_mode(mode: str, homes: list[Path], rounds: int, root: Path) -> dict[str, Any]:
    os.environ["FAIRGRID_GATE_FORK_SERVER"] = "1" if mode == "fork" else "0"  # read by each gate at start
    load_before = os.getloadavg()
    started = time.monotonic()
    result = overhead(homes, rounds, root / mode) or {}
    return {
        "mode": mode,
        **result,
        "total_s": round(time.monotonic() - started, 1),
        "load_1m_before_after": [round(load_before[0], 1), round(os.getloadavg()[0], 1)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="300,300,300")
    parser.add_argument("--modes", default="fork,spawn")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (logs of every process)")
    args = parser.parse_args()
    import logging

    logging.getLogger("flwr").setLevel(logging.WARNING)
    out: dict[str, Any] = {"cpus": os.cpu_count(), "rounds": args.rounds, "sizes": args.sizes}
    with tempfile.TemporaryDirectory(prefix="fairgrid-bench-overhead-") as scratch:
        tmp = str(args.keep) if args.keep else scratch
        sizes = [int(s) for s in args.sizes.split(",")]
        homes = build_sites("mds", sizes, 7, Path(tmp))
        for mode in args.modes.split(","):
            r = one_mode(mode, homes, args.rounds, Path(tmp) / "real")
            print(f"{mode}: {json.dumps(r)}", file=sys.stderr, flush=True)
            out[mode] = r
    print(json.dumps(out))


if __name__ == "__main__":
    main()
