"""Embedded adapter: a persistent Oxigraph (RocksDB) store under $FAIRGRID_HOME/store.

Oxigraph runs each SPARQL update in one transaction, so a process killed mid-commit leaves the
store at the previous commit. Only one process may open the store for writing at a time.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from registry.errors import Unavailable
from registry.store import sparql as queries
from registry.store.base import SparqlBackedStore


class OxigraphStore(SparqlBackedStore):
    def __init__(self, path: Path | None = None, *, read_only: bool = False):
        super().__init__()
        self.path = path
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise Unavailable(
                f"cannot open the record store at {path}: {exc}",
                hint="another fairgrid process may hold it; stop it or use the API of the running one",
            ) from exc

    def _select(self, query: str, timeout_s: float = 30.0) -> list[queries.Row]:
        result = self._store.query(query)
        return queries.rows(result)

    def _update(self, update: str) -> None:
        self._store.update(update)

    def raw(self) -> ox.Store:
        return self._store

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        self._store.flush() if self.path is not None else None
        del self._store
