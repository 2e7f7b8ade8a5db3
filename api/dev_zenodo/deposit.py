"""What the deposit API allows, and in which state: the rules of the local Zenodo, apart from HTTP.

Followed: https://developers.zenodo.org (REST API: depositions, files, actions) and, where it and zenodo-rdm's
legacy API (site/zenodo_rdm/legacy) differ, zenodo-rdm. The differences are said where they matter:
- PUT, DELETE and publish on a published deposition that is not being edited answer 404: zenodo-rdm looks
  for the draft, and a published record has none until `actions/edit` makes one.
- DELETE answers 204 (the docs say 201); DELETE and `actions/discard` are one view in zenodo-rdm: both
  delete a never-published draft and both end the edit of a published one (discard answers 201 with the
  deposition then, DELETE 204).
- `actions/newversion` answers 201 with the new draft (zenodo-rdm's `new_version` returns it; the docs say the
  published deposition). `links.latest_draft` points at the new draft either way. An open draft of the next
  version is reused, and its files must be gone first: 400 "Please remove all files first." on
  `files.enabled`, as zenodo-rdm's file import answers.
- zenodo-rdm does not refuse a new version whose files equal an earlier version's (legacy Zenodo did, "New
  version's files must differ from all previous versions."); neither does this.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from api.dev_zenodo import metadata as md
from api.dev_zenodo.state import Deposition, Store, StoredFile

DOI_PREFIX = "10.5072"  # DataCite's test prefix: nobody takes these for real DOIs
MAX_KEY_LENGTH = 255
MAX_FILES = 100  # Zenodo's documented limit of files per record
MAX_ID = 2**63  # SQLite's integers; a larger id in a URL is simply not found
# zenodo-rdm (invenio-rdm-records' MetadataComponent.new_version_skip_fields) does not copy these into a new
# version's draft: each version gets its own.
NEW_VERSION_SKIP = ("publication_date", "version")


class ZenodoError(Exception):
    """An answer other than success, as Zenodo words it: `{"status", "message", "errors"?}`."""

    def __init__(self, status: int, message: str, errors: md.FieldErrors | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def doi(recid: int) -> str:
    return f"{DOI_PREFIX}/zenodo.{recid}"


def not_found() -> ZenodoError:
    return ZenodoError(404, "PID does not exist.")


def validation(errors: md.FieldErrors) -> ZenodoError:
    return ZenodoError(400, "A validation error occurred.", errors)


class Deposits:
    """The deposit operations of one Zenodo; `owner` is the signed-in user (a number, as on Zenodo)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _mine(self, owner: int, dep_id: int) -> Deposition:
        dep = self.store.get(dep_id) if 0 < dep_id < MAX_ID else None
        if dep is None:
            raise not_found()
        if dep.owner != owner:
            raise ZenodoError(403, "You don't have the permission to access the requested resource.")
        return dep

    def _editable(self, owner: int, dep_id: int) -> Deposition:
        dep = self._mine(owner, dep_id)
        if dep.draft is None:
            raise not_found()  # published and not in edit: no draft (zenodo-rdm), see the module comment
        return dep

    def search(self, owner: int, query: Mapping[str, str]) -> list[Deposition]:
        """The list route's documented parameters: q, status (draft|published), sort (bestmatch|mostrecent|
        -mostrecent), page, size, all_versions. Without all_versions only each concept's newest deposition is
        listed, as on Zenodo. `q` here is plain words that must all appear in the metadata (Zenodo takes
        Elasticsearch query text)."""
        status = query.get("status")
        if status not in (None, "draft", "published"):
            raise ZenodoError(400, "status must be draft or published.")
        sort = query.get("sort", "mostrecent")
        if sort not in ("bestmatch", "mostrecent", "-mostrecent"):
            raise ZenodoError(400, "sort must be bestmatch, mostrecent or -mostrecent.")
        page, size = _positive(query, "page", 1), _positive(query, "size", 10)
        found = self.store.owned_by(owner)  # newest first
        if status == "draft":
            found = [d for d in found if d.record is None]
        elif status == "published":
            found = [d for d in found if d.record is not None]
        if query.get("all_versions", "false").lower() in ("0", "false", "no"):
            newest: dict[int, Deposition] = {}
            for dep in found:
                newest.setdefault(dep.concept, dep)
            found = [d for d in found if newest[d.concept] is d]
        words = query.get("q", "").lower().split()
        if words:
            found = [d for d in found if all(w in json.dumps(d.metadata).lower() for w in words)]
        if sort == "-mostrecent":
            found.reverse()
        return found[(page - 1) * size : page * size]

    def get(self, owner: int, dep_id: int) -> Deposition:
        return self._mine(owner, dep_id)

    def create(self, owner: int, body: object) -> Deposition:
        meta = _metadata_of(body, required=False)
        return self.store.create(owner, meta)

    def update(self, owner: int, dep_id: int, body: object) -> Deposition:
        """Full-metadata PUT: the draft becomes exactly what was sent."""
        meta = _metadata_of(body, required=True)
        with self.store.lock:
            self._editable(owner, dep_id)
            self.store.set_draft(dep_id, meta)
            return self._mine(owner, dep_id)

    def delete(self, owner: int, dep_id: int) -> None:
        """DELETE is zenodo-rdm's delete_draft, like discard: a published record being edited loses only the
        edit (the docs' 403 for published depositions is what a published one not in edit gets here: 404)."""
        self.discard(owner, dep_id)

    def publish(self, owner: int, dep_id: int) -> Deposition:
        with self.store.lock:
            dep = self._editable(owner, dep_id)
            draft = dep.draft or {}
            errors = md.check_publishable(draft, len(self.store.files(dep_id)))
            if errors:
                raise validation(errors)
            record = md.published_form(draft, datetime.now(UTC).date())
            # A published record keeps its DOI through edits; a first publish takes a DOI given in the
            # metadata (registered elsewhere) or the one reserved for it.
            record["doi"] = (dep.record or {}).get("doi") or draft.get("doi") or doi(dep.id)
            self.store.set_published(dep_id, record)
            return self._mine(owner, dep_id)

    def edit(self, owner: int, dep_id: int) -> Deposition:
        with self.store.lock:
            dep = self._mine(owner, dep_id)
            if dep.record is None:
                raise ZenodoError(400, "Deposition is not published, so it cannot be edited.")  # not a draft
            if dep.draft is None:
                self.store.set_draft(dep_id, dict(dep.record))
            return self._mine(owner, dep_id)

    def discard(self, owner: int, dep_id: int) -> Deposition | None:
        """Ends an edit (back to the published metadata); a never-published draft is deleted (None)."""
        with self.store.lock:
            dep = self._editable(owner, dep_id)
            if dep.record is None:
                self.store.delete(dep_id)
                return None
            self.store.set_draft(dep_id, None)
            return self._mine(owner, dep_id)

    def new_version(self, owner: int, dep_id: int) -> Deposition:
        with self.store.lock:
            dep = self._mine(owner, dep_id)
            if dep.record is None:
                raise ZenodoError(400, "Only published depositions can have a new version.")
            versions = self.store.concept_versions(dep.concept)
            open_draft = next((v for v in versions if v.record is None), None)
            if open_draft is not None:
                if self.store.files(open_draft.id):
                    raise validation(
                        [{"field": "files.enabled", "messages": ["Please remove all files first."]}]
                    )
                self.store.copy_files(dep.id, open_draft.id)
                return open_draft
            meta = dict(dep.record)
            # The new draft gets its own DOI at publish: the published one must not carry over.
            for key in ("doi", *NEW_VERSION_SKIP):
                meta.pop(key, None)
            draft = self.store.create(owner, meta, concept=dep.concept)
            self.store.copy_files(dep.id, draft.id)
            return draft

    # -- files --------------------------------------------------------------------------------------------

    def bucket(self, owner: int, bucket: str) -> Deposition:
        dep = self.store.by_bucket(bucket)
        if dep is None:
            raise ZenodoError(404, "Bucket does not exist.")
        return self._mine(owner, dep.id)

    def put_file(self, owner: int, bucket: str, key: str, data: bytes) -> StoredFile:
        check_key(key)
        with self.store.lock:
            dep = self.bucket(owner, bucket)
            if dep.record is not None:
                # A published record's files are fixed; changing them needs a new version.
                raise ZenodoError(403, "The bucket is locked: a published record's files cannot change.")
            files = self.store.files(dep.id)
            if len(files) >= MAX_FILES and all(f.key != key for f in files):
                raise ZenodoError(400, f"A deposition holds at most {MAX_FILES} files.")
            return self.store.put_file(dep.id, key, data)

    def delete_file(self, owner: int, bucket: str, key: str) -> None:
        with self.store.lock:
            dep = self.bucket(owner, bucket)
            if dep.record is not None:
                raise ZenodoError(403, "The bucket is locked: a published record's files cannot change.")
            if self.store.file(dep.id, key) is None:
                raise ZenodoError(404, "Object does not exist.")
            self.store.delete_file(dep.id, key)

    def files(self, owner: int, dep_id: int) -> tuple[Deposition, list[StoredFile]]:
        dep = self._mine(owner, dep_id)
        return dep, self.store.files(dep_id)

    def file_by_id(self, owner: int, dep_id: int, file_id: str) -> tuple[Deposition, StoredFile]:
        dep = self._mine(owner, dep_id)
        found = self.store.file_by_id(dep_id, file_id)
        if found is None:
            raise ZenodoError(404, "File does not exist.")
        return dep, found

    # -- published records (public) -----------------------------------------------------------------------

    def record(self, rec_id: int) -> Deposition:
        dep = self.store.get(rec_id) if 0 < rec_id < MAX_ID else None
        if dep is None or dep.record is None:
            raise not_found()
        return dep

    def latest_published(self, dep: Deposition) -> Deposition | None:
        published = [v for v in self.store.concept_versions(dep.concept) if v.record is not None]
        return published[-1] if published else None

    def open_draft(self, dep: Deposition) -> Deposition | None:
        return next((v for v in self.store.concept_versions(dep.concept) if v.record is None), None)


MAX_PAGE_SIZE = 100


def _positive(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= (MAX_PAGE_SIZE if name == "size" else 10**6):
        raise ZenodoError(400, f"{name} must be a whole number from 1 (size: at most {MAX_PAGE_SIZE}).")
    return int(raw)


def check_key(key: str) -> None:
    if not key or key in (".", "..") or "/" in key or "\\" in key or len(key) > MAX_KEY_LENGTH:
        raise ZenodoError(400, "Invalid file name.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ZenodoError(400, "Invalid file name.")


def _metadata_of(body: object, *, required: bool) -> dict[str, Any]:
    """The `metadata` object of a request body, checked; other top-level keys are ignored, as Zenodo does."""
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise ZenodoError(400, "The request body must be a JSON object.")
    meta = body.get("metadata")
    if meta is None:
        if required:
            raise validation([{"field": "metadata", "messages": [md.MISSING]}])
        return {}
    errors = md.check(meta)
    if errors:
        raise validation(errors)
    assert isinstance(meta, dict)
    meta.pop("prereserve_doi", None)  # always shown as the DOI this deposition reserves
    return meta
