"""Marking a record's metadata visibility (fg:metadataVisibility) as an edit does: its triples read by the
local operator, the mark added, a new revision written (by the local operator unless `by` says who)."""

from __future__ import annotations

import pyoxigraph as ox

from registry.identity import Identity, local_operator
from registry.vocab import METADATA_VISIBILITY, VISIBILITY_CONSORTIUM
from registry.wiring import Registry


def mark_visibility(
    reg: Registry, iri: str, value: str = VISIBILITY_CONSORTIUM, by: Identity | None = None
) -> None:
    me = local_operator()
    rec = reg.records.get(me, iri)
    assert rec.revision is not None
    mark = ox.Triple(rec.subject, ox.NamedNode(METADATA_VISIBILITY), ox.NamedNode(value))
    nt = ox.serialize([*rec.triples, mark], format=ox.RdfFormat.N_TRIPLES) or b""
    reg.records.update(by or me, iri, nt, ox.RdfFormat.N_TRIPLES, rec.revision.number)
