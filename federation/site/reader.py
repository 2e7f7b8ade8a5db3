"""Reading FHIR input files: NDJSON (one resource a line), JSON Bundles or single resources, directories.

Yields (where, parsed JSON or a RecordError, raw text) so the store can report every bad record by
file:line and keep the raw text of good NDJSON lines without re-serialising them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

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


def _name(path: Path) -> str:
    """The file's name without a .gz (Bulk Data exports and transfers compress NDJSON with gzip)."""
    return path.name[:-3] if path.name.endswith(".gz") else path.name


def _open(path: Path) -> BinaryIO:
    # gzip.open owns the file it opens (a GzipFile given a fileobj leaves it open when closed)
    return cast(BinaryIO, gzip.open(path, "rb")) if path.name.endswith(".gz") else path.open("rb")


def _not_fhir(path: Path) -> str | None:
    """Why a file found in a folder is not FHIR input, or None when it is."""
    if _name(path).endswith((".ndjson", ".jsonl")):
        return None
    if not _name(path).endswith(".json"):
        return "not a .ndjson, .jsonl or .json file, nor one gzipped (.gz)"
    try:
        with _open(path) as fh:
            head = fh.read(_SNIFF)
    except (OSError, EOFError) as exc:  # gzip says BadGzipFile (an OSError) or EOFError when cut short
        raise UnreadableInput(f"{path}: cannot read ({_why(exc)})") from exc
    # FHIR JSON names its resourceType near the top; other JSON (a synth profile.json) does not.
    return None if b'"resourceType"' in head else f"no resourceType in its first {_SNIFF // 1024} KiB"


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__


def read_items(files: list[Path], progress: Callable[[int], None] | None = None) -> Iterator[Item]:
    for path in files:
        try:
            fh = _open(path)
        except OSError as exc:
            raise UnreadableInput(f"{path}: cannot read ({exc.strerror})") from exc
        try:
            with fh:
                if _name(path).endswith((".ndjson", ".jsonl")):
                    yield from _ndjson(path, fh, progress)
                else:
                    data = fh.read(MAX_DOCUMENT_BYTES + 1)
                    if len(data) > MAX_DOCUMENT_BYTES:
                        yield (
                            str(path),
                            RecordError(f"more than {MAX_DOCUMENT_BYTES:,} bytes in one JSON document"),
                            None,
                        )
                        continue
                    if progress:
                        progress(path.stat().st_size)
                    yield from _json_document(path, data)
        except (OSError, EOFError) as exc:  # a gzip file that is corrupt or cut short
            raise UnreadableInput(f"{path}: cannot read ({_why(exc)}); nothing was stored") from exc


# A line, or a JSON document, past these is no CDM resource (a few KB) but a file inflating in memory: a
# gzip file of a few MB can hold gigabytes.
MAX_LINE_BYTES = 4_000_000
MAX_DOCUMENT_BYTES = 512_000_000


def _lines(fh: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """(line, whole): a line longer than MAX_LINE_BYTES comes once, cut, with whole False."""
    while line := fh.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line, True
            continue
        while (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
            pass
        yield line, False


def _ndjson(path: Path, fh: BinaryIO, progress: Callable[[int], None] | None) -> Iterator[Item]:
    raw = getattr(fh, "fileobj", None)  # a gzip file's: progress counts the file's own, compressed bytes
    done = 0
    for number, (line, whole) in enumerate(_lines(fh), 1):
        if progress and raw is None:
            progress(len(line))
        elif progress and raw is not None:
            now = raw.tell()
            progress(now - done)
            done = now
        if not whole:
            yield f"{path}:{number}", RecordError(f"a line of more than {MAX_LINE_BYTES:,} bytes"), None
            continue
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
