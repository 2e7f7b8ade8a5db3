"""The sites the registry knows: id, name and the Ed25519 public key each registered in its Site record."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from registry.identity import Identity, Role
from registry.model import Record
from registry.services.records import RecordService
from registry.vocab import FG, Kind

log = logging.getLogger("fairgrid.federation")
# The hub reads Site records as itself: a site's key must be found even when its record is consortium-only.
HUB = Identity("fairgrid-hub", frozenset({Role.CURATOR}))


@dataclass(frozen=True)
class SiteEntry:
    site_id: str
    iri: str
    name: str
    key: str | None
    threshold: int | None = None  # fg:disclosureThreshold: the smallest count the site releases


class SiteDirectory:
    def __init__(self, records: RecordService, ttl_s: float = 5.0) -> None:
        self.records = records
        self.ttl_s = ttl_s
        self._cache: tuple[float, dict[str, SiteEntry]] | None = None

    def sites(self) -> dict[str, SiteEntry]:
        now = time.monotonic()
        if self._cache is None or now - self._cache[0] > self.ttl_s:
            self._cache = (now, self._load())
        return self._cache[1]

    def _load(self) -> dict[str, SiteEntry]:
        heads = [
            h for h in self.records.list_records(HUB, Kind.SITE, 0, 1000) if h.published and not h.deprecated
        ]
        found = self.records.get_many(HUB, [h.iri for h in heads])
        out: dict[str, SiteEntry] = {}
        for rec in found.values():
            if isinstance(rec, Record) and (sid := rec.value(f"{FG}siteId")):
                name = rec.value("http://xmlns.com/foaf/0.1/name") or sid
                floor = rec.value(f"{FG}disclosureThreshold") or ""
                threshold = int(floor) if floor.isascii() and floor.isdigit() else None
                entry = SiteEntry(sid, rec.iri, name, rec.value(f"{FG}signingKey"), threshold)
                if sid in out and out[sid].iri != entry.iri:
                    # two records claim one site: neither key may sign it in (no record wins by order)
                    log.warning(
                        "site %s is claimed by %s and %s: no key signs it in", sid, out[sid].iri, rec.iri
                    )
                    entry = SiteEntry(sid, min(out[sid].iri, rec.iri), name, None, threshold)
                out[sid] = entry
        return out

    def key(self, site_id: str) -> str | None:
        entry = self.sites().get(site_id)
        if entry is None or entry.key is None:
            self._cache = None  # a site just registered may be asking: look again once
            entry = self.sites().get(site_id)
        return entry.key if entry else None
