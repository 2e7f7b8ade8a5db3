"""free_port() hands a port to one test process at a time (xdist workers and other runs pick ports at
the same time, and bind them later)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tests.conftest
from tests.conftest import REPO, free_port

# In a fresh process: the port free_port() gives when the system offers `port` first, then any.
_OTHER = """import sys, tests.conftest as c
offers = [int(sys.argv[1])]
real = c._any_free_port
c._any_free_port = lambda: offers.pop() if offers else real()
print(c.free_port())
"""


def test_a_port_handed_out_is_not_handed_out_again_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    mine = free_port()
    # the system offers the same port again (it is free: nobody bound it yet); another process skips it
    other = subprocess.run(
        [sys.executable, "-c", _OTHER, str(mine)], cwd=REPO, capture_output=True, text=True
    )
    assert other.returncode == 0, other.stderr
    assert int(other.stdout) != mine
    offers = [mine, mine]
    monkeypatch.setattr(tests.conftest, "_any_free_port", lambda: offers.pop() if offers else 1)
    assert free_port() == 1  # and so does this process
