"""Totals are sums of disclosed answers that say how precise they are; a multi-worker hub refuses."""

from __future__ import annotations

import asyncio

import pytest

from federation.hub.broker import SiteStatus
from federation.hub.feasibility import FeasibilityService, SiteCount, total_of
from registry.errors import Unavailable
from registry.identity import Identity, Role

OK = SiteStatus.OK


def test_exact_rounded_lower_bound_and_noisy() -> None:
    assert total_of([SiteCount("a", OK, 12, "EXACT"), SiteCount("b", OK, 3, "EXACT")]).precision == "EXACT"
    rounded = total_of([SiteCount("a", OK, 10, "ROUNDED"), SiteCount("b", OK, 3, "EXACT")])
    assert (rounded.count, rounded.precision) == (13, "ROUNDED")
    low = total_of([SiteCount("a", OK, 20, "ROUNDED"), SiteCount("b", OK, None, "BELOW_THRESHOLD", 10)])
    assert (low.count, low.precision, low.upper) == (20, "LOWER_BOUND", 29)
    noisy = total_of([SiteCount("a", OK, 20, "NOISY"), SiteCount("b", OK, None, "BELOW_THRESHOLD", 5)])
    assert (noisy.precision, noisy.upper) == ("NOISY", 24)
    none = total_of([SiteCount("a", SiteStatus.TIMEOUT), SiteCount("b", SiteStatus.NOT_CONNECTED)])
    assert (none.count, none.precision) == (None, None)
    partial = total_of([SiteCount("a", OK, 15, "ROUNDED"), SiteCount("b", SiteStatus.ERROR)])
    assert partial.count == 15


def test_a_multi_worker_hub_refuses_rather_than_answer_from_some_sites() -> None:
    service = FeasibilityService(None, None, None, None, None, None, single_process=False)  # type: ignore[arg-type]
    who = Identity("alice", frozenset({Role.RESEARCHER}))
    with pytest.raises(Unavailable, match="several API worker processes"):
        asyncio.run(service.ask(who, {"inclusion": [[{"type": "sex", "value": "male"}]]}))
