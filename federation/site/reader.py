"""Reading FHIR input files: NDJSON (one resource a line), JSON Bundles or single resources, directories.

Yields (where, parsed JSON or a RecordError, raw text) so the store can report every bad record by
file:line and keep the raw text of good NDJSON lines without re-serialising them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from federation.site.flatten import RecordError
from registry.errors import InputError

Item = tuple[str, object, str | None]
SUFFIXES = (".ndjson", ".jsonl", ".json")


def expand(paths: list[Path]) -> list[Path]:
    """Files to read, in a stable order: directories contribute their FHIR files, sorted by name."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SUFFIXES)))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"{p}: no such file or directory", hint="check the path", details={"exit": 2})
    return out


def read_items(files: list[Path], progress: Callable[[int], None] | None = None) -> Iterator[Item]:
    for f in files:
        try:
            fh = f.open("rb")
        except OSError as e:
            raise InputError(f"{f}: cannot read ({e.strerror})", details={"exit": 2}) from e
        with fh:
            if f.name.endswith((".ndjson", ".jsonl")):
                yield from _ndjson(f, fh, progress)
            else:
                data = fh.read()
                if progress:
                    progress(len(data))
                yield from _json_document(f, data)


def _ndjson(f: Path, fh: BinaryIO, progress: Callable[[int], None] | None) -> Iterator[Item]:
    for n, line in enumerate(fh, 1):
        if progress:
            progress(len(line))
        text = line.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        try:
            yield f"{f}:{n}", json.loads(text), text
        except json.JSONDecodeError as e:
            yield f"{f}:{n}", RecordError(f"malformed JSON: {e.msg} at column {e.colno}"), None


def _json_document(f: Path, data: bytes) -> Iterator[Item]:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        line = getattr(e, "lineno", 1)
        yield f"{f}:{line}", RecordError(f"malformed JSON: {e}"), None
        return
    if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        for i, entry in enumerate(doc.get("entry") or []):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if res is None:
                yield f"{f}#entry[{i}]", RecordError("bundle entry without a resource"), None
            else:
                yield f"{f}#entry[{i}]", res, None
    else:
        yield str(f), doc, None
