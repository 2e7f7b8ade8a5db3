"""Reading a whole harvest source: paged DCAT catalogues (hydra) and FAIR Data Point trees.

From the start document the crawl follows hydra paging links (next, previous, first, last of a
`hydra:PartialCollectionView`) and then the links from an FDP to its catalogues, datasets and
distributions (`fdp-o:metadataCatalog`, `ldp:contains`, `dcat:catalog`, `dcat:dataset`, ...) when the
documents read so far do not describe the target already. Every URL is read once (a page linking back
to an earlier one ends nothing and repeats nothing), only on the source's own origin, and at most
`max_documents` of them. Each page's copy and validators are kept in a cache folder so the next run sends
conditional requests and reuses a page answered 304.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pyoxigraph as ox

from registry.errors import InputError
from registry.fetch import Fetched, Fetcher, file_uri, is_file
from registry.files import write_atomic
from registry.rdf import EXTENSIONS, MEDIA_TYPES, parse
from registry.redact import redact
from registry.vocab import DCAT, RDF_TYPE

HYDRA = "http://www.w3.org/ns/hydra/core#"
LDP = "http://www.w3.org/ns/ldp#"
FDP = "https://w3id.org/fdp/fdp-o#"
R3D = "http://www.re3data.org/schema/3-0#"

PAGE_LINKS = {HYDRA + p for p in ("view", "next", "previous", "first", "last")}
RECORD_LINKS = {
    FDP + "metadataCatalog", LDP + "contains", R3D + "dataCatalog",
    DCAT + "catalog", DCAT + "dataset", DCAT + "distribution", DCAT + "service",
}  # fmt: skip
# Subjects of these types are the source's navigation (pages, containers, the FDP itself), not records.
NAVIGATION_TYPES = {
    HYDRA + "PartialCollectionView", HYDRA + "Collection", LDP + "Container", LDP + "BasicContainer",
    LDP + "DirectContainer", LDP + "IndirectContainer", FDP + "FAIRDataPoint", FDP + "MetadataService",
    R3D + "Repository",
}  # fmt: skip
_TYPE = ox.NamedNode(RDF_TYPE)


@dataclass
class Crawl:
    triples: list[ox.Triple] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    not_modified: int = 0  # documents the source answered 304 for (the cached copy was used)


class PageCache:
    """Each page's last copy with its ETag / Last-Modified, one folder per harvest source."""

    def __init__(self, folder: Path, write: bool = True) -> None:
        self.folder = folder
        self.write = write  # a dry run reads the cache and changes nothing

    def _paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
        return self.folder / f"{key}.json", self.folder / f"{key}.body"

    def validators(self, url: str) -> tuple[str | None, str | None]:
        meta, body = self._paths(url)
        if not meta.exists() or not body.exists():
            return None, None
        data = json.loads(meta.read_text(encoding="utf-8"))
        return data.get("etag"), data.get("last_modified")

    def load(self, url: str) -> Fetched | None:
        meta, body = self._paths(url)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            return Fetched(url, body.read_bytes(), data.get("media_type"), data.get("etag"),
                           data.get("last_modified"))  # fmt: skip
        except (OSError, ValueError):
            return None

    def save(self, url: str, page: Fetched) -> None:
        if not self.write or page.body is None or not (page.etag or page.last_modified):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        meta, body = self._paths(url)
        data = {
            "url": redact(url),  # for people reading the cache; a source URL's credentials stay out of files
            "media_type": page.media_type,
            "etag": page.etag,
            "last_modified": page.last_modified,
        }
        for path, content in ((body, page.body), (meta, json.dumps(data).encode("utf-8"))):
            write_atomic(path, content, durable=False)  # a cache: a crash may lose it, never halve it


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _format(page: Fetched) -> ox.RdfFormat:
    media = (page.media_type or "").split(";")[0].strip().lower()
    if media in MEDIA_TYPES:
        return MEDIA_TYPES[media]
    suffix = Path(urlsplit(page.url).path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise InputError(
        f"{page.url}: cannot tell the RDF format (media type {media or 'none'!r})",
        hint="serve Turtle, JSON-LD, RDF/XML or N-Triples with its media type",
    )


def crawl(
    fetcher: Fetcher,
    start: str,
    cache: PageCache,
    max_documents: int = 10_000,
    progress: Callable[[str, int], None] | None = None,
) -> Crawl:
    """Every document of the source, merged; raises (and keeps nothing) when one cannot be read.
    `progress(url, documents read)` after each document: a large FDP is thousands of requests."""
    start = (
        file_uri(start) if is_file(start) else urldefrag(start)[0]
    )  # a file's IRIs resolve against its URI
    origin = _origin(start)
    follow = not is_file(start)  # a file is a whole export: its links name the source's web pages
    pages: deque[str] = deque([start])
    links: deque[str] = deque()
    seen = {start}
    typed: set[str] = set()
    out = Crawl()
    while pages or links:
        linked = not pages
        url = pages.popleft() if pages else links.popleft()
        if linked and url in typed:
            continue  # already described by a document read earlier
        if len(out.documents) >= max_documents:
            raise InputError(f"{start}: more than {max_documents} documents", hint="harvest a smaller source")
        triples = _read(fetcher, url, cache, out)
        out.documents.append(url)
        out.triples += triples
        if progress is not None:
            progress(url, len(out.documents))
        typed |= {
            t.subject.value for t in triples if t.predicate == _TYPE and isinstance(t.subject, ox.NamedNode)
        }
        if not follow:
            continue
        for t in triples:
            o = t.object
            if not isinstance(o, ox.NamedNode) or t.predicate.value not in PAGE_LINKS | RECORD_LINKS:
                continue
            target = urldefrag(o.value)[0]
            if target in seen or _origin(target) != origin:
                continue
            seen.add(target)
            (pages if t.predicate.value in PAGE_LINKS else links).append(target)
    out.triples = _records_only(out.triples)
    return out


def _read(fetcher: Fetcher, url: str, cache: PageCache, crawl_: Crawl) -> list[ox.Triple]:
    etag, modified = cache.validators(url)
    page = fetcher.fetch(url, etag=etag, last_modified=modified)
    if page.body is None:
        cached = cache.load(url)
        if cached is None:  # the copy went missing: ask again without validators
            page = fetcher.fetch(url)
        else:
            crawl_.not_modified += 1
            page = cached
    if page.body is None:
        raise InputError(f"{url} answered 'not modified' to an unconditional request")
    triples = parse(page.body, _format(page), source=url, base_iri=page.url)  # after any redirect
    cache.save(url, page)
    return _fresh_blank_nodes(triples)


def _fresh_blank_nodes(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Blank node labels are local to a document: `_:b0` on two pages are two nodes."""
    fresh: dict[str, ox.BlankNode] = {}

    def node(n: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(n, ox.BlankNode):
            return fresh.setdefault(n.value, ox.BlankNode())
        return n

    return [ox.Triple(node(t.subject), t.predicate, node(t.object)) for t in triples]  # type: ignore[arg-type]


def _records_only(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Drop the navigation (paging views, containers, the FDP root) and repeats across pages."""
    nav = {t.subject for t in triples if t.predicate == _TYPE and str(t.object)[1:-1] in NAVIGATION_TYPES}
    out = dict.fromkeys(
        t
        for t in triples
        if t.subject not in nav
        and not t.predicate.value.startswith((HYDRA, LDP))
        and t.predicate.value not in (FDP + "metadataCatalog", R3D + "dataCatalog")
    )
    return list(out)
