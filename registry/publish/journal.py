"""The publish journal: what fairgrid has done on Zenodo for each publication key, so that a retry after a
crash resumes the same deposition instead of creating another.

One SQLite file, `<registry home>/publish/journal.sqlite`. Each step is its own committed transaction, and
the order is the point: a row exists before the first HTTP write, the deposition id is committed right
after Zenodo returns it and BEFORE any file is uploaded, each file is recorded once Zenodo confirmed its
md5, and the final `Published` is recorded after Zenodo says it is published. A crash between any two
steps leaves a row that says how far it got; the publisher checks Zenodo for the rest.

Two processes publishing the same key are kept apart by an flock on a per-key lock file (dropped by the
operating system when its holder dies, so a killed publisher never blocks the retry).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from registry.errors import Conflict, Unavailable
from registry.locks import exclusive

# The states a key goes through, in order.
STARTED = "started"  # row written, no deposition yet (or a new version requested, draft id not yet known)
CREATED = "created"  # deposition id known and committed
FILES_UPLOADED = "files-uploaded"
METADATA_SET = "metadata-set"
PUBLISHED = "published"
STATES = (STARTED, CREATED, FILES_UPLOADED, METADATA_SET, PUBLISHED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS publication (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    deposition_id INTEGER,
    concept_id TEXT,
    previous_id INTEGER,
    published TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploaded_file (
    key TEXT NOT NULL REFERENCES publication(key),
    name TEXT NOT NULL,
    md5 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (key, name)
);
"""


class PublishInProgress(Conflict):
    code = "publish_in_progress"
    hint = "another process is publishing this record right now; wait for it, then publish again"


@dataclass(frozen=True)
class UploadedFile:
    name: str
    md5: str
    size: int


@dataclass(frozen=True)
class Entry:
    key: str
    state: str
    deposition_id: int | None
    concept_id: str | None
    previous_id: int | None
    published: dict[str, Any] | None
    files: dict[str, UploadedFile] = field(default_factory=dict)


class Journal:
    def __init__(self, path: Path, *, lock_timeout_s: float = 30.0) -> None:
        self.path = path
        self.lock_timeout_s = lock_timeout_s
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db:
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise Unavailable(
                f"cannot open the publish journal {path}: {exc}",
                hint="FAIRGRID_HOME must be a folder this process can write",
            ) from None

    @classmethod
    def in_home(cls, home: Path) -> Journal:
        return cls(home / "publish" / "journal.sqlite")

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold `key` for one publish: a second process waits up to `lock_timeout_s`, then is refused."""
        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        folder = self.path.parent / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with exclusive(folder / f"{name}.lock", self.lock_timeout_s, what="the publish lock"):
                yield
        except Unavailable as exc:
            if "still held" not in exc.message:
                raise
            raise PublishInProgress(f"{key} is being published by another process") from None

    # --- reads ---------------------------------------------------------------------------------

    def get(self, key: str) -> Entry | None:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT key, state, deposition_id, concept_id, previous_id, published FROM publication "
                "WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            files = {
                name: UploadedFile(name, md5, size)
                for name, md5, size in db.execute(
                    "SELECT name, md5, size FROM uploaded_file WHERE key = ? ORDER BY name", (key,)
                )
            }
        return Entry(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]) if row[5] else None, files)

    def published_under(self, prefix: str) -> dict[str, dict[str, Any]]:
        """key -> the `Published` dict of every finished publication whose key starts with `prefix`."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT key, published FROM publication WHERE published IS NOT NULL "
                "AND substr(key, 1, length(?)) = ?",
                (prefix, prefix),
            ).fetchall()
        return {str(k): json.loads(v) for k, v in rows}

    # --- writes, each one committed before it returns ---------------------------------------------

    def start(self, key: str, *, previous_id: int | None = None) -> Entry:
        with self._write() as db:
            db.execute(
                "INSERT INTO publication (key, state, previous_id, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (key, STARTED, previous_id, _now()),
            )
        entry = self.get(key)
        assert entry is not None
        return entry

    def created(self, key: str, deposition_id: int, concept_id: str | None) -> None:
        """The deposition (or new-version draft) Zenodo made for `key`: committed before any upload."""
        with self._write() as db:
            db.execute(
                "UPDATE publication SET state = ?, deposition_id = ?, concept_id = ?, updated_at = ? "
                "WHERE key = ?",
                (CREATED, deposition_id, concept_id, _now(), key),
            )
            db.execute("DELETE FROM uploaded_file WHERE key = ?", (key,))

    def file_uploaded(self, key: str, name: str, md5: str, size: int) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO uploaded_file (key, name, md5, size) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key, name) DO UPDATE SET md5 = excluded.md5, size = excluded.size",
                (key, name, md5, size),
            )

    def file_removed(self, key: str, name: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM uploaded_file WHERE key = ? AND name = ?", (key, name))

    def advance(self, key: str, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown journal state {state!r}")
        with self._write() as db:
            db.execute("UPDATE publication SET state = ?, updated_at = ? WHERE key = ?", (state, _now(), key))

    def published(self, key: str, published: dict[str, Any]) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE publication SET state = ?, published = ?, updated_at = ? WHERE key = ?",
                (PUBLISHED, json.dumps(published, sort_keys=True), _now(), key),
            )

    # --- plumbing ------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # autocommit mode; writes open their own IMMEDIATE transaction (one writer at a time)
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a committed step survives a power cut, not only a kill
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise Unavailable(f"the publish journal {self.path} cannot be written: {exc}") from None
        finally:
            db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
