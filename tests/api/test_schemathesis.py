"""Schemathesis against a live `fairgrid serve`: generated requests for every operation of the OpenAPI
schema (anonymous and as a curator) and for the GraphQL schema; no request may get a 5xx.

Bounded for `make test` (FAIRGRID_FUZZ_EXAMPLES per operation, 3 by default, seeded and deterministic
so a run is repeatable); `bench/api_fuzz.py` runs the same campaign longer and reports the counts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.auth import dev_token
from bench.api_fuzz import campaign
from bench.live import LiveServer
from registry.identity import Role
from tests.api.rest.conftest import loaded_registry

EXAMPLES = int(os.environ.get("FAIRGRID_FUZZ_EXAMPLES", "3"))


@pytest.mark.slow
@pytest.mark.timeout(900)  # setting up the registry dominates; the requests take ~30 s
def test_generated_requests_get_no_server_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    loaded_registry(home).close()
    with LiveServer(home) as server:
        curator = {"Authorization": f"Bearer {dev_token(home, 'fuzzer', [Role.CURATOR])}"}
        results = campaign(server.base, curator, EXAMPLES, seed=1, work=tmp_path)
    # every run really sent requests (a schema that failed to load would send none and find nothing)
    assert all(r.requests >= 10 for r in results.values()), {k: r.requests for k, r in results.items()}
    errors = [e for r in results.values() for e in r.server_errors]
    assert errors == [], "\n".join(errors[:20])
