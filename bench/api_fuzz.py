"""Schemathesis campaign against a live `fairgrid serve`: the OpenAPI schema (anonymous and as a curator)
and the GraphQL schema (as a curator); reports requests tried and every 5xx.

    .venv/bin/python bench/api_fuzz.py [--examples 200] [--seed 1]

The registry holds the bundled terminologies and the example catalogue. Each request schemathesis sends
is recorded (HAR) and counted here, so the figures are the server's answers, not schemathesis' summary.
tests/api/test_schemathesis.py runs the same campaign with few examples in `make test`. The last line is
one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import LiveServer  # noqa: E402


@dataclass
class Result:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)  # "STATUS METHOD URL"

    def add(self, other: Result) -> None:
        self.requests += other.requests
        self.server_errors += other.server_errors


def run(schema_url: str, headers: dict[str, str], examples: int, seed: int, work: Path) -> Result:
    """One schemathesis run; every request it made, read back from its HAR report."""
    har = work / f"run-{len(list(work.glob('run-*')))}.har"
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"), "--no-color", "run", schema_url,
        "--checks", "not_a_server_error", "--max-examples", str(examples), "--seed", str(seed),
        "--generation-deterministic", "--request-timeout", "60", "--workers", "1",
        "--report", "har", "--report-har-path", str(har), "--continue-on-failure",
    ]  # fmt: skip
    for name, value in headers.items():
        cmd += ["--header", f"{name}: {value}"]
    # run in the work folder: schemathesis leaves a .schemathesis folder where it runs
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=work)
    if not har.exists():
        raise RuntimeError(f"schemathesis wrote no report for {schema_url}")
    out = Result()
    for entry in json.loads(har.read_text())["log"]["entries"]:
        out.requests += 1
        status = int(entry["response"]["status"])
        if status >= 500:
            out.server_errors.append(f"{status} {entry['request']['method']} {entry['request']['url']}")
    return out


def campaign(base: str, curator: dict[str, str], examples: int, seed: int, work: Path) -> dict[str, Result]:
    return {
        "openapi_anonymous": run(base + "/openapi.json", {}, examples, seed, work),
        "openapi_curator": run(base + "/openapi.json", curator, examples, seed, work),
        "graphql_curator": run(base + "/graphql", curator, examples, seed, work),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from api.auth import dev_token
    from registry.config import Settings
    from registry.identity import Role, local_operator
    from registry.validation.bundle import example_catalogue, terminology_files
    from registry.wiring import open_registry

    with tempfile.TemporaryDirectory(prefix="fairgrid-fuzz-") as tmp:
        home = Path(tmp) / "home"
        with open_registry(Settings(home=home)) as reg:
            reg.importer.run(local_operator("fuzz"), [*terminology_files(), example_catalogue()])
            reg.search.sync()
        with LiveServer(home) as server:
            curator = {"Authorization": f"Bearer {dev_token(home, 'fuzzer', [Role.CURATOR])}"}
            results = campaign(server.base, curator, args.examples, args.seed, Path(tmp))
    total = Result()
    for name, r in results.items():
        print(f"{name}: {r.requests} requests, {len(r.server_errors)} 5xx")
        for line in r.server_errors[:20]:
            print(f"  {line}")
        total.add(r)
    summary = {
        "examples": args.examples,
        "requests": total.requests,
        "server_errors": len(total.server_errors),
    }
    print(json.dumps({**summary, **{k: v.requests for k, v in results.items()}}))


if __name__ == "__main__":
    main()
