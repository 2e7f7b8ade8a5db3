"""Export the latest revision of every record as one DCAT-AP document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

import pyoxigraph as ox

from registry.identity import Identity
from registry.rdf import COMMON_PREFIXES
from registry.store.port import RecordStore
from registry.vocab import Kind


class Exporter:
    def __init__(self, store: RecordStore):
        self.store = store

    def triples(
        self,
        identity: Identity,
        *,
        kind: Kind | None = None,
        include_deprecated: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[ox.Triple]:
        total = self.store.count(kind)
        # A record's own triples are its alone; descriptions it embeds (a contact point, a publisher
        # outside the base) may repeat across records: only those need remembering.
        shared: set[ox.Triple] = set()
        for i, rec in enumerate(self.store.iter_latest(kind)):
            if progress:
                progress(i + 1, total)
            if rec.deprecated and not include_deprecated:
                continue
            own = rec.subject
            for t in rec.triples:
                if t.subject == own:
                    yield t
                elif t not in shared:
                    shared.add(t)
                    yield t

    def write(self, identity: Identity, out: BinaryIO, fmt: ox.RdfFormat, **kw: object) -> None:
        triples = self.triples(identity, **kw)  # type: ignore[arg-type]
        if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD):
            ox.serialize(triples, out, format=fmt, prefixes=COMMON_PREFIXES)
        else:
            ox.serialize(triples, out, format=fmt)
