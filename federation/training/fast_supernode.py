"""`flower-supernode` with shorter waits: the same SuperNode, polling the SuperLink every 0.5 s, not 3 s.

flwr 1.42's SuperNode sleeps a hard-coded 3 s after every pull that brought no message and 0.5 s while it
waits for a reply to push (`flwr/supernode/start_client_internal.py`); no flag or variable sets either. So
each message waits up to 3 s at each node before its ClientApp even starts, a large share of a round of a
small model. This launcher gives that one module a `time` whose `sleep` is capped at POLL_S seconds,
then runs flwr's own `flower_supernode()` with the same arguments. Nothing else
changes; it is tied to flwr 1.42's module layout and refuses to start if that layout is not there.
"""

from __future__ import annotations

import sys
import time
import types

POLL_S = 0.5  # two pulls a second per idle node: quick pick-up, little load on the SuperLink


def _capped_time(cap: float) -> types.ModuleType:
    proxy = types.ModuleType("time")
    proxy.__dict__.update(time.__dict__)
    proxy.sleep = lambda seconds: time.sleep(min(float(seconds), cap))  # type: ignore[attr-defined]
    return proxy


def main(cap: float = POLL_S) -> None:
    import flwr.supernode.start_client_internal as loop
    from flwr.supernode.cli.flower_supernode import flower_supernode

    if getattr(loop, "time", None) is not time:
        raise SystemExit(
            "fast_supernode: flwr's SuperNode loop is not laid out as in 1.42; use flower-supernode"
        )
    loop.time = _capped_time(cap)  # type: ignore[attr-defined]
    sys.argv[0] = "flower-supernode"
    flower_supernode()


if __name__ == "__main__":
    main()
