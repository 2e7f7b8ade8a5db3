"""The one place where adapters are chosen from settings.

Services that write to the hub's audit log (PublishService, the training jobs) are built on top of this in
api/federation.py, which holds that log; registry/ does not import federation/.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from registry.config import HOME_HINT, Settings
from registry.doorbell import Doorbell
from registry.files import ensure_folder
from registry.search.port import SearchIndex
from registry.services.catalog import CatalogService
from registry.services.exporter import Exporter
from registry.services.harvest import HarvestService
from registry.services.importer import Importer
from registry.services.links import LinkService
from registry.services.records import RecordService
from registry.services.search import SearchService, index_rules_file
from registry.services.terms import TermService
from registry.store.port import RecordStore
from registry.validation.bundle import load_bundle
from registry.validation.validator import CompiledValidator, RecordValidator


def open_store(settings: Settings, *, read_only: bool = False) -> RecordStore:
    if settings.store_url:
        from registry.store.remote import SparqlEndpointStore

        # Every process writing through this home (API workers, CLI imports) queues on one commit lock.
        return SparqlEndpointStore(settings.store_url, commit_lock=settings.home / "store-commit.lock")
    from registry.store.oxigraph import OxigraphStore

    limits = settings.limits  # one query worker per SPARQL slot: a query never waits for a worker
    workers = limits.sparql_concurrency + limits.sparql_anonymous_concurrency
    return OxigraphStore(settings.home / "store", read_only=read_only, query_workers=workers)


@cache
def compiled_validator(shapes: Path | None, ontologies: Path | None) -> CompiledValidator:
    """One compiled validator per shapes and ontologies folder in a process: compiling takes ~0.4 s and
    depends on the bundle alone (itself loaded once per folder pair), and validating only reads it."""
    return CompiledValidator(load_bundle(shapes, ontologies))


@dataclass
class Registry:
    settings: Settings
    store: RecordStore

    @cached_property
    def validator(self) -> RecordValidator:
        s = self.settings
        return compiled_validator(s.shapes_dir, s.ontologies_dir)

    @cached_property
    def doorbell(self) -> Doorbell:
        """Rung after every commit, so the outbox drainer (maybe another process) wakes at once."""
        return Doorbell(self.settings.home)

    @cached_property
    def records(self) -> RecordService:
        return RecordService(self.store, self.validator, self.settings, on_commit=self.doorbell.ring)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.store, self.records, self.index)

    @cached_property
    def links(self) -> LinkService:
        return LinkService(self.store)

    @cached_property
    def importer(self) -> Importer:
        return Importer(self.records)

    @cached_property
    def harvest(self) -> HarvestService:
        from registry.fetch import SourceFetcher

        return HarvestService(self.records, SourceFetcher(self.settings.max_record_bytes), self.settings)

    @cached_property
    def exporter(self) -> Exporter:
        return Exporter(self.store)

    @cached_property
    def terms(self) -> TermService:
        return TermService(self.store, cache_dir=self.settings.home / "cache")

    @cached_property
    def index(self) -> SearchIndex:
        from registry.search import open_index

        s = self.settings
        return open_index(s.search_url or s.home / "index", alias=s.search_alias)

    @cached_property
    def search(self) -> SearchService:
        return SearchService(
            self.store, self.index, self.terms, rules_file=index_rules_file(self.settings.home)
        )

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
        if "harvest" in self.__dict__:
            self.harvest.fetcher.close()
        self.store.close()


def open_registry(settings: Settings | None = None, *, read_only: bool = False) -> Registry:
    settings = settings or Settings.from_env()
    if not read_only:  # keys, caches and the store live under it: one clear refusal, not a traceback
        ensure_folder(settings.home, "the registry home", hint=HOME_HINT)
    return Registry(settings, open_store(settings, read_only=read_only))
