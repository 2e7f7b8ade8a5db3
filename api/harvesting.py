"""Scheduled harvests inside `fairgrid serve`: every configured source (FAIRGRID_HARVEST_SOURCES) at
start-up and then every FAIRGRID_HARVEST_INTERVAL_S. With several workers on one home only the holder of
the harvest lease runs them (two would read every source twice and race on the same records); when it
dies another worker's next round takes over."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from registry.errors import FairgridError
from registry.locks import Lease
from registry.services.harvest import HARVESTER, HarvestSource
from registry.wiring import Registry

log = logging.getLogger(__name__)


async def harvest_loop(registry: Registry, interval_s: float, lease: Lease) -> None:
    sources = [HarvestSource(sid, where) for sid, where in registry.settings.harvest_sources]
    try:
        while True:
            if lease.held():
                for source in sources:
                    try:  # in a thread: a slow source never holds up the event loop
                        result = await asyncio.to_thread(registry.harvest.harvest, HARVESTER, source)
                        log.info("harvest %s: %s", source.id, dict(result.counts))
                    except FairgridError as exc:  # a source that is down waits for the next round
                        log.warning("harvest %s failed: %s", source.id, exc.message)
            await asyncio.sleep(interval_s)
    finally:
        lease.release()


def start(registry: Registry) -> asyncio.Task[None] | None:
    """The harvest task, or None when no source is configured or the interval is 0."""
    s = registry.settings
    if not s.harvest_sources or s.harvest_interval_s <= 0:
        return None
    return asyncio.create_task(harvest_loop(registry, s.harvest_interval_s, Lease(s.home / "harvest.lock")))


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
