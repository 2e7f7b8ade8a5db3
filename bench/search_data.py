"""The search benchmark's records: generated HealthDCAT-AP datasets, loaded in bulk into the registry's
store (as an import stores them), the FDP-style Oxigraph store and the embedded index.

A million records cannot go through the import path in a benchmark's time (validation and one guarded
commit per batch: hours on two cores), and this bench measures search, not import. So the records are
written straight into the stores with pyoxigraph's bulk writer: the registry's store gets exactly the quads
a commit writes (`registry.store.sparql.write_quads`: content, verbatim revision, PROV), less the outbox
entry, which the index build acknowledges (as `fairgrid reindex` does); the index is built by the
adapter's own bulk path (`TantivyIndex.rebuild`, one writer over a stream of documents).

Sizes grow in one run (`--records 100000,1000000`): the generator is seeded and sequential, so the first
100,000 records of the 1,000,000 are the 100,000 of the smaller point; the stores only add the new ones,
and the index is rebuilt from the whole stream at each size.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox

from registry.model import OUTBOX_GRAPH, Record, RevisionInfo, content_hash
from registry.search.port import SearchDocument
from registry.store.port import Write
from registry.store.sparql import write_quads
from registry.vocab import (
    ACCESS_RIGHT,
    DATA_THEME,
    DCAT,
    DCT,
    FG,
    HEALTH,
    ICD10,
    METADATA_VISIBILITY,
    RDF_TYPE,
    VISIBILITY_CONSORTIUM,
    XSD,
    Kind,
)  # fmt: skip

BASE = "https://w3id.org/fairgrid/"
DISEASES = {
    "D46.1": "refractory anaemia with ring sideroblasts", "D46.2": "myelodysplastic syndrome excess blasts",
    "D46.9": "myelodysplastic syndrome", "D57.0": "sickle cell anaemia with crisis",
    "D57.1": "sickle cell disease", "C90.0": "multiple myeloma", "C92.0": "acute myeloid leukaemia",
    "C91.0": "acute lymphoblastic leukaemia", "D61.9": "aplastic anaemia", "D56.1": "beta thalassaemia",
}  # fmt: skip
SITES = ["paris", "milan", "leiden", "berlin", "madrid", "lisbon", "vienna", "prague", "leuven", "uppsala"]
ACCESS = [ACCESS_RIGHT + a for a in ("PUBLIC", "RESTRICTED", "NON_PUBLIC")]
# Health datasets are mostly restricted; about one record in ten keeps its metadata to the consortium.
ACCESS_WEIGHTS = (25, 55, 20)
CONSORTIUM_ONLY = 0.1
THEMES = [DATA_THEME + t for t in ("HEAL", "SOCI", "TECH", "EDUC")]
KINDS = ["registry", "cohort", "biobank", "trial follow-up", "sequencing study", "imaging series", "audit"]
TOPICS = ["transfusion burden", "treatment outcomes", "genomics", "quality of life", "paediatric care",
          "survival", "risk scores", "infections", "iron overload", "stem cell transplantation"]  # fmt: skip
KEYWORDS = ["registry", "cohort", "genomics", "transfusion", "paediatric", "outcomes", "survival", "biobank",
            "MDS", "AML", "myeloma", "sickle cell", "thalassaemia", "IPSS-R", "real-world data"]  # fmt: skip
BATCH = 20_000  # records per bulk write


def generate(n: int, seed: int = 42) -> Iterator[SearchDocument]:
    rnd = random.Random(seed)
    for i in range(n):
        codes = rnd.sample(list(DISEASES), rnd.choice((1, 1, 2, 3)))
        site = rnd.choice(SITES)
        kind, topic = rnd.choice(KINDS), rnd.choice(TOPICS)
        title = f"{DISEASES[codes[0]].capitalize()} {kind}: {topic} — {site.capitalize()} site #{i}"
        desc = (
            f"Synthetic {kind} of patients with {', '.join(DISEASES[c] for c in codes)} at the {site} site, "
            f"covering {topic}, with {rnd.randint(50, 20000)} participants."
        )
        issued = date(2012, 1, 1) + timedelta(days=rnd.randint(0, 4500))
        yield SearchDocument(
            iri=f"{BASE}dataset/bench-{i}", kind="Dataset", title=title, description=desc,
            keywords=sorted(set(rnd.sample(KEYWORDS, 4))), themes=[(theme := rnd.choice(THEMES))],
            publisher=f"{BASE}organization/consortium", publisher_label="Example Hematology Consortium",
            sites=[f"{BASE}site/{site}"], access_rights=(access := rnd.choices(ACCESS, ACCESS_WEIGHTS)[0]),
            diseases=sorted(ICD10 + c for c in codes),
            # the labels to_document gives: the site's and publisher's names, the diseases', theme's, access's
            labels={f"{BASE}site/{site}": f"{site.capitalize()} site", access: access[-10:].lower(),
                    theme: f"Theme {theme[-4:]}", **{ICD10 + c: f"{c} {DISEASES[c]}" for c in codes}},
            unique_individuals=rnd.randint(50, 20000), issued=issued,
            modified=issued + timedelta(days=rnd.randint(0, 900)), public=rnd.random() >= CONSORTIUM_ONLY,
            text=" ".join(f"{c} {DISEASES[c]}" for c in codes),  # the diseases as to_document adds them
        )  # fmt: skip


def triples(d: SearchDocument) -> list[ox.Triple]:
    """The record's content: the dataset as its HealthDCAT-AP description states it."""
    s, n = ox.NamedNode(d.iri), ox.NamedNode
    out: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, n(DCAT + "Dataset")),
        (DCT + "title", ox.Literal(d.title, language="en")),
        (DCT + "description", ox.Literal(d.description, language="en")),
        (DCT + "publisher", n(d.publisher or "")),
        (DCT + "accessRights", n(d.access_rights or "")),
        (DCT + "issued", ox.Literal(str(d.issued), datatype=n(XSD + "date"))),
        (
            HEALTH + "numberOfUniqueIndividuals",
            ox.Literal(str(d.unique_individuals), datatype=n(XSD + "int")),
        ),
        *[(DCAT + "keyword", ox.Literal(k, language="en")) for k in d.keywords],
        *[(DCAT + "theme", n(t)) for t in d.themes],
        *[(FG + "hostedAt", n(x)) for x in d.sites],
        *[(HEALTH + "hasCodeValues", n(c)) for c in d.diseases],
        *([] if d.public else [(METADATA_VISIBILITY, n(VISIBILITY_CONSORTIUM))]),
    ]
    return [ox.Triple(s, n(p), o) for p, o in out]


class Corpus:
    """The records of one run, in the FDP-style store (in memory: FDP's most favourable setting) and in
    the registry's store under `home/store` (opened only while growing: the store server opens it
    between growths)."""

    def __init__(self, home: Path, agent: str) -> None:
        self.home, self.agent = home, agent
        self.fdp = ox.Store()
        self.size = 0
        self.quads = 0  # in the registry's store, records only
        self._now = datetime.now(UTC)

    def documents(self, n: int) -> Iterator[SearchDocument]:
        """The first `n` records as search documents; records past the current size are also written
        to both stores as they stream by (the index build drives one pass for all three)."""
        registry = ox.Store(str(self.home / "store")) if n > self.size else None
        fdp: list[ox.Quad] = []
        reg: list[ox.Quad] = []
        added = 0
        outbox = ox.NamedNode(OUTBOX_GRAPH)
        for i, doc in enumerate(generate(n)):
            if i >= self.size:
                content = triples(doc)
                g = ox.NamedNode(doc.iri)
                fdp += [ox.Quad(t.subject, t.predicate, t.object, g) for t in content]
                rev = RevisionInfo(doc.iri, 1, Kind.DATASET, self._now, self.agent, content_hash(content))
                write = Write(Record(doc.iri, Kind.DATASET, tuple(content), rev), None)
                reg += [
                    q
                    for q in write_quads(write, f"urn:fairgrid:tx:bench-{i // BATCH}")
                    if q.graph_name != outbox
                ]
                added += 1
                if added % BATCH == 0:
                    self._flush(registry, fdp, reg)
                    fdp, reg = [], []
            yield doc
        self._flush(registry, fdp, reg)
        if registry is not None:
            registry.flush()
            del registry  # releases RocksDB's lock for the store server
        self.size = max(self.size, n)

    def _flush(self, registry: ox.Store | None, fdp: list[ox.Quad], reg: list[ox.Quad]) -> None:
        if registry is not None and reg:
            registry.bulk_extend(reg)
            self.quads += len(reg)
        if fdp:
            self.fdp.bulk_extend(fdp)
