"""A real local HTTP server for harvest tests, serving a hydra-paged DCAT catalogue or an FDP tree.

Pages answer with an ETag and a Last-Modified and honour If-None-Match / If-Modified-Since (304). The
paged catalogue's last page links back to the first (a loop). `fail` makes one path answer 500 or drop
the connection, so a harvest can be cut mid-way.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from registry.config import TERMINOLOGY_BASES
from registry.io.split import split
from registry.rdf import parse
from registry.vocab import DCAT, DCT, RDF_TYPE, Kind

MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"

EXAMPLE = Path(__file__).resolve().parents[1] / "ontologies" / "examples" / "consortium.ttl"
OURS = "https://w3id.org/fairgrid/"
KEEP = (OURS + "ns#", OURS + "vocab/", OURS + "shapes")  # vocabularies, not records: never rebased
HYDRA = "http://www.w3.org/ns/hydra/core#"
FDP = "https://w3id.org/fdp/fdp-o#"
TITLE = ox.NamedNode(DCT + "title")
DATASET_LINK = ox.NamedNode(DCAT + "dataset")


class Example:
    """The consortium example catalogue (which conforms to the shapes) as another registry publishes
    it: every record IRI moved under `base`, one N-Triples document per record, editable per test."""

    def __init__(self, base: str) -> None:
        def move(n: Any) -> Any:
            if isinstance(n, ox.NamedNode) and n.value.startswith(OURS) and not n.value.startswith(KEEP):
                return ox.NamedNode(base + n.value[len(OURS) :])
            return n

        triples = [ox.Triple(move(t.subject), t.predicate, move(t.object))
                   for t in parse(EXAMPLE.read_bytes(), ox.RdfFormat.TURTLE, base_iri=OURS)]  # fmt: skip
        found = split(triples, base_iri=base, allowed=(base, *TERMINOLOGY_BASES))
        assert not found.errors, found.errors
        self.base = base
        self.records: dict[str, list[ox.Triple]] = {d.iri: d.triples for d in found.drafts}
        self.kinds: dict[str, Kind] = {d.iri: d.kind for d in found.drafts}

    def of(self, kind: Kind) -> list[str]:
        return sorted(i for i, k in self.kinds.items() if k is kind)

    @property
    def catalog(self) -> str:
        (cat,) = self.of(Kind.CATALOG)
        return cat

    def nt(self, *iris: str) -> str:
        return "".join(
            (ox.serialize(self.records[i], format=ox.RdfFormat.N_TRIPLES) or b"").decode() for i in iris
        )

    def untitle(self, iri: str) -> None:
        """The record loses its mandatory dct:title: it no longer conforms."""
        self.records[iri] = [
            t for t in self.records[iri] if not (t.subject == ox.NamedNode(iri) and t.predicate == TITLE)
        ]

    def retitle(self, iri: str, title: str) -> None:
        self.untitle(iri)
        self.records[iri].append(ox.Triple(ox.NamedNode(iri), TITLE, ox.Literal(title, language="en")))

    def drop(self, iri: str) -> None:
        """The source stops describing the dataset and its distributions (the catalogue stops listing it)."""
        for dist in self.distributions([iri]):
            del self.records[dist]
        del self.records[iri]
        self.records[self.catalog] = [t for t in self.records[self.catalog] if t.object != ox.NamedNode(iri)]

    def _rest(self) -> list[str]:
        tree = (Kind.CATALOG, Kind.DATASET, Kind.DISTRIBUTION)
        return sorted(i for i in self.records if self.kinds[i] not in tree)

    def paged(self, pages: int = 3) -> dict[str, str]:
        """/catalog?page=N: the datasets (with their distributions) spread over the pages, the other
        records on page 1; each page links to the next, and the last one back to the first (a loop)."""
        datasets = [i for i in self.of(Kind.DATASET) if i in self.records]
        docs: dict[str, str] = {}
        for n in range(1, pages + 1):
            mine = datasets[n - 1 :: pages]
            iris = [*mine, *(d for d in self.distributions(mine))]
            if n == 1:
                iris += [self.catalog, *self._rest()]
            page, nxt = f"{self.base}catalog?page={n}", f"{self.base}catalog?page={n % pages + 1}"
            view = (f"<{page}> <{RDF_TYPE}> <{HYDRA}PartialCollectionView> .\n"
                    f"<{page}> <{HYDRA}next> <{nxt}> .\n")  # fmt: skip
            docs[f"/catalog?page={n}"] = self.nt(*iris) + view
        return docs

    def fdp(self) -> dict[str, str]:
        """An FDP as FDPs publish it: the root (here also describing the agents, sites and services the
        tree points at), its catalogue, then one document per dataset and per distribution."""
        root = self.base + "fdp"
        docs = {"/fdp": (f"<{root}> <{RDF_TYPE}> <{FDP}FAIRDataPoint> .\n"
                         f"<{root}> <{FDP}metadataCatalog> <{self.catalog}> .\n") + self.nt(*self._rest())}  # fmt: skip
        for iri in [self.catalog, *self.of(Kind.DATASET), *self.of(Kind.DISTRIBUTION)]:
            if iri in self.records:
                docs["/" + iri[len(self.base) :]] = self.nt(iri)
        return docs

    def distributions(self, datasets: list[str]) -> list[str]:
        link = ox.NamedNode(DCAT + "distribution")
        return [str(t.object.value) for d in datasets for t in self.records[d]
                if t.subject == ox.NamedNode(d) and t.predicate == link
                and isinstance(t.object, ox.NamedNode) and t.object.value in self.records]  # fmt: skip


class HarvestServer:
    def __init__(self) -> None:
        self.docs: dict[str, str] = {}
        self.fail: dict[str, str] = {}  # path -> "500" | "drop"
        self.media: dict[str, str] = {}  # path -> media type, when not Turtle
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                server.requests[self.path] += 1
                mode = server.fail.get(self.path)
                if mode == "drop":  # the connection closes without an answer
                    self.close_connection = True
                    self.connection.close()
                    return
                if mode == "500" or self.path not in server.docs:
                    self.send_error(500 if mode else 404)
                    return
                body = server.docs[self.path].encode("utf-8")
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    server.not_modified[self.path] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", server.media.get(self.path, "text/turtle; charset=utf-8"))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", MODIFIED)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def serve(self, docs: dict[str, str]) -> None:
        self.docs = dict(docs)

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")


@contextmanager
def harvest_server() -> Iterator[HarvestServer]:
    srv = HarvestServer()
    thread = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        thread.join()
