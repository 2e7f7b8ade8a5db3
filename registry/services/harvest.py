"""Harvesting: the records of a DCAT catalogue or FAIR Data Point, kept in step with their source.

One harvest reads the whole source first (registry/services/harvest_crawl.py); a source that fails
mid-way changes no record. Then every record it describes is checked like any other write and all of
them are committed in one transaction. A record that violates the shapes is kept as a non-conformant
draft, with its violations in its revision's report: curators see it (`non_conformant`), nobody else
does, and it is published by the first conforming version, whether a curator's fix or the source's
next one. Each harvested record carries where it came from (fg:harvestSource, fg:harvestedFrom) and
the hash of the content the source sent (fg:harvestedContentHash): records of this source that the
source no longer describes are deprecated, and a source that resends what it sent last time leaves the
record as it is (a curator's fix is not undone). A harvest never touches a record it did not create.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pyoxigraph as ox

from registry.config import Settings
from registry.errors import Conflict, FairgridError, InputError, ValidationFailed, Violation
from registry.fetch import Fetcher, file_uri, is_file
from registry.identity import Identity, Role
from registry.io.split import Draft, split
from registry.model import Record, content_hash
from registry.redact import without_credentials
from registry.services.harvest_crawl import PageCache, crawl
from registry.services.records import Checked, RecordService
from registry.sparql_text import literal
from registry.store.port import Write
from registry.validation.report import ValidationReport
from registry.vocab import FG, Kind

HARVEST_SOURCE = FG + "harvestSource"
HARVESTED_FROM = FG + "harvestedFrom"
HARVESTED_HASH = FG + "harvestedContentHash"
# The scheduled harvest inside `fairgrid serve` writes as this agent.
HARVESTER = Identity("harvester", frozenset({Role.CURATOR}))
_SOURCE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}\Z")
_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.\-]*)://")


@dataclass(frozen=True)
class HarvestSource:
    id: str
    location: str  # an http(s) URL or a file
    base: str | None = None  # record IRIs kept as they are under this prefix (default: the URL's origin)

    def __post_init__(self) -> None:
        scheme = _SCHEME.match(self.location)  # ftp://, s3://: else read as a file named "ftp:/..."
        if scheme and scheme.group(1).lower() not in ("http", "https", "file"):
            raise InputError(
                f"cannot harvest {scheme.group(1)}:// URLs ({self.location[:80]})",
                hint="give an http(s) URL of a catalogue or FDP, or a file",
            )

    @property
    def allowed_base(self) -> str | None:
        if self.base:
            return self.base
        if is_file(self.location):
            return None
        parts = urlsplit(self.location)
        return f"{parts.scheme}://{parts.netloc}/"

    @property
    def uri(self) -> str:
        return file_uri(self.location) if is_file(self.location) else self.location


def check_source_id(value: str) -> str:
    if not _SOURCE_ID.match(value):
        raise InputError(
            f"harvest source id {value[:80]!r} is not valid",
            hint="use lower-case letters, digits, '.', '_' and '-', e.g. fdp-leiden",
        )
    return value


@dataclass
class HarvestItem:
    iri: str
    status: str  # imported | updated | unchanged | non-conformant | deprecated | rejected | valid
    error: FairgridError | None = None
    violations: list[Violation] = field(default_factory=list)


@dataclass
class HarvestResult:
    source: HarvestSource
    dry_run: bool
    documents: int = 0
    not_modified: int = 0
    items: list[HarvestItem] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(i.status for i in self.items)


@dataclass(frozen=True)
class NonConformant:
    iri: str
    kind: Kind
    source: str | None
    revision: int
    violations: list[Violation]


class HarvestService:
    def __init__(self, records: RecordService, fetcher: Fetcher, settings: Settings) -> None:
        self.records = records
        self.fetcher = fetcher
        self.settings = settings

    def configured(self, source_id: str) -> HarvestSource:
        """The source FAIRGRID_HARVEST_SOURCES names `source_id`."""
        for sid, where in self.settings.harvest_sources:
            if sid == source_id:
                return HarvestSource(sid, where)
        known = ", ".join(sid for sid, _ in self.settings.harvest_sources) or "none"
        raise InputError(
            f"no harvest source {source_id[:80]!r} is configured (configured: {known})",
            hint="name the source's URL or file, or add id=url to FAIRGRID_HARVEST_SOURCES",
        )

    def harvest(
        self,
        identity: Identity,
        source: HarvestSource,
        *,
        dry_run: bool = False,
        progress: Callable[[str, int], None] | None = None,
    ) -> HarvestResult:
        """`progress(url, documents read)` while the source is read (the slow part, one request each)."""
        identity.require(Role.CURATOR, action="harvest records")
        check_source_id(source.id)
        cache = PageCache(self.settings.home / "harvest" / source.id, write=not dry_run)
        found = crawl(self.fetcher, source.location, cache, progress=progress)
        result = HarvestResult(source, dry_run, len(found.documents), found.not_modified)
        if not found.triples:
            raise InputError(
                f"{source.location}: the source describes no records",
                hint="give the URL of a DCAT catalogue or FAIR Data Point (any RDF format), or such a file",
            )
        extra = (source.allowed_base,) if source.allowed_base else ()
        s = self.settings
        parts = split(found.triples, base_iri=s.base_iri, allowed=(*s.all_allowed_bases, *extra),
                      source=source.location)  # fmt: skip
        for where, err in parts.errors:
            result.items.append(HarvestItem(where, "rejected", err))
        drafts = [d for d in parts.drafts if not d.minted]
        for d in parts.drafts:
            if d.minted:  # a blank-node record would get a new IRI on every run, so never match its last one
                err = InputError(f"{source.location}: a {d.kind.value} without an IRI cannot be harvested")
                result.items.append(HarvestItem(d.iri, "rejected", err))
        current = self.records.get_many(identity, [d.iri for d in drafts])
        writes: list[Write] = []
        todo: list[Draft] = []
        for d in drafts:
            sent = content_hash(d.triples)
            rec = current.get(d.iri)
            if isinstance(rec, Record):
                if rec.value(HARVEST_SOURCE) != source.id:
                    err = Conflict(
                        f"{d.iri} is registered, but not by harvest source {source.id}; not updated"
                    )
                    result.items.append(HarvestItem(d.iri, "rejected", err))
                    continue
                if rec.deprecated:
                    result.items.append(HarvestItem(d.iri, "rejected", Conflict(f"{d.iri} is deprecated")))
                    continue
                if rec.value(HARVESTED_HASH) == sent:  # as the source sent it last time (maybe fixed since)
                    result.items.append(HarvestItem(d.iri, "unchanged"))
                    continue
            todo.append(_with_provenance(d, source, sent))
        for item in self.records.check(identity, todo):
            if isinstance(item, Checked):
                status = "valid" if dry_run else ("imported" if item.head is None else "updated")
                if (
                    item.head is not None
                    and item.head.content_hash == item.content_hash
                    and item.head.published
                ):
                    status = "unchanged"
                else:
                    writes.append(self.records.new_revision(identity, item, note=f"harvest {source.id}"))
                result.items.append(HarvestItem(item.draft.iri, status))
                continue
            draft, err = item
            if not isinstance(err, ValidationFailed):
                result.items.append(HarvestItem(draft.iri, "rejected", err))
                continue
            # kept, never published: nothing a source sends is lost, nothing that does not conform is public
            rec = current.get(draft.iri)
            writes.append(
                self._non_conformant(identity, draft, err, rec if isinstance(rec, Record) else None, source)
            )
            result.items.append(HarvestItem(draft.iri, "non-conformant", err, err.violations))
        listed = {d.iri for d in parts.drafts} | {where for where, _ in parts.errors}
        vanished = [i for i in self._harvested(source.id) if i not in listed]
        if dry_run:
            result.items += [HarvestItem(i, "would deprecate") for i in vanished]
            return result
        self.records.commit(writes)
        when = datetime.now(UTC).date().isoformat()
        for iri in vanished:
            reason = f"no longer described by harvest source {source.id} ({source.location}) on {when}"
            try:
                self.records.deprecate(identity, iri, reason)
                result.items.append(HarvestItem(iri, "deprecated"))
            except FairgridError as exc:  # deprecated meanwhile, or a concurrent writer: the next run retries
                result.items.append(HarvestItem(iri, "rejected", exc))
        return result

    def non_conformant(self, identity: Identity, source: str | None = None) -> list[NonConformant]:
        """The review queue: harvested records whose latest revision is a draft that violates the shapes."""
        identity.require(Role.CURATOR, action="review non-conformant records")
        if source is not None:
            check_source_id(source)
        iris = self._harvested(source)
        found = self.records.get_many(identity, iris)
        out: list[NonConformant] = []
        for iri in iris:
            rec = found.get(iri)
            if not isinstance(rec, Record) or rec.revision is None or rec.revision.published:
                continue
            violations = _violations(rec.revision.report)
            if violations:
                out.append(
                    NonConformant(iri, rec.kind, rec.value(HARVEST_SOURCE), rec.revision.number, violations)
                )
        return out

    def _harvested(self, source: str | None) -> list[str]:
        """Records whose latest content names this harvest source (any source: None), not deprecated."""
        src = f"{literal(source)}" if source is not None else "?src"
        rows = self.records.store.query(
            f"SELECT DISTINCT ?r WHERE {{ GRAPH ?r {{ ?r <{HARVEST_SOURCE}> {src} "
            f"FILTER NOT EXISTS {{ ?r <http://www.w3.org/2002/07/owl#deprecated> true }} }} }} ORDER BY ?r"
        )
        return [row["r"].value for row in rows]

    def _non_conformant(
        self,
        identity: Identity,
        draft: Draft,
        err: ValidationFailed,
        rec: Record | None,
        source: HarvestSource,
    ) -> Write:
        head = rec.revision if rec is not None else None
        report = ValidationReport([*err.violations, *err.warnings])
        checked = Checked(draft, report, head, content_hash(draft.triples))
        write = self.records.new_revision(identity, checked, note=f"harvest {source.id}", publish=False)
        rev = write.record.revision
        assert rev is not None
        data = report.to_dict()
        kept = json.dumps({k: data[k] for k in ("violations", "warnings", "infos")}, sort_keys=True)
        return Write(replace(write.record, revision=replace(rev, report=kept)), write.expected_head)


def _with_provenance(d: Draft, source: HarvestSource, sent: str) -> Draft:
    s = ox.NamedNode(d.iri)
    prov = [
        ox.Triple(s, ox.NamedNode(HARVEST_SOURCE), ox.Literal(source.id)),
        # published with the record: a source URL's user:password@ or ?token= never is
        ox.Triple(s, ox.NamedNode(HARVESTED_FROM), ox.NamedNode(without_credentials(source.uri))),
        ox.Triple(s, ox.NamedNode(HARVESTED_HASH), ox.Literal(sent)),
    ]
    return replace(d, triples=[t for t in d.triples if t.predicate.value not in _PROVENANCE] + prov)


_PROVENANCE = (HARVEST_SOURCE, HARVESTED_FROM, HARVESTED_HASH)


def _violations(report: str | None) -> list[Violation]:
    if not report:
        return []
    data = json.loads(report)
    return [
        Violation(
            v["focusNode"],
            v.get("path"),
            v["constraint"],
            v["severity"],
            v["message"],
            v.get("value"),
            v.get("shape"),
        )  # fmt: skip
        for v in data.get("violations", [])
    ]
