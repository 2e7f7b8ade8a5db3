"""Tests only: waiting for the search index, which catches up with writes in the background.

A write returns once committed; searches see it after the outbox drainer ran. Tests that search right
after a write either drain the outbox themselves (`caught_up`, what the server's drainer does), or, with
a real drainer running elsewhere, poll with a bound (`wait_until`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from registry.services.search import SyncReport
from registry.wiring import Registry


def caught_up(reg: Registry) -> SyncReport:
    """Drain the outbox into the index now; fails the test if anything stays pending."""
    report = reg.search.sync()
    assert report.error is None and report.pending == 0, report
    return report


def wait_until(ok: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Poll `ok` until it holds; the bound only keeps a broken drainer from hanging the run."""
    deadline = time.monotonic() + timeout_s
    while not ok():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout_s:g} s")
        time.sleep(0.05)
