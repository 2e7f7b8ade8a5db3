"""Publishing one package to Zenodo as a resumable, idempotent sequence of steps.

`Publisher.publish(key, ...)` is safe to call again after any failure or crash: the journal says how far the
last attempt got and Zenodo says the rest. The order of steps is what makes that true:

1. journal row for `key` (before any HTTP write);
2. create the deposition, or for a new version POST newversion on the previous one and open its draft;
   the id is committed to the journal BEFORE any file is uploaded;
3. files: every file Zenodo already holds with the same md5 is kept (for a new version only the ones this
   key uploaded: the inherited files of the previous version are removed), the rest uploaded, each md5
   checked against Zenodo's checksum and journaled;
4. full-metadata PUT (a full replace, so repeating it is harmless);
5. publish. A publish whose answer was lost (timeout, 5xx after Zenodo did it, or a crash) is detected by
   GETting the deposition, in the same call or in the next attempt: `submitted` means it is published, and
   it is recorded, not published again;
6. the final `Published` in the journal; from then on `publish(key)` answers from the journal alone.

A crash (or a lost answer) between Zenodo creating a deposition and the journal learning its id (step 2)
is covered by a marker: the draft is created with `notes` naming a hash of the key, and a resumed attempt
that has no deposition id looks for a draft with that marker among the account's recent drafts before
creating one. (A lost answer to newversion is covered the same way by the previous version's
`links.latest_draft`.)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from registry.config import Settings
from registry.errors import InputError, UnreadableInput
from registry.publish.journal import CREATED, FILES_UPLOADED, METADATA_SET, Entry, Journal
from registry.publish.zenodo import (
    ZenodoClient,
    ZenodoError,
    ZenodoNotFound,
    ZenodoUnavailable,
    md5_of,
    server_md5,
)

_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PackageFile:
    name: str  # the file's name on Zenodo: no '/', no '..', no control characters
    path: Path

    def __post_init__(self) -> None:
        if (
            not isinstance(self.name, str)
            or not self.name.strip()
            or self.name in (".", "..")
            or _BAD_NAME.search(self.name)
            or len(self.name.encode()) > 255
        ):
            raise InputError(
                f"{self.name!r} is not a safe file name for Zenodo",
                hint="use a plain file name: no '/', '\\', '..' or control characters, at most 255 bytes",
            )


@dataclass(frozen=True)
class Published:
    deposition_id: int
    doi: str  # e.g. 10.5281/zenodo.123
    concept_doi: str  # the DOI shared by all versions
    record_url: str  # the HTML landing page
    files: dict[str, str]  # name -> download URL
    version: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Published:
        return cls(
            deposition_id=int(data["deposition_id"]),
            doi=str(data["doi"]),
            concept_doi=str(data["concept_doi"]),
            record_url=str(data["record_url"]),
            files={str(k): str(v) for k, v in dict(data["files"]).items()},
            version=str(data.get("version", "")),
        )


Step = Callable[[str], None]


class Publisher:
    """`checkpoint`, if given, is called with each step's name as it completes ("deposition-made",
    "created", "files-uploaded", "metadata-set", "published", "journaled"): the crash tests stop a process
    there."""

    def __init__(self, client: ZenodoClient, journal: Journal, *, checkpoint: Step | None = None) -> None:
        self.client = client
        self.journal = journal
        self._checkpoint = checkpoint or (lambda _step: None)

    def journal_key(self, key: str) -> str:
        """The journal's key for `key` on this client's Zenodo: the same record published to the sandbox
        and to Zenodo is two publications, not one."""
        return f"{self.client.base_url} {key}"

    def latest(self, key_prefix: str, suffix: str = "") -> Published | None:
        """The newest finished publication on this client's Zenodo whose key is `key_prefix`, a revision
        number and `suffix` (the highest number wins)."""
        prefix = self.journal_key(key_prefix)
        found: list[tuple[int, Published]] = []
        for key, published in self.journal.published_under(prefix).items():
            rest = key[len(prefix) :]
            number = rest[: len(rest) - len(suffix)] if suffix else rest
            if rest.endswith(suffix) and number.isdigit():
                found.append((int(number), Published.from_dict(published)))
        return max(found, key=lambda pair: pair[0])[1] if found else None

    def plan(self, key: str, previous: Published | None) -> dict[str, Any]:
        """What `publish(key, previous=previous)` would do, from the journal alone (for --dry-run):
        `action` in words, `already_published` (a DOI: nothing is sent), `new_version_of` (a deposition
        id) and `concept_doi` (the one all versions share)."""
        entry = self.journal.get(self.journal_key(key))
        if entry is not None and entry.published:
            done = Published.from_dict(entry.published)
            return {"action": f"would send nothing: this revision is already published as DOI {done.doi}",
                    "already_published": done.doi, "new_version_of": None,
                    "concept_doi": done.concept_doi}  # fmt: skip
        if entry is not None and entry.deposition_id is not None:
            action = f"would resume deposition {entry.deposition_id}, which an earlier attempt left"
        elif previous is not None:
            action = (f"would create a new version of deposition {previous.deposition_id} "
                      f"(DOI {previous.doi}; all versions: {previous.concept_doi})")  # fmt: skip
        else:
            action = "would create a new deposition (a new concept DOI)"
        return {"action": action, "already_published": None,
                "new_version_of": previous.deposition_id if previous else None,
                "concept_doi": previous.concept_doi if previous else None}  # fmt: skip

    def payload(self, metadata: dict[str, Any], files: Sequence[PackageFile]) -> dict[str, Any]:
        """What would be sent (for --dry-run): the exact body of the full-metadata PUT, and the files."""
        _check_metadata(metadata)
        return {
            "metadata": {"metadata": metadata},
            "files": [{"name": f.name, "size": size, "md5": md5} for f, md5, size in _read(files)],
        }

    def publish(
        self,
        key: str,
        metadata: dict[str, Any],
        files: Sequence[PackageFile],
        *,
        previous: Published | None = None,
        progress: Step | None = None,
    ) -> Published:
        say = progress or (lambda _msg: None)
        if not isinstance(key, str) or not key.strip() or len(key) > 2000:
            raise InputError("a publication key must be a non-empty string of at most 2000 characters")
        _check_metadata(metadata)
        key = self.journal_key(key)
        done = self.journal.get(key)
        if done is not None and done.published:
            say(f"already published: {done.published.get('doi')}")
            return Published.from_dict(done.published)
        local = _read(files)  # every file readable and hashed before anything is written anywhere
        if not local:
            raise InputError(
                "there is nothing to publish", hint="a Zenodo deposition needs at least one file"
            )
        with self.journal.lock(key):
            earlier = self.journal.get(key)
            if earlier is not None and earlier.published:  # another process finished while this one waited
                return Published.from_dict(earlier.published)
            entry = earlier or self.journal.start(
                key, previous_id=previous.deposition_id if previous else None
            )
            deposition = self._open(key, entry, previous, say, resumed=earlier is not None)
            if deposition.get("submitted"):
                say("Zenodo already published this deposition (the last attempt stopped before noting it)")
                return self._finish(key, deposition, say)
            dep_id = int(deposition["id"])
            self._sync_files(key, deposition, local, inherited=previous is not None, say=say)
            self.journal.advance(key, FILES_UPLOADED)
            self._checkpoint(FILES_UPLOADED)
            say("setting the metadata")
            self.client.put_metadata(dep_id, metadata)
            self.journal.advance(key, METADATA_SET)
            self._checkpoint(METADATA_SET)
            say("publishing")
            try:
                result = self.client.publish(dep_id)
            except ZenodoError:
                # the publish may have happened and only its answer been lost: Zenodo knows
                check = self._get_quietly(dep_id)
                if check is None or not check.get("submitted"):
                    raise
                result = check
            self._checkpoint("published")
            return self._finish(key, result, say)

    # --- steps ---------------------------------------------------------------------------------

    def _open(
        self, key: str, entry: Entry, previous: Published | None, say: Step, *, resumed: bool
    ) -> dict[str, Any]:
        """The deposition `key` works on: the journaled one, or a new one (committed before returning)."""
        if entry.deposition_id is not None:
            try:
                deposition = self.client.get(entry.deposition_id)
                say(f"resuming deposition {entry.deposition_id}")
                return deposition
            except ZenodoNotFound:
                # discarded or deleted on Zenodo since: never published (a published one is still there)
                say(f"deposition {entry.deposition_id} is gone from Zenodo; starting again")
        if previous is None:
            marker = _marker(key)
            # an attempt that stopped between Zenodo creating the draft and the journal noting its id left
            # a draft carrying this key's marker: it is adopted rather than a second one made
            found = self._marked_draft(marker) if resumed else None
            if found is not None:
                say(f"adopting draft {found['id']}, made by an attempt that stopped before noting it")
                deposition = found
            else:
                say(f"creating a deposition on {self.client.base_url}")
                try:
                    deposition = self.client.create({"notes": marker})
                except ZenodoUnavailable:
                    # the answer may be what was lost, not the draft
                    found = self._marked_draft(marker)
                    if found is None:
                        raise
                    say(f"adopting draft {found['id']}, whose creation answer was lost")
                    deposition = found
        else:
            deposition = self._new_version_draft(previous.deposition_id, say)
        dep_id = int(deposition["id"])
        self._checkpoint("deposition-made")  # Zenodo has it, the journal not yet
        self.journal.created(key, dep_id, _text(deposition.get("conceptrecid")))
        self._checkpoint(CREATED)
        return deposition

    def _marked_draft(self, marker: str) -> dict[str, Any] | None:
        for draft in self.client.drafts():
            if (draft.get("metadata") or {}).get("notes") == marker and "id" in draft:
                return self.client.get(int(draft["id"]))
        return None

    def _new_version_draft(self, previous_id: int, say: Step) -> dict[str, Any]:
        # An open draft of the previous deposition's concept is reused: it is this key's own draft from an
        # attempt that stopped before journaling it (and Zenodo refuses a second newversion while it exists).
        current = self.client.get(previous_id)
        draft = self._open_draft(current, previous_id)
        if draft is not None:
            say(f"reusing the open new-version draft {draft['id']}")
            return draft
        say(f"creating a new version of deposition {previous_id}")
        try:
            answer = self.client.new_version(previous_id)
        except ZenodoUnavailable:
            answer = self.client.get(previous_id)  # the draft may exist and only the answer be lost
        draft = self._open_draft(answer, previous_id)
        if draft is None:
            raise ZenodoUnavailable(f"Zenodo made no new-version draft of deposition {previous_id}")
        return draft

    def _open_draft(self, deposition: dict[str, Any], previous_id: int) -> dict[str, Any] | None:
        link = (deposition.get("links") or {}).get("latest_draft")
        if not isinstance(link, str) or not link:
            return None
        draft = self.client.get_url(link)
        if int(draft.get("id", previous_id)) == previous_id or draft.get("submitted"):
            return None
        return draft

    def _sync_files(
        self,
        key: str,
        deposition: dict[str, Any],
        local: list[tuple[PackageFile, str, int]],
        *,
        inherited: bool,
        say: Step,
    ) -> None:
        dep_id = int(deposition["id"])
        ours = (self.journal.get(key) or _empty(key)).files
        wanted = {f.name: (f, md5, size) for f, md5, size in local}
        present: set[str] = set()
        for remote in self.client.list_files(dep_id):
            name, theirs = str(remote.get("filename", "")), server_md5(remote)
            want = wanted.get(name)
            # in a new-version draft, files this key did not upload are the previous version's: removed
            mine = not inherited or (name in ours and ours[name].md5 == theirs)
            if want is not None and theirs == want[1] and mine:
                say(f"{name} is already on Zenodo")
                if name not in ours:
                    self.journal.file_uploaded(key, name, want[1], want[2])
                present.add(name)
                continue
            say(f"removing {name} from the draft")
            self.client.delete_file(dep_id, str(remote.get("id", "")))
            self.journal.file_removed(key, name)
        bucket = (deposition.get("links") or {}).get("bucket")
        missing = [w for n, w in wanted.items() if n not in present]
        if missing and not isinstance(bucket, str):
            raise ZenodoUnavailable(f"Zenodo gave deposition {dep_id} no bucket to upload into")
        for f, md5, size in missing:
            say(f"uploading {f.name} ({size} bytes)")
            self.client.upload(str(bucket), f.name, f.path, md5=md5)
            self.journal.file_uploaded(key, f.name, md5, size)

    def _finish(self, key: str, deposition: dict[str, Any], say: Step) -> Published:
        dep_id = int(deposition["id"])
        files = deposition.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
            files = self.client.list_files(dep_id)  # each an object, or ZenodoUnavailable
        published = _published(deposition, files)
        self.journal.published(key, published.to_dict())
        self._checkpoint("journaled")
        say(f"published: DOI {published.doi} (all versions: {published.concept_doi})")
        return published

    def _get_quietly(self, dep_id: int) -> dict[str, Any] | None:
        try:
            return self.client.get(dep_id)
        except ZenodoError:
            return None


def publisher_for(settings: Settings, sandbox: bool, **client_options: Any) -> Publisher:
    """The Publisher for Zenodo or its sandbox as the settings name them, journaling under the registry
    home. Made without a token too (a dry run needs none); a real publish then says which token to set."""
    url, token = settings.zenodo.target(sandbox)
    return Publisher(ZenodoClient(url, token, **client_options), Journal.in_home(settings.home))


def _obj(value: Any) -> dict[str, Any]:
    """A part of Zenodo's answer that should be an object; anything else (a proxy's, a broken Zenodo's)
    counts as empty: the deposition is published by then, and what it lacks is said below, not an
    AttributeError before the journal notes the publication."""
    return value if isinstance(value, dict) else {}


def _published(deposition: dict[str, Any], files: list[dict[str, Any]]) -> Published:
    links = _obj(deposition.get("links"))
    metadata = _obj(deposition.get("metadata"))
    doi = deposition.get("doi") or _obj(metadata.get("prereserve_doi")).get("doi")
    concept = deposition.get("conceptdoi")
    if not doi or not concept:
        raise ZenodoUnavailable(f"Zenodo's answer for deposition {deposition.get('id')} has no DOI")
    urls: dict[str, str] = {}
    for f in files:
        flinks = _obj(f.get("links"))
        url = flinks.get("download") or flinks.get("self")
        if f.get("filename") and url:
            urls[str(f["filename"])] = str(url)
    return Published(
        deposition_id=int(deposition["id"]),
        doi=str(doi),
        concept_doi=str(concept),
        record_url=str(links.get("record_html") or links.get("html") or ""),
        files=urls,
        version=str(metadata.get("version", "")),
    )


def _read(files: Sequence[PackageFile]) -> list[tuple[PackageFile, str, int]]:
    out: list[tuple[PackageFile, str, int]] = []
    names: set[str] = set()
    for f in files:
        if f.name in names:
            raise InputError(f"the package names {f.name!r} twice", hint="give each file its own name")
        names.add(f.name)
        try:
            out.append((f, md5_of(f.path), f.path.stat().st_size))
        except OSError as exc:
            raise UnreadableInput(f"cannot read {f.name} ({f.path}): {exc.strerror}") from None
    return out


def _check_metadata(metadata: dict[str, Any]) -> None:
    if not isinstance(metadata, dict):
        raise InputError("Zenodo metadata must be a JSON object")
    try:
        json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"Zenodo metadata is not plain JSON: {exc}") from None


def _marker(key: str) -> str:
    # set as the draft's `notes` at creation; the full-metadata PUT replaces it before publishing
    return f"fairgrid publish {hashlib.sha256(key.encode()).hexdigest()[:32]}"


def _empty(key: str) -> Entry:
    return Entry(key, CREATED, None, None, None, None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
