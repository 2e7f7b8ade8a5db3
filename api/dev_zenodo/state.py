"""The local Zenodo's state: depositions and their files in one SQLite file, so a test can restart the server.

A deposition row holds two metadata documents: `draft` (what PUT edits; NULL while a published deposition is
not being edited) and `record` (what was published; NULL until the first publish). Its Zenodo state follows:
unsubmitted (never published), done (published), inprogress (published, being edited). Record ids and
concept record ids come from one counter, as on Zenodo. One lock makes every operation atomic across the
server's threads.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deposition (
    id INTEGER PRIMARY KEY,
    concept INTEGER NOT NULL,
    owner INTEGER NOT NULL,
    bucket TEXT NOT NULL UNIQUE,
    draft TEXT,
    record TEXT,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    published TEXT
);
CREATE INDEX IF NOT EXISTS deposition_concept ON deposition (concept);
CREATE TABLE IF NOT EXISTS file (
    id TEXT PRIMARY KEY,
    deposition INTEGER NOT NULL REFERENCES deposition (id),
    key TEXT NOT NULL,
    md5 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created TEXT NOT NULL,
    UNIQUE (deposition, key)
);
"""
INSERT_FILE = "INSERT INTO file (id, deposition, key, md5, size, data, created) VALUES (?, ?, ?, ?, ?, ?, ?)"
FIRST_ID = 100  # small but not 1, so an id mixed up with a count shows


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class StoredFile:
    id: str
    deposition: int
    key: str
    md5: str
    size: int
    created: str


@dataclass(frozen=True)
class Deposition:
    id: int
    concept: int
    owner: int
    bucket: str
    draft: dict[str, Any] | None
    record: dict[str, Any] | None
    created: str
    modified: str
    published: str | None

    @property
    def state(self) -> str:
        if self.record is None:
            return "unsubmitted"
        return "done" if self.draft is None else "inprogress"

    @property
    def metadata(self) -> dict[str, Any]:
        """What the deposit API shows: the draft while there is one, else the published metadata."""
        return dict(self.draft if self.draft is not None else self.record or {})


def _load(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO counter VALUES ('recid', ?)", (FIRST_ID,))

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _next_id(self, db: sqlite3.Connection) -> int:
        row = db.execute(
            "UPDATE counter SET value = value + 1 WHERE name = 'recid' RETURNING value"
        ).fetchone()
        return int(row[0])

    # -- depositions --------------------------------------------------------------------------------------

    def create(self, owner: int, metadata: dict[str, Any], concept: int | None = None) -> Deposition:
        with self.transaction() as db:
            if concept is None:
                concept = self._next_id(db)
            rec_id = self._next_id(db)
            stamp = now()
            db.execute(
                "INSERT INTO deposition (id, concept, owner, bucket, draft, created, modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (rec_id, concept, owner, str(uuid.uuid4()), json.dumps(metadata), stamp, stamp),
            )
        found = self.get(rec_id)
        assert found is not None
        return found

    def get(self, dep_id: int) -> Deposition | None:
        with self.lock:
            row = self._db.execute("SELECT * FROM deposition WHERE id = ?", (dep_id,)).fetchone()
        return None if row is None else self._row(row)

    def by_bucket(self, bucket: str) -> Deposition | None:
        with self.lock:
            row = self._db.execute("SELECT * FROM deposition WHERE bucket = ?", (bucket,)).fetchone()
        return None if row is None else self._row(row)

    def owned_by(self, owner: int) -> list[Deposition]:
        with self.lock:
            rows = self._db.execute(
                "SELECT * FROM deposition WHERE owner = ? ORDER BY id DESC", (owner,)
            ).fetchall()
        return [self._row(r) for r in rows]

    def concept_versions(self, concept: int) -> list[Deposition]:
        with self.lock:
            rows = self._db.execute(
                "SELECT * FROM deposition WHERE concept = ? ORDER BY id", (concept,)
            ).fetchall()
        return [self._row(r) for r in rows]

    def set_draft(self, dep_id: int, draft: dict[str, Any] | None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE deposition SET draft = ?, modified = ? WHERE id = ?",
                (None if draft is None else json.dumps(draft), now(), dep_id),
            )

    def set_published(self, dep_id: int, record: dict[str, Any]) -> None:
        with self.transaction() as db:
            stamp = now()
            db.execute(
                "UPDATE deposition SET record = ?, draft = NULL, modified = ?,"
                " published = COALESCE(published, ?) WHERE id = ?",
                (json.dumps(record), stamp, stamp, dep_id),
            )

    def delete(self, dep_id: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM file WHERE deposition = ?", (dep_id,))
            db.execute("DELETE FROM deposition WHERE id = ?", (dep_id,))

    def copy_files(self, source: int, target: int) -> None:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT key, md5, size, data FROM file WHERE deposition = ?", (source,)
            ).fetchall()
            db.executemany(
                INSERT_FILE,
                [(str(uuid.uuid4()), target, *row, now()) for row in rows],
            )

    # -- files --------------------------------------------------------------------------------------------

    def put_file(self, dep_id: int, key: str, data: bytes) -> StoredFile:
        """Create or replace the file `key` (a PUT on a key that exists replaces it, as Zenodo does)."""
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        with self.transaction() as db:
            db.execute("DELETE FROM file WHERE deposition = ? AND key = ?", (dep_id, key))
            db.execute(INSERT_FILE, (str(uuid.uuid4()), dep_id, key, md5, len(data), data, now()))
            db.execute("UPDATE deposition SET modified = ? WHERE id = ?", (now(), dep_id))
        found = self.file(dep_id, key)
        assert found is not None
        return found

    def files(self, dep_id: int) -> list[StoredFile]:
        with self.lock:
            rows = self._db.execute(
                "SELECT id, deposition, key, md5, size, created FROM file WHERE deposition = ? ORDER BY key",
                (dep_id,),
            ).fetchall()
        return [StoredFile(*r) for r in rows]

    def file(self, dep_id: int, key: str) -> StoredFile | None:
        return next((f for f in self.files(dep_id) if f.key == key), None)

    def file_by_id(self, dep_id: int, file_id: str) -> StoredFile | None:
        return next((f for f in self.files(dep_id) if f.id == file_id), None)

    def content(self, dep_id: int, key: str) -> bytes | None:
        with self.lock:
            row = self._db.execute(
                "SELECT data FROM file WHERE deposition = ? AND key = ?", (dep_id, key)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def delete_file(self, dep_id: int, key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM file WHERE deposition = ? AND key = ?", (dep_id, key))

    # -- inspection ---------------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        with self.lock:
            rows = self._db.execute("SELECT * FROM deposition ORDER BY id").fetchall()
            file_count = self._db.execute("SELECT count(*) FROM file").fetchone()[0]
        deps = [self._row(r) for r in rows]
        concepts: dict[str, list[int]] = {}
        for d in deps:
            if d.record is not None:
                concepts.setdefault(str(d.concept), []).append(d.id)
        return {
            "depositions": len(deps),
            "published": sum(1 for d in deps if d.record is not None),
            "unsubmitted": sum(1 for d in deps if d.state == "unsubmitted"),
            "inprogress": sum(1 for d in deps if d.state == "inprogress"),
            "files": int(file_count),
            "concepts": concepts,
        }

    @staticmethod
    def _row(row: tuple[Any, ...]) -> Deposition:
        dep_id, concept, owner, bucket, draft, record, created, modified, published = row
        return Deposition(
            dep_id, concept, owner, bucket, _load(draft), _load(record), created, modified, published
        )
