"""Links between records that only the other side states (inverse links), answered in batches.

A site's datasets are the records that say `fg:hostedAt <site>`; the site record itself does not list
them. The store is asked directly (not the search index, which may lag behind the outbox). The answer
is IRIs only: callers read the records through RecordService, whose visibility rules then apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.identity import Identity
from registry.rdf import is_iri
from registry.sparql_text import iri, values
from registry.store.port import RecordStore
from registry.vocab import FG

HOSTED_AT = FG + "hostedAt"
_CHUNK = 200


class LinkService:
    def __init__(self, store: RecordStore):
        self.store = store

    def hosted_datasets(self, identity: Identity, sites: Sequence[str]) -> dict[str, list[str]]:
        """For each site IRI, the IRIs of the records hosted at it (sorted); one query per 200 sites."""
        keys = list(dict.fromkeys(sites))
        out: dict[str, list[str]] = {s: [] for s in keys}
        valid = [s for s in keys if is_iri(s)]
        for i in range(0, len(valid), _CHUNK):
            # The latest content of a record lives in the graph named by the record's IRI, so binding the
            # graph name and the subject to one variable skips the per-revision graphs.
            rows = self.store.query(
                f"SELECT DISTINCT ?site ?r WHERE {{ VALUES ?site {{ {values(valid[i : i + _CHUNK])} }} "
                f"GRAPH ?r {{ ?r {iri(HOSTED_AT)} ?site }} }}"
            )
            for row in rows:
                out[row["site"].value].append(row["r"].value)
        return {s: sorted(v) for s, v in out.items()}
