"""Publishing a registry record to Zenodo: who may, what is sent, and the DOI written back.

`PublishService.publish(identity, iri, sandbox=..., dry_run=...)`:
1. consortium members and admins only; the record's latest revision must be published (not a draft) and
   not deprecated;
2. the Zenodo metadata (registry/publish/metadata.py) and the package (registry/publish/package.py);
3. dry run: the exact payload (metadata body and file list) and what step 4 would do with it (`action`,
   `new_version_of`, `already_published`: the same journal lookup), nothing sent, nothing written but
   the publish journal's empty file when it was missing;
4. otherwise `Publisher.publish` under the key "<iri>#<revision>" (so a retry resumes the same deposition and
   a finished one is answered from the journal), as a new version of the record's earlier publication on
   the same Zenodo when it has one (one concept DOI for all versions);
5. a new revision of the record with the DOIs and a distribution on Zenodo (registry/publish/writeback.py),
   attributed to the caller;
6. one entry in the audit log (the AuditSink port, registry/audit.py; the hub's log): `published`, or
   `new-version` of an earlier publication, with the DOIs, the revision published and the one holding the
   DOI. The publication happened: an entry the log does not take is a warning (PublishResult.audit_warning).
A retry after a failed write-back finds the publication done in the journal and only writes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from registry.audit import AuditSink
from registry.config import Settings
from registry.errors import (
    AuditUnavailable,
    Conflict,
    Deprecated,
    FairgridError,
    InputError,
    ValidationFailed,
)
from registry.identity import Identity, Role
from registry.io.split import Draft
from registry.model import Record
from registry.publish.metadata import zenodo_metadata
from registry.publish.package import build_package
from registry.publish.publisher import Published, Publisher
from registry.publish.training import read_run
from registry.publish.writeback import Measurement, earlier_writeback, writeback
from registry.services.quality import QualityScore
from registry.services.records import Checked, RecordService
from registry.sparql_text import named_node
from registry.vocab import Kind

Progress = Callable[[str], None]
PublisherFactory = Callable[[bool], Publisher]  # sandbox? -> a Publisher for that Zenodo
RELATED_LIMIT = 100
WRITEBACK_NOTE = "Zenodo DOI "  # the note of a revision that only wrote a publication's DOI back
# metric names preferred for a model distribution's quality measurement, in this order
METRICS = ("auc", "c_index", "accuracy")
log = logging.getLogger("fairgrid.audit")


class DraftNotPublishable(Conflict):
    code = "draft_not_publishable"
    hint = "publish the record in the registry first (publishRecord / a curator), then publish it to Zenodo"


@dataclass(frozen=True)
class PublishResult:
    iri: str
    target: str  # the Zenodo base URL
    dry_run: bool
    payload: dict[str, Any] | None = None  # dry run: what would be sent
    published: Published | None = None
    revision: int | None = None  # the registry revision holding the DOI
    writeback_error: str | None = None  # published, but the record could not take the DOI (why)
    audit_warning: str | None = None  # published, but the audit log did not take the entry (why)


class PublishService:
    def __init__(
        self,
        records: RecordService,
        settings: Settings,
        publisher_for: PublisherFactory,
        audit: AuditSink,
        labels: dict[str, str] | None = None,
    ) -> None:
        self.records = records
        self.settings = settings
        self.publisher_for = publisher_for
        self.audit = audit
        self.labels = labels or {}

    def publish(
        self,
        identity: Identity,
        iri: str,
        *,
        sandbox: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> PublishResult:
        say = progress or (lambda _m: None)
        identity.require(Role.CONSORTIUM_MEMBER, action="publish records to Zenodo")
        named_node(iri, "record IRI")
        record = self._publishable(identity, iri)
        assert record.revision is not None
        target, _ = self.settings.zenodo.target(sandbox)
        # what goes to Zenodo is public: a referenced record whose metadata is for the consortium only
        # (readable by this caller) is named by its IRI alone, never by its title, DOI or names
        related = {
            i: r for i, r in self.records.referenced(identity, record, RELATED_LIMIT).items() if r.is_public
        }
        community = self.settings.zenodo.community
        metadata = zenodo_metadata(
            record, related, labels=self.labels, communities=[community] if community else []
        )
        _, previous = earlier_writeback(record, target)
        key = f"{iri}#{self._content_revision(record)}" + ("#sandbox" if sandbox else "")
        with build_package(record, related, metadata, home=self.settings.home) as package:
            say(f"package: {', '.join(f.name for f in package.files)}")
            publisher = self.publisher_for(sandbox)  # made without a token too: a dry run sends nothing
            try:
                # a publication whose DOI never reached the record (its write-back failed) is still the one
                # the next version follows: the journal knows it, so no second, unrelated concept DOI is made
                previous = previous or publisher.latest(f"{iri}#", "#sandbox" if sandbox else "")
                if dry_run:  # the same lookup as a publish: it says what that would do
                    payload = publisher.payload(metadata, package.files)
                    payload.update(target=target, **publisher.plan(key, previous))
                    say(str(payload["action"]))
                    return PublishResult(iri, target, True, payload=payload)
                published = publisher.publish(key, metadata, package.files, previous=previous, progress=say)
            finally:
                publisher.client.close()
            measurement = self._measurement(record, package.folder)
        event = "new-version" if previous is not None and previous.doi != published.doi else "published"
        facts = {"doi": published.doi, "concept_doi": published.concept_doi, "target": target,
                 "revision": record.revision.number}  # fmt: skip
        say(f"writing the DOI {published.doi} back into the registry record")
        revision: int | None = None
        failed: str | None = None
        try:
            revision = self._write_back(identity, record, published, target, measurement)
        except FairgridError as exc:
            # Zenodo has it and the journal knows: a later `publish` of the same record writes back only
            failed = exc.message
        except BaseException as exc:  # audited all the same: the publication happened
            self._audit(
                identity, event, iri, {**facts, "doi_revision": None, "writeback_error": repr(exc)[:300]}
            )
            raise
        detail = {**facts, "doi_revision": revision, "writeback_error": failed}
        warning = self._audit(identity, event, iri, detail)
        return PublishResult(iri, target, False, published=published, revision=revision,
                             writeback_error=failed, audit_warning=warning)  # fmt: skip

    def _audit(self, identity: Identity, event: str, iri: str, detail: dict[str, Any]) -> str | None:
        """The audit entry, or why the log did not take it: the publication stands either way."""
        try:
            self.audit.record_event(identity.subject, event, iri, detail)
        except AuditUnavailable as exc:
            log.warning("%s; %s stands (DOI %s)", exc.message, event, detail["doi"])
            return f"{exc.message}; the publication stands (DOI {detail['doi']})"
        return None

    # --- steps ----------------------------------------------------------------------------------

    def _content_revision(self, record: Record) -> int:
        """The revision whose content is published: a revision that only wrote a DOI back does not count,
        so publishing again right after a publication answers from the journal instead of a new version."""
        assert record.revision is not None
        n = record.revision.number
        if n > 1 and (record.revision.note or "").startswith(WRITEBACK_NOTE):
            history = {r.number: r for r in self.records.store.history(record.iri)}
            while n > 1 and (history[n].note or "").startswith(WRITEBACK_NOTE):
                n -= 1
        return n

    def _publishable(self, identity: Identity, iri: str) -> Record:
        record = self.records.get(identity, iri)
        heads = self.records.store.heads([iri])
        head = heads.get(iri)
        if head is not None and not head.published:
            raise DraftNotPublishable(
                f"{iri}: its latest revision ({head.number}) is a draft; drafts are not published"
            )
        if record.revision is None or not record.revision.published:
            raise DraftNotPublishable(f"{iri} is a draft; drafts are not published to Zenodo")
        if record.deprecated:
            raise Deprecated(f"{iri} is deprecated; it is not published to Zenodo")
        if record.kind not in (Kind.MODEL, Kind.DATASET, Kind.TERMINOLOGY, Kind.CATALOG):
            raise InputError(
                f"{iri} is a {record.kind.value}: only models, datasets, terminologies and catalogues are"
                " published"
            )
        return record

    def _measurement(self, record: Record, folder: Path) -> Measurement:
        """The model's final metric (from the metrics.json just packaged), else the metadata quality score."""
        metrics = folder / "metrics.json"
        if record.kind is Kind.MODEL and metrics.is_file():
            final = read_run(metrics).final
            for name in METRICS:
                value = final.get(name)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return Measurement(
                        name, f"{name} of the final model (federated evaluation)", float(value)
                    )
        assert record.revision is not None
        total = QualityScore.from_json(record.revision.quality).total if record.revision.quality else 0.0
        return Measurement("metadata-quality", "Metadata quality score (MQA points)", float(total))

    def _write_back(
        self, identity: Identity, record: Record, published: Published, target: str, m: Measurement
    ) -> int:
        """A new revision with the DOIs, written with the service's own authority: the caller may publish
        to Zenodo without being a curator, and only these triples change. It goes on the record's latest
        revision: a curator's edit made while the files were uploading keeps its content and gets the DOI
        (the note names the revision that was published; the next publish makes a new version of it)."""
        assert record.revision is not None
        current = self.records.store.get(record.iri)
        if current is None or current.revision is None:
            raise Conflict(f"{record.iri} is gone from the registry; its DOI is {published.doi}")
        if not current.revision.published:
            raise Conflict(
                f"{record.iri} has a draft revision ({current.revision.number}) since it was published",
                hint="publish the draft in the registry, then publish again (a new version gets the DOI)",
            )
        triples = writeback(current, published, target, m)
        draft = Draft(record.iri, record.kind, triples, source="zenodo write-back")
        (checked,) = self.records.check(identity, [draft])
        if not isinstance(checked, Checked):
            raise checked[1]
        if checked.head is not None and checked.head.content_hash == checked.content_hash:
            return checked.head.number  # this DOI is written back already
        note = f"{WRITEBACK_NOTE}{published.doi}"
        if current.revision.number != record.revision.number:
            note += f" (revision {record.revision.number} was published)"
        write = self.records.new_revision(identity, checked, note=note)
        self.records.commit([write])  # refused (stale revision) if the record changed once more meanwhile
        assert write.record.revision is not None
        return write.record.revision.number


def theme_labels(ontologies_dir: Path) -> dict[str, str]:
    """English labels of the EU data themes (keywords of a deposit), from the bundled vocabulary."""
    path = ontologies_dir / "vocabularies" / "data-theme.ttl"
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    pref = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        if t.predicate == pref and isinstance(t.object, ox.Literal) and (t.object.language or "en") == "en":
            out[t.subject.value] = t.object.value
    return out


__all__ = ["DraftNotPublishable", "PublishResult", "PublishService", "ValidationFailed", "theme_labels"]
