"""Who may read a record's metadata without signing in.

A record is public when its own dct:accessRights is PUBLIC or absent. A distribution usually has no
access right of its own: it is public only when every dataset that lists it is public, so the parts
of a restricted dataset are not readable anonymously either.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.model import Record
from registry.store.port import RecordStore
from registry.vocab import ACCESS_PUBLIC, DCAT, DCT, Kind


def parent_access(store: RecordStore, iris: Sequence[str]) -> dict[str, list[str | None]]:
    """For each distribution IRI, the access rights of the datasets listing it (None: not given)."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in iris)
    rows = store.query(
        f"SELECT ?dist ?d ?a WHERE {{ VALUES ?dist {{ {values} }} "
        f"GRAPH ?d {{ ?d <{DCAT}distribution> ?dist OPTIONAL {{ ?d <{DCT}accessRights> ?a }} }} }}"
    )
    out: dict[str, list[str | None]] = {i: [] for i in iris}
    for row in rows:
        a = row.get("a")
        out[row["dist"].value].append(a.value if a is not None else None)
    return out


def is_public(rec: Record, parents: list[str | None] | None = None) -> bool:
    if not rec.is_public:
        return False
    if rec.kind is Kind.DISTRIBUTION and rec.access_rights is None and parents:
        return all(a in (None, ACCESS_PUBLIC) for a in parents)
    return True


def public_records(store: RecordStore, recs: Sequence[Record]) -> dict[str, bool]:
    dists = [r.iri for r in recs if r.kind is Kind.DISTRIBUTION and r.access_rights is None]
    parents = parent_access(store, dists)
    return {r.iri: is_public(r, parents.get(r.iri)) for r in recs}
