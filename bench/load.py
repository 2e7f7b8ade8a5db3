"""Load generation and measurement shared by the HTTP benchmarks: closed-loop clients (wrk when
installed, else Python threads), latency percentiles and a process tree's CPU time."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def percentiles(lat: list[float], seconds: float) -> dict[str, Any]:
    if not lat:
        return {"requests": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "rps": 0.0}
    # quantiles needs two points; one answer is its own percentile
    qs = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
    return {"requests": len(lat), "p50_ms": round(qs[49] * 1000, 2), "p95_ms": round(qs[94] * 1000, 2),
            "p99_ms": round(qs[98] * 1000, 2), "rps": round(len(lat) / seconds, 1)}  # fmt: skip


def hammer(
    call: Callable[[dict[str, Any]], None], qs: list[dict[str, Any]], clients: int, seconds: float
) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        i = k
        mine: list[float] = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                call(qs[i % len(qs)])
            except Exception as exc:  # reported, not fatal
                with lock:
                    errors.append(str(exc)[:200])
                continue
            mine.append(time.perf_counter() - t0)
            i += clients
        with lock:
            lat.extend(mine)

    t = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out = percentiles(lat, time.monotonic() - t)
    out["errors"] = len(errors)
    if errors:
        out["first_error"] = errors[0]
    return out


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and all its descendants (Linux /proc), else None."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total, todo = 0.0, [pid]
        while todo:
            p = todo.pop()
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        return total
    except (OSError, ValueError, IndexError):
        return None


def settle(pid: int, quiet_share: float = 0.05, window_s: float = 1.0, limit_s: float = 180.0) -> float:
    """Wait until process `pid` (with its children) uses under `quiet_share` of a core over `window_s`;
    returns the seconds waited. A store server opened on a freshly bulk-loaded RocksDB folder compacts
    it first (about 10 s of CPU at 1,000,000 records): measured during a load, that is not search work,
    and it takes the cores from the servers being measured."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        c0 = cpu_seconds(pid)
        time.sleep(window_s)
        c1 = cpu_seconds(pid)
        if c0 is None or c1 is None or c1 - c0 < quiet_share * window_s:
            break
    return round(time.monotonic() - t0, 1)


# wrk (C, event driven) drives the load when installed: 16 Python client threads would themselves add
# ~20 ms of GIL queueing per request on a 2-core machine, even against /healthz.
# Each wrk thread counts the answers that are HTTP 200 but carry GraphQL `errors` (only the search script
# reads bodies); `done` adds them to wrk's own errors.
_WRK_DONE = """threads = {}
setup = function(thread) table.insert(threads, thread) end
graphql_errors = 0
done = function(summary, latency, requests)
  local e = summary.errors
  local g = 0
  for _, t in ipairs(threads) do g = g + (t:get("graphql_errors") or 0) end
  io.write(string.format('WRK {"requests": %d, "errors": %d, "graphql_errors": %d, "p50_ms": %.2f, '
    .. '"p95_ms": %.2f, "p99_ms": %.2f, "rps": %.1f}\\n',
    summary.requests, e.status + e.connect + e.read + e.write + e.timeout + g, g,
    latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
"""


def wrk_script(query: str, qs: list[dict[str, Any]], token: str, home: Path) -> Path:
    bodies = ",\n".join("[==[" + json.dumps({"query": query, "variables": q}) + "]==]" for q in qs)
    path = home / "search.lua"
    path.write_text(
        f"local bodies = {{{bodies}}}\nlocal i = 0\n"
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        "request = function()\n  i = (i % #bodies) + 1\n"
        '  return wrk.format(nil, "/graphql", nil, bodies[i])\nend\n'
        "response = function(status, headers, body)\n"
        "  if status == 200 and string.find(body, '\"errors\"', 1, true) then\n"
        "    graphql_errors = graphql_errors + 1\n  end\nend\n" + _WRK_DONE
    )
    return path


def wrk(url: str, script: Path | None, clients: int, seconds: float) -> dict[str, Any]:
    lua = script
    if lua is None:
        lua = Path(tempfile.mkdtemp()) / "done.lua"
        lua.write_text(_WRK_DONE)
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "-s", str(lua), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {out[-500:]}")
    result: dict[str, Any] = json.loads(line[4:])
    result["driver"] = "wrk"
    return result
