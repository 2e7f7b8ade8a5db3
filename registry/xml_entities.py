"""Entity declarations in RDF/XML, checked before the parser expands them.

Oxigraph's RDF/XML parser expands the entities a document declares in its DTD. Ten entities that each
repeat the one before ten times ("billion laughs", 1 KB of input) cost 15.6 s of CPU in one write, and a
harvest source could send them. RDF/XML and OWL files do use entities, as short abbreviations of
namespaces (`&xsd;string`), so these are kept; refused are entities that refer to other entities or are
parameter entities (the nesting that grows exponentially), and documents whose references would expand
to more than four times their own size (plus 16 MiB).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from registry.errors import RdfSyntaxError, RecordTooLarge

_PROLOG_BYTES = 1024 * 1024  # the DTD comes before the root element
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.S)
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s+)?([A-Za-z_:][\w.:-]*)\s+(\"[^\"]*\"|'[^']*'|[^>]*)\s*>", re.S)
_REFERENCE = re.compile(rb"&([A-Za-z_:][\w.:-]*);")
_OVERLAP = 256  # a reference split across two chunks is seen in the next one (names are short)


def check_bytes(data: bytes, source: str) -> None:
    check_chunks([data], len(data), source)


def check_file(path: Path, source: str) -> None:
    check_chunks(_chunks(path), path.stat().st_size, source)


def check_chunks(chunks: Iterable[bytes], size: int, source: str) -> None:
    """Raise RdfSyntaxError for nested or parameter entities, RecordTooLarge for a document whose
    entity references expand to more than 4 * size + 16 MiB; nothing when it declares no entities."""
    expanded, limit = expanded_bytes(chunks, source), 4 * size + 16 * 1024 * 1024
    if expanded > limit:
        raise RecordTooLarge(f"{source}: its entities expand to {expanded:,} bytes, over {limit:,}")


def expanded_bytes(chunks: Iterable[bytes], source: str) -> int:
    """How many bytes the document's entity references expand to (0 without entities)."""
    it = iter(chunks)
    head = next(it, b"")
    dtd = _DOCTYPE.search(head[:_PROLOG_BYTES])
    if dtd is None:
        return 0
    values: dict[bytes, int] = {}
    for parameter, name, value in _ENTITY.findall(dtd.group(1)):
        if parameter or value[:1] not in (b'"', b"'"):
            raise RdfSyntaxError(
                "the DTD declares a parameter or external entity, which is not read", source=source
            )
        if len(name) > _OVERLAP - 8:
            raise RdfSyntaxError(
                "the DTD declares an entity with a name of hundreds of characters", source=source
            )
        if b"&" in value or b"%" in value:
            raise RdfSyntaxError(
                f"entity {name.decode(errors='replace')!r} refers to other entities", source=source
            )
        values[name] = len(value) - 2
    if not values:
        return 0
    counts: Counter[bytes] = Counter()
    tail, start = b"", dtd.end()
    for chunk in _with_head(head, it):
        text = tail + chunk
        # a reference starting before `cut` ends within `text` (names are shorter than the overlap);
        # one starting after it is counted with the next chunk, which begins at `cut`
        cut = max(start, len(text) - _OVERLAP)
        counts.update(m.group(1) for m in _REFERENCE.finditer(text, start) if m.start() < cut)
        tail, start = text[cut:], 0
    counts.update(m.group(1) for m in _REFERENCE.finditer(tail))
    return sum(values.get(name, 0) * n for name, n in counts.items())


def _with_head(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from rest


def _chunks(path: Path, size: int = 16 * 1024 * 1024) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk
