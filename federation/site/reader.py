"""Reading FHIR input files: NDJSON (one resource a line), JSON Bundles or single resources, directories.

Yields (where, parsed JSON or a RecordError, raw text) so the store can report every bad record by
file:line and keep the raw text of good NDJSON lines without re-serialising them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from federation.site.elements import RecordError
from registry import json_text
from registry.errors import UnreadableInput

Item = tuple[str, object, str | None]
_SNIFF = 64 * 1024
_TOO_DEEP = "JSON nested too deeply to read (no FHIR resource nests that far)"


@dataclass(frozen=True)
class Inputs:
    """The files a load reads, and those it passed over in the folders it was given (with why)."""

    files: list[Path]
    skipped: list[tuple[Path, str]]

    @property
    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def expand(paths: list[Path]) -> Inputs:
    """Files to read, in a stable order. A file named on its own is always read; a folder contributes its
    FHIR files, sorted by name, and skips the rest (a site folder as `synth` writes it also holds CSV and
    a profile.json)."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for given in paths:
        if given.is_dir():
            for path in sorted(path for path in given.rglob("*") if path.is_file()):
                why = _not_fhir(path)
                if why:
                    skipped.append((path, why))
                else:
                    files.append(path)
        elif given.is_file():
            files.append(given)
        elif given.exists():  # a FIFO or a device: as `fairgrid import` says it
            raise UnreadableInput(f"{given}: not a regular file", hint="check the path")
        else:
            raise UnreadableInput(f"{given}: no such file or directory", hint="check the path")
    return Inputs(files, skipped)


def _not_fhir(path: Path) -> str | None:
    """Why a file found in a folder is not FHIR input, or None when it is."""
    if path.name.endswith((".ndjson", ".jsonl")):
        return None
    if not path.name.endswith(".json"):
        return "not a .ndjson, .jsonl or .json file"
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF)
    except OSError as exc:
        raise UnreadableInput(f"{path}: cannot read ({exc.strerror})") from exc
    # FHIR JSON names its resourceType near the top; other JSON (a synth profile.json) does not.
    return None if b'"resourceType"' in head else f"no resourceType in its first {_SNIFF // 1024} KiB"


def read_items(files: list[Path], progress: Callable[[int], None] | None = None) -> Iterator[Item]:
    for path in files:
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise UnreadableInput(f"{path}: cannot read ({exc.strerror})") from exc
        with fh:
            if path.name.endswith((".ndjson", ".jsonl")):
                yield from _ndjson(path, fh, progress)
            else:
                data = fh.read()
                if progress:
                    progress(len(data))
                yield from _json_document(path, data)


def _ndjson(path: Path, fh: BinaryIO, progress: Callable[[int], None] | None) -> Iterator[Item]:
    for number, line in enumerate(fh, 1):
        if progress:
            progress(len(line))
        # utf-8-sig: a byte order mark before the first line is not part of its JSON
        text = line.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace").strip()
        if not text:
            continue
        try:
            doc = json_text.loads(text)
        except json.JSONDecodeError as exc:
            yield f"{path}:{number}", RecordError(f"malformed JSON: {exc.msg} at column {exc.colno}"), None
        except json_text.NotJson as exc:  # NaN or Infinity, or an integer of thousands of digits
            yield f"{path}:{number}", RecordError(f"malformed JSON: {exc}"), None
        except RecursionError:
            yield f"{path}:{number}", RecordError(_TOO_DEEP), None
        else:
            yield f"{path}:{number}", doc, text


def _json_document(path: Path, data: bytes) -> Iterator[Item]:
    try:
        doc = json_text.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", 1)
        yield f"{path}:{line}", RecordError(f"malformed JSON: {exc}"), None
        return
    except json_text.NotJson as exc:
        yield f"{path}:1", RecordError(f"malformed JSON: {exc}"), None
        return
    except RecursionError:
        yield f"{path}:1", RecordError(_TOO_DEEP), None
        return
    if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        entries = doc.get("entry") or []
        if not isinstance(entries, list):  # a number, a string, an object: not entries one by one
            yield f"{path}#entry", RecordError("Bundle.entry is not a list of entries"), None
            return
        for index, entry in enumerate(entries):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if res is None:
                yield f"{path}#entry[{index}]", RecordError("bundle entry without a resource"), None
            else:
                yield f"{path}#entry[{index}]", res, None
    else:
        yield str(path), doc, None
