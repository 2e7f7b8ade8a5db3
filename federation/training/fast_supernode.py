"""`flower-supernode` with shorter waits: the same SuperNode, polling the SuperLink every 0.5 s, not 3 s.

flwr 1.42's SuperNode sleeps a hard-coded 3 s after every pull that brought no message and 0.5 s while it
waits for a reply to push (`flwr/supernode/start_client_internal.py`); no flag or variable sets either. So
each message waits up to 3 s at each node before its ClientApp even starts, a large share of a round of a
small model. This launcher gives that one module a `time` whose `sleep` is capped: at POLL_S for the 3 s
wait after an empty pull (each pull is a request to the SuperLink), at LOCAL_POLL_S for the 0.5 s waits,
which only read the node's own state (the reply a ClientApp pushed), and then runs flwr's own
`flower_supernode()` with the same arguments; it also declares a 10 s heartbeat
(flwr's minimum) instead of 30 s, so a killed site is dropped from a round in about 20 s. Nothing else
changes; it is tied to flwr 1.42's module layout and refuses to start if that layout is not there.
"""

from __future__ import annotations

import sys
import time
import types

POLL_S = 0.5  # two pulls a second per idle node: quick pick-up, little load on the SuperLink
LOCAL_POLL_S = 0.05  # the wait for a ClientApp's reply: no request leaves the node
# The node tells the SuperLink its heartbeat interval and the SuperLink drops it after two missed ones.
# flwr's 30 s default means a dead site holds a round for about a minute; 10 s is flwr's own minimum.
HEARTBEAT_S = 10


def _capped_time(cap: float) -> types.ModuleType:
    proxy = types.ModuleType("time")
    proxy.__dict__.update(time.__dict__)
    proxy.sleep = lambda seconds: time.sleep(_capped(float(seconds), cap))  # type: ignore[attr-defined]
    return proxy


def _capped(seconds: float, cap: float) -> float:
    # flwr 1.42 sleeps 3 s after an empty pull and 0.5 s while it waits on its own state
    return min(seconds, cap) if seconds >= 1.0 else min(seconds, LOCAL_POLL_S)


def main(cap: float = POLL_S) -> None:
    import flwr.supernode.start_client_internal as loop
    from flwr.supernode.cli.flower_supernode import flower_supernode

    if getattr(loop, "time", None) is not time:
        raise SystemExit(
            "fast_supernode: flwr's SuperNode loop is not laid out as in 1.42; use flower-supernode"
        )
    loop.time = _capped_time(cap)  # type: ignore[attr-defined]
    import flwr.supercore.heartbeat as beats
    import flwr.supernode.fleet_http_connection as fleet

    for module in (beats, fleet):
        if not hasattr(module, "HEARTBEAT_DEFAULT_INTERVAL"):
            raise SystemExit("fast_supernode: flwr's heartbeat is not laid out as in 1.42")
        module.HEARTBEAT_DEFAULT_INTERVAL = HEARTBEAT_S  # type: ignore[attr-defined]
    sys.argv[0] = "flower-supernode"
    flower_supernode()


if __name__ == "__main__":
    main()
