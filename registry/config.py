"""Settings read from the environment (FAIRGRID_*), with safe embedded defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASE_IRI = "https://w3id.org/fairgrid/"
# Terminologies are registered under their publishers' official IRIs.
TERMINOLOGY_BASES = ("http://id.who.int/icd/", "http://www.orpha.net/", "http://purl.obolibrary.org/obo/")


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(".fairgrid"))
    base_iri: str = DEFAULT_BASE_IRI
    # IRIs in input are kept when under one of these bases; others are refused.
    allowed_bases: tuple[str, ...] = ()
    max_record_bytes: int = 50 * 1024 * 1024
    store_url: str | None = None  # SPARQL endpoint; None means embedded Oxigraph
    search_url: str | None = None  # OpenSearch/Elasticsearch; None means the embedded index
    search_alias: str | None = None  # the alias on that cluster (several registries can share one)

    @property
    def all_allowed_bases(self) -> tuple[str, ...]:
        return (self.base_iri, *TERMINOLOGY_BASES, *self.allowed_bases)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        base = e.get("FAIRGRID_BASE_IRI", DEFAULT_BASE_IRI)
        if not base.endswith(("/", "#")):
            base += "/"
        return cls(
            home=Path(e.get("FAIRGRID_HOME", ".fairgrid")),
            base_iri=base,
            allowed_bases=_split(e.get("FAIRGRID_ALLOWED_BASES", "")),
            max_record_bytes=int(e.get("FAIRGRID_MAX_RECORD_BYTES", str(50 * 1024 * 1024))),
            store_url=e.get("FAIRGRID_STORE_URL") or None,
            search_url=e.get("FAIRGRID_SEARCH_URL") or None,
            search_alias=e.get("FAIRGRID_SEARCH_ALIAS") or None,
        )
