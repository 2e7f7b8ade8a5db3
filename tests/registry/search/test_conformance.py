"""Conformance suite of the search index port, run against every adapter.

The OpenSearch half needs the node from `deploy/opensearch/ctl.sh start` (or FAIRGRID_OPENSEARCH_URL); it
skips when that is down, and fails instead when FAIRGRID_REQUIRE_OPENSEARCH=1 (set by
deploy/test-services.sh once the node is up). The Elasticsearch half likewise needs `deploy/elasticsearch/ctl.sh
start` (or FAIRGRID_ELASTICSEARCH_URL) and fails instead of skipping when FAIRGRID_REQUIRE_ELASTICSEARCH=1.
Expected answers are computed by brute force from the input.
"""

from __future__ import annotations

import base64
import json
import os
import random
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.errors import InputError, LimitExceeded, Unavailable
from registry.model import Record
from registry.search import (
    Facet,
    IriPage,
    SearchDocument,
    SearchFilter,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchSort,
    open_index,
)
from registry.search.common import title_key
from registry.search.embedded import TantivyIndex
from registry.search.opensearch import OpenSearchIndex
from registry.services.indexing import to_document
from registry.vocab import (
    ACCESS_NON_PUBLIC,
    ACCESS_PUBLIC,
    ACCESS_RESTRICTED,
    DATA_THEME,
    DCT,
    ICD10,
    METADATA_VISIBILITY,
    VISIBILITY_CONSORTIUM,
    VISIBILITY_PUBLIC,
    Kind,
)

OPENSEARCH_URL = os.environ.get("FAIRGRID_OPENSEARCH_URL", "http://127.0.0.1:9250")
ELASTICSEARCH_URL = os.environ.get("FAIRGRID_ELASTICSEARCH_URL", "http://127.0.0.1:9260")
RUN_ID = uuid.uuid4().hex[:8]
NODES = {"opensearch": ("OpenSearch", OPENSEARCH_URL), "elasticsearch": ("Elasticsearch", ELASTICSEARCH_URL)}


def opensearch_or_skip(engine: str = "opensearch") -> str:
    """The node's URL; skips the test when it is down, unless FAIRGRID_REQUIRE_<ENGINE>=1."""
    name, url = NODES[engine]
    try:
        with urllib.request.urlopen(url + "/", timeout=3) as resp:
            json.loads(resp.read())
    except (OSError, ValueError) as e:
        reason = f"{name} not reachable at {url} ({e}); start it: deploy/{engine}/ctl.sh start"
        flag = f"FAIRGRID_REQUIRE_{engine.upper()}"
        if os.environ.get(flag) == "1":
            pytest.fail(reason + f" [{flag}=1]")
        pytest.skip(reason)
    return url


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("opensearch", marks=pytest.mark.opensearch),
        pytest.param("elasticsearch", marks=pytest.mark.elasticsearch),
    ]
)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    if request.param == "embedded":
        ix = TantivyIndex(tmp_path / "index")
        yield ix
        ix.close()
        return
    # A unique alias per test and run keeps parallel runs and reruns from seeing each other's records.
    alias = f"fairgrid-test-{RUN_ID}-{uuid.uuid4().hex[:8]}"
    os_ix = OpenSearchIndex(opensearch_or_skip(request.param), alias=alias, refresh=True)
    yield os_ix
    os_ix.drop()
    os_ix.close()


# --- a corpus with every field used -------------------------------------------------------------

EX = "https://example.org/"
THEMES = [DATA_THEME + t for t in ("HEAL", "SOCI", "TECH")]
ORGS = [f"{EX}org/{i}" for i in range(4)]
SITES = [f"{EX}site/{i}" for i in range(3)]
LICENSES = [
    "https://creativecommons.org/licenses/by/4.0/",
    "https://creativecommons.org/publicdomain/zero/1.0/",
]
CATEGORIES = ["EHR", "REGISTRY", "BIOBANK"]
CODINGS = ["ICD-10", "SNOMED-CT", "ORPHA"]
DISEASES = [ICD10 + c for c in ("C91", "C91.0", "C91.1", "C92", "C92.0", "D57")]
WORDS = ["cohort", "registry", "marrow", "transfusion", "genomics", "outcomes", "paediatric", "imaging"]


def corpus(n: int = 60) -> list[SearchDocument]:
    rnd = random.Random(7)
    kinds = [Kind.DATASET, Kind.DATASET, Kind.CATALOG, Kind.DATA_SERVICE, Kind.MODEL]
    docs = []
    for i in range(n):
        pub = rnd.choice(ORGS + [None])
        docs.append(
            SearchDocument(
                iri=f"{EX}rec/{i:03d}",
                kind=str(rnd.choice(kinds)),
                title=f"{rnd.choice(WORDS).title()} {rnd.choice(WORDS)} study {i}",
                description=" ".join(rnd.choice(WORDS) for _ in range(8)),
                keywords=rnd.sample(WORDS, rnd.randint(0, 3)),
                themes=rnd.sample(THEMES, rnd.randint(0, 2)),
                publisher=pub,
                publisher_label=f"Org {pub[-1]}" if pub else None,
                sites=rnd.sample(SITES, rnd.randint(0, 2)),
                access_rights=rnd.choice([ACCESS_PUBLIC, ACCESS_RESTRICTED, ACCESS_NON_PUBLIC, None]),
                license=rnd.choice(LICENSES + [None]),
                health_categories=rnd.sample(CATEGORIES, rnd.randint(0, 2)),
                coding_systems=rnd.sample(CODINGS, rnd.randint(0, 2)),
                diseases=rnd.sample(DISEASES, rnd.randint(0, 2)),
                unique_individuals=rnd.choice([None, rnd.randint(0, 5000)]),
                issued=rnd.choice(
                    [None, date(2015 + rnd.randint(0, 9), rnd.randint(1, 12), rnd.randint(1, 28))]
                ),
                modified=rnd.choice(
                    [None, date(2020 + rnd.randint(0, 5), rnd.randint(1, 12), rnd.randint(1, 28))]
                ),
                labels={t: f"Theme {t[-4:]}" for t in THEMES} | {d: f"Disease {d[-5:]}" for d in DISEASES},
                deprecated=i % 17 == 5,
                public=i % 5 != 0,
                # not drawn from rnd (that would change every other field); ties and gaps included
                quality=None if i % 7 == 3 else (i * 13) % 50 * 5 + (0.5 if i % 4 == 1 else 0.0),
            )
        )
    # some dates are a year or a month (xsd:gYear, xsd:gYearMonth); not drawn from rnd, as above
    for i, d in enumerate(docs):
        if d.issued is not None and i % 6 == 2:
            docs[i] = replace(d, issued=date(d.issued.year, 1, 1), issued_end=date(d.issued.year, 12, 31))
        elif d.modified is not None and i % 6 == 4:
            first, last = (
                date(d.modified.year, d.modified.month, 1),
                date(d.modified.year, d.modified.month, 28),
            )
            docs[i] = replace(d, modified=first, modified_end=last)
    return docs


def matches(d: SearchDocument, f: SearchFilter) -> bool:
    """Brute-force reading of SearchFilter, the reference the adapters are compared with."""

    def any_of(values: list[str], have: list[str]) -> bool:
        return not values or bool(set(values) & set(have))

    def in_range(v: date | None, end: date | None, lo: date | None, hi: date | None) -> bool:
        """The day, or the month or year from v to end, overlaps [lo, hi]."""
        if lo is None and hi is None:
            return True
        return v is not None and (lo is None or (end or v) >= lo) and (hi is None or v <= hi)

    return (
        any_of(f.kinds, [d.kind])
        and any_of(f.themes, d.themes)
        and any_of(f.keywords, d.keywords)
        and any_of(f.publishers, [*([d.publisher] if d.publisher else []), *d.sites])
        and any_of(f.access_rights, [d.access_rights] if d.access_rights else [])
        and any_of(f.licenses, [d.license] if d.license else [])
        and any_of(f.health_categories, d.health_categories)
        and any_of(f.coding_systems, d.coding_systems)
        and any_of(f.diseases, d.diseases)
        and (
            f.min_unique_individuals is None
            or (d.unique_individuals is not None and d.unique_individuals >= f.min_unique_individuals)
        )
        and (f.min_quality is None or (d.quality is not None and d.quality >= f.min_quality))
        and in_range(d.issued, d.issued_end, f.issued_from, f.issued_to)
        and in_range(d.modified, d.modified_end, f.modified_from, f.modified_to)
        and (f.include_deprecated or not d.deprecated)
        and (not f.public_only or d.public)
    )


def all_pages(ix: SearchIndex, q: SearchQuery) -> list[str]:
    iris: list[str] = []
    res = ix.search(q)
    while True:
        iris += [h.iri for h in res.hits]
        if not res.has_next:
            return iris
        assert res.end_cursor
        res = ix.search(replace(q, after=res.end_cursor))


def iris(res: SearchResult) -> list[str]:
    return [h.iri for h in res.hits]


DOCS = corpus()


# --- writes -------------------------------------------------------------------------------------


def test_search_before_anything_is_indexed(index: SearchIndex) -> None:
    """A new index (for OpenSearch: no index behind the alias yet) answers empty, not with an error."""
    res = index.search(SearchQuery(text="marrow", facets=[Facet.THEME, Facet.KIND]))
    assert (res.hits, res.total, res.has_next) == ([], 0, False)
    assert res.facets == {"theme": [], "kind": []}
    assert index.count() == 0


def test_upsert_then_found_by_text_and_counted(index: SearchIndex) -> None:
    index.upsert(DOCS)
    assert index.count() == len(DOCS)
    doc = replace(DOCS[1], iri=EX + "unique", title="Hemoglobinopathy atlas", deprecated=False)
    index.upsert([doc])
    res = index.search(SearchQuery(text="hemoglobinopathy"))
    assert iris(res) == [EX + "unique"] and res.total == 1
    assert res.hits[0].title == "Hemoglobinopathy atlas" and res.hits[0].kind == doc.kind


def test_update_replaces_the_old_version(index: SearchIndex) -> None:
    doc = SearchDocument(iri=EX + "a", kind="Dataset", title="Sickle cell outcomes")
    index.upsert([doc])
    index.upsert([replace(doc, title="Thalassaemia outcomes")])
    assert index.count() == 1
    assert index.search(SearchQuery(text="sickle")).total == 0
    assert iris(index.search(SearchQuery(text="thalassaemia"))) == [EX + "a"]


def test_delete_removes_and_ignores_unknown(index: SearchIndex) -> None:
    index.upsert(DOCS[:10])
    index.delete([DOCS[0].iri, DOCS[1].iri, EX + "never-indexed"])
    assert index.count() == 8
    found = all_pages(index, SearchQuery(first=100, filters=SearchFilter(include_deprecated=True)))
    assert DOCS[0].iri not in found and len(found) == 8


def test_rebuild_swaps_content_and_clear_empties(index: SearchIndex) -> None:
    index.upsert(DOCS[:10])
    fresh = [SearchDocument(iri=f"{EX}new/{i}", kind="Dataset", title=f"Fresh {i}") for i in range(5)]
    assert index.rebuild(iter(fresh)) == 5
    assert index.count() == 5
    assert sorted(all_pages(index, SearchQuery(first=2))) == sorted(d.iri for d in fresh)
    index.clear()
    assert index.count() == 0 and index.search(SearchQuery()).total == 0
    assert index.ping()


# --- ranking, text, snippets --------------------------------------------------------------------


def test_title_match_ranks_above_description_match(index: SearchIndex) -> None:
    desc_only = SearchDocument(
        iri=EX + "d", kind="Dataset", title="Blood counts", description="Outcomes of thalassaemia treatment"
    )
    title_only = SearchDocument(
        iri=EX + "t", kind="Dataset", title="Thalassaemia registry", description="Long-term outcomes"
    )
    index.upsert([desc_only, title_only, *DOCS[:5]])
    res = index.search(SearchQuery(text="Thalassaemia"))
    assert iris(res) == [EX + "t", EX + "d"]
    assert res.hits[0].score > res.hits[1].score
    assert "<em>" in res.hits[1].snippet and "thalassaemia" in res.hits[1].snippet.lower()


def test_text_is_stemmed_and_every_term_must_match(index: SearchIndex) -> None:
    index.upsert(
        [
            SearchDocument(iri=EX + "1", kind="Dataset", title="Transfusions in children"),
            SearchDocument(iri=EX + "2", kind="Dataset", title="Transfusion", description="adult cohort"),
        ]
    )
    assert sorted(iris(index.search(SearchQuery(text="transfusion")))) == [EX + "1", EX + "2"]
    assert iris(index.search(SearchQuery(text="transfusions children"))) == [EX + "1"]


@pytest.mark.parametrize("typed", ["waldenstrom", "Waldenström", "WALDENSTRÖM macroglobulinaemia"])
def test_text_matches_without_case_or_accents(index: SearchIndex, typed: str) -> None:
    # ICD-10 and Orphanet write the ö, MeSH and most people do not: either way finds both
    index.upsert(
        [
            SearchDocument(iri=EX + "1", kind="Dataset", title="Waldenström macroglobulinaemia cohort"),
            SearchDocument(
                iri=EX + "2", kind="Dataset", title="Myeloma", description="Waldenstrom macroglobulinaemia"
            ),
            SearchDocument(iri=EX + "3", kind="Dataset", title="Sézary syndrome"),
        ]
    )
    res = index.search(SearchQuery(text=typed))
    assert sorted(iris(res)) == [EX + "1", EX + "2"] and res.total == 2
    assert iris(index.search(SearchQuery(text="sezary"))) == [EX + "3"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hematology", ["us", "uk"]),  # the spelling as typed first: it scores, the other only matches
        ("haematology", ["uk", "us"]),
        ("Haematology registry", ["uk"]),
        ("sickle cell anemia", ["scd"]),
        ("sickle-cell anaemia", ["scd"]),
        ("paediatric tumour", ["ped"]),
        ("pseudonymized data", ["pseudo"]),
        ("cancer center catalog", ["centre"]),
        ("four", []),  # its other form is a stop word ("for"): not a match for everything
    ],
)
def test_text_matches_in_either_spelling(index: SearchIndex, typed: str, expected: list[str]) -> None:
    # WHO's ICD-10 and British English write "haematology", "anaemia"; HPO, Orphanet and US English "e"
    index.upsert(
        [
            SearchDocument(iri=EX + "uk", kind="Dataset", title="Haematology registry"),
            SearchDocument(iri=EX + "us", kind="Dataset", title="Hematology", description="trial data"),
            SearchDocument(iri=EX + "scd", kind="Dataset", title="Sickle cell anemia cohort"),
            SearchDocument(iri=EX + "ped", kind="Dataset", title="Pediatric", keywords=["tumor"]),
            SearchDocument(iri=EX + "pseudo", kind="Dataset", title="Pseudonymised data"),
            SearchDocument(iri=EX + "centre", kind="Dataset", title="Cancer Centre", description="catalogue"),
        ]
    )
    res = index.search(SearchQuery(text=typed, facets=[Facet.KIND]))
    assert iris(res) == [EX + e for e in expected] and res.total == len(expected)
    assert sum(b.count for b in res.facets["kind"]) == len(expected)  # counts and facets see the same


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("myeloma", ["mm", "smm", "mgus"]),
        ("myeloma -smouldering", ["mm", "mgus"]),  # before: the records with both words
        ("myeloma -smoldering", ["mm", "mgus"]),  # the excluded word in its other spelling too
        ("myeloma -smouldering -MGUS", ["mm"]),
        ("-myeloma", ["scd"]),  # nothing but an exclusion: everything else
        ("sickle OR smouldering", ["smm", "scd"]),  # before: only records with both (none)
        ("registry sickle OR MGUS", ["scd", "mgus"]),
        ("sickle OR MGUS OR smouldering", ["smm", "mgus", "scd"]),
        ("sickle OR the", ["scd"]),  # a stop word is no alternative
        ("sickle or myeloma", []),  # "or" in lower case is the word, a stop word: sickle and myeloma
        ("OR sickle", ["scd"]),  # an OR that joins nothing is a word
        ("sickle OR", ["scd"]),
        ("myeloma - registry", ["mm", "mgus"]),  # a dash alone is punctuation
        ("myeloma -the", ["mm", "smm", "mgus"]),  # excluding a stop word excludes nothing
        ('"multiple myeloma"', ["mm", "smm"]),  # quotes are not syntax: both words, anywhere
    ],
)
def test_or_joins_words_and_a_dash_excludes_one(index: SearchIndex, typed: str, expected: list[str]) -> None:
    index.upsert(
        [
            SearchDocument(iri=EX + "mm", kind="Dataset", title="Multiple myeloma registry"),
            SearchDocument(iri=EX + "smm", kind="Dataset", title="Smouldering multiple myeloma"),
            SearchDocument(iri=EX + "mgus", kind="Dataset", title="MGUS registry", keywords=["myeloma"]),
            SearchDocument(iri=EX + "scd", kind="Dataset", title="Sickle cell registry"),
        ]
    )
    res = index.search(SearchQuery(text=typed, facets=[Facet.KIND]))
    assert sorted(iris(res)) == sorted(EX + e for e in expected) and res.total == len(expected), typed
    assert sum(b.count for b in res.facets["kind"]) == len(expected)  # counts and facets see the same
    if res.hits and "-" not in typed:
        assert all(h.score > 0 for h in res.hits)  # every record found by a word is scored by it


# --- filters and facets -------------------------------------------------------------------------

FILTERS: dict[str, SearchFilter] = {
    "kinds": SearchFilter(kinds=["Catalog", "DataService"]),
    "themes": SearchFilter(themes=[THEMES[0]]),
    "keywords": SearchFilter(keywords=["marrow", "imaging"]),
    "publishers": SearchFilter(publishers=[ORGS[1], SITES[2]]),
    "access_rights": SearchFilter(access_rights=[ACCESS_PUBLIC]),
    "licenses": SearchFilter(licenses=[LICENSES[1]]),
    "health_categories": SearchFilter(health_categories=["BIOBANK"]),
    "coding_systems": SearchFilter(coding_systems=["ORPHA", "ICD-10"]),
    # C91 expanded by the caller to its descendants.
    "diseases": SearchFilter(diseases=[ICD10 + "C91", ICD10 + "C91.0", ICD10 + "C91.1"]),
    "min_individuals": SearchFilter(min_unique_individuals=2500),
    "min_quality": SearchFilter(min_quality=120.5),
    "min_quality_zero": SearchFilter(min_quality=0),  # unscored records never match
    "issued_range": SearchFilter(issued_from=date(2018, 1, 1), issued_to=date(2021, 6, 30)),
    "issued_from": SearchFilter(issued_from=date(2022, 1, 1)),
    "modified_to": SearchFilter(modified_to=date(2022, 12, 31)),
    "modified_range": SearchFilter(modified_from=date(2021, 1, 1), modified_to=date(2024, 1, 1)),
    # bounds inside a year or a month: records dated "2019", "2022-09" and "2024-07" overlap them
    "issued_mid_year": SearchFilter(issued_from=date(2019, 7, 1), issued_to=date(2021, 3, 1)),
    "modified_mid_month": SearchFilter(modified_from=date(2022, 9, 15), modified_to=date(2024, 7, 10)),
    "include_deprecated": SearchFilter(include_deprecated=True),
    "public_only": SearchFilter(public_only=True),
    "combined": SearchFilter(kinds=["Dataset"], themes=THEMES[:2], min_unique_individuals=100),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_filter_matches_brute_force(index: SearchIndex, name: str) -> None:
    index.upsert(DOCS)
    f = FILTERS[name]
    expected = sorted(d.iri for d in DOCS if matches(d, f))
    assert expected, "the corpus should exercise the filter"
    res = index.search(SearchQuery(filters=f, first=100))
    assert res.total == len(expected)
    assert iris(res) == expected  # no text: relevance order is IRI order


def test_deprecated_hidden_by_default(index: SearchIndex) -> None:
    dep = SearchDocument(iri=EX + "old", kind="Dataset", title="Obsolete marrow survey", deprecated=True)
    index.upsert([dep])
    assert index.search(SearchQuery(text="marrow")).total == 0
    assert iris(index.search(SearchQuery(text="marrow", filters=SearchFilter(include_deprecated=True)))) == [
        EX + "old"
    ]


@pytest.mark.parametrize("text", [None, "cohort"])
def test_facet_counts_exact_on_filtered_set(index: SearchIndex, text: str | None) -> None:
    index.upsert(DOCS)
    f = SearchFilter(kinds=["Dataset", "Catalog"], public_only=True)
    res = index.search(SearchQuery(text=text, filters=f, facets=list(Facet), first=3))
    selected = [d for d in DOCS if matches(d, f) and (text is None or _has_word(d, text))]
    assert res.total == len(selected)
    for facet in Facet:
        counts = Counter(v for d in selected for v in d.facet_values(facet))
        expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        assert [(b.value, b.count) for b in res.facets[str(facet)]] == expected, facet
    themes = {b.value: b.label for b in res.facets["theme"]}
    assert all(label == f"Theme {v[-4:]}" for v, label in themes.items())
    pubs = {b.value: b.label for b in res.facets["publisher"]}
    assert all(label == f"Org {v[-1]}" for v, label in pubs.items())


def test_snippets_left_out_when_not_asked(index: SearchIndex) -> None:
    index.upsert(DOCS)
    ask = SearchQuery(text="registry", facets=[Facet.THEME], first=5)
    full, bare = index.search(ask), index.search(replace(ask, snippets=False))
    assert [(h.iri, h.title, h.score) for h in bare.hits] == [(h.iri, h.title, h.score) for h in full.hits]
    assert any(h.snippet for h in full.hits) and all(h.snippet == "" for h in bare.hits)
    assert bare.total == full.total and bare.facets == full.facets


def test_facet_label_follows_a_changed_record(index: SearchIndex) -> None:
    theme = THEMES[0]
    doc = SearchDocument(
        iri=EX + "l", kind="Dataset", title="Labelled", themes=[theme], labels={theme: "Old"}
    )
    index.upsert([doc])
    assert [b.label for b in index.search(SearchQuery(facets=[Facet.THEME])).facets["theme"]] == ["Old"]
    index.upsert([replace(doc, labels={theme: "New"})])
    assert [b.label for b in index.search(SearchQuery(facets=[Facet.THEME])).facets["theme"]] == ["New"]


def _has_word(d: SearchDocument, word: str) -> bool:
    text = " ".join([d.title, d.description, *d.keywords, d.text]).lower()
    return word in text.split()


# --- paging and sorting -------------------------------------------------------------------------

SORT_KEYS: dict[SearchSort, Callable[[SearchDocument], tuple[object, ...]]] = {
    SearchSort.RELEVANCE: lambda d: (d.iri,),
    SearchSort.TITLE: lambda d: (title_key(d.title), d.iri),
    SearchSort.MODIFIED_DESC: lambda d: (d.modified is None, -(d.modified or date.min).toordinal(), d.iri),
    SearchSort.ISSUED_DESC: lambda d: (d.issued is None, -(d.issued or date.min).toordinal(), d.iri),
    SearchSort.QUALITY_DESC: lambda d: (d.quality is None, -(d.quality or 0.0), d.iri),
}


@pytest.mark.parametrize("sort", list(SearchSort))
def test_paging_covers_everything_in_sort_order(index: SearchIndex, sort: SearchSort) -> None:
    index.upsert(DOCS)
    f = SearchFilter(include_deprecated=True)
    got = all_pages(index, SearchQuery(filters=f, first=7, sort=sort))
    assert got == [d.iri for d in sorted(DOCS, key=SORT_KEYS[sort])]


def test_titles_sort_without_case_or_accents(index: SearchIndex) -> None:
    titles = ["Zeta registry", "Étude nationale", "alpha cohort", "Eta biobank", "Ørsted data"]
    index.upsert([SearchDocument(iri=f"{EX}{i}", kind="Dataset", title=t) for i, t in enumerate(titles)])
    res = index.search(SearchQuery(sort=SearchSort.TITLE))
    assert [h.title for h in res.hits] == [
        "alpha cohort", "Eta biobank", "Étude nationale", "Ørsted data", "Zeta registry"
    ]  # fmt: skip


def test_ranked_paging_breaks_ties_by_iri(index: SearchIndex) -> None:
    twins = [
        SearchDocument(iri=f"{EX}twin/{i:02d}", kind="Dataset", title="Marrow donors") for i in range(25)
    ]
    # Matches in title *and* description: scores above the twins although its IRI sorts last.
    best = SearchDocument(
        iri=EX + "zz-best", kind="Dataset", title="Marrow donors", description="marrow donors"
    )
    index.upsert([*reversed(twins), best, *DOCS[:5]])
    assert index.search(SearchQuery(text="marrow donors", first=4)).total == 26
    got = all_pages(index, SearchQuery(text="marrow donors", first=4))
    assert got == [best.iri] + [d.iri for d in twins]


def test_limits_and_bad_cursor(index: SearchIndex) -> None:
    index.upsert(DOCS[:3])
    with pytest.raises(LimitExceeded):
        index.search(SearchQuery(first=101))
    assert len(index.search(SearchQuery(first=100)).hits) == 3
    with pytest.raises(InputError):
        index.search(SearchQuery(after="not-a-cursor!"))
    # 100,000 words of text cost tantivy 1.5 s of CPU for any anonymous caller
    sentence = " ".join(["marrow donors"] * 72)[:1000]
    assert index.search(SearchQuery(text=sentence)).total >= 0
    with pytest.raises(LimitExceeded, match="1,001 characters"):
        index.search(SearchQuery(text=sentence + "s"))
    empty = index.search(SearchQuery(first=0, facets=[Facet.KIND]))
    assert empty.hits == [] and empty.total == 3 and sum(b.count for b in empty.facets["kind"]) == 3


# What a forged cursor may hold in place of any of its values. An offset of 2**32 had tantivy allocate
# a 206 GB heap: the failed allocation aborted the whole process (any anonymous `after`).
FORGED_VALUES = [2**32, 2**64, 10**40, -1, 1.5, 1e300, "12", "\ud800", None, True, [1], {"a": 1}, []]


@pytest.mark.parametrize("sort", [SearchSort.RELEVANCE, SearchSort.TITLE])
def test_a_forged_cursor_is_refused_or_pages_past_the_end(index: SearchIndex, sort: SearchSort) -> None:
    index.upsert(DOCS[:20])
    q = SearchQuery(text="marrow" if sort is SearchSort.RELEVANCE else None, sort=sort, first=2)
    issued = index.search(q).end_cursor
    assert issued
    state = json.loads(base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4)))
    for key in state:
        for value in FORGED_VALUES:
            raw = json.dumps({**state, key: value}).encode("utf-8", "surrogatepass")
            forged = base64.urlsafe_b64encode(raw).decode().rstrip("=")
            try:
                res = index.search(replace(q, after=forged))
            except InputError as exc:
                assert "cursor" in exc.message, (key, value)
                continue
            # accepted: a value the engine might have issued; a page past the end is empty
            assert res.total == index.search(q).total and len(res.hits) <= 2, (key, value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_quality_bound_that_is_not_a_number_is_refused(index: SearchIndex, value: float) -> None:
    # GraphQL reads the Float literal 1e999 as infinity: the embedded index then matched nothing at all
    index.upsert(DOCS[:3])
    with pytest.raises(InputError, match="minQuality"):
        index.search(SearchQuery(filters=SearchFilter(min_quality=value)))


def test_dates_outside_the_embedded_index_range_are_indexed_in_order(index: SearchIndex) -> None:
    # Tantivy holds 1677-09-21 to 2262-04-11: a record modified 2300-01-01 failed every outbox drain, and
    # a filter from that date was an internal error
    old, mid, new = (
        replace(DOCS[i], issued=day, modified=day, issued_end=None, modified_end=None)
        for i, day in enumerate((date(1600, 1, 1), date(2020, 6, 1), date(2300, 1, 1)))
    )
    index.upsert([old, mid, new])

    def found(**bounds: date) -> set[str]:
        return {h.iri for h in index.search(SearchQuery(filters=SearchFilter(**bounds), first=10)).hits}

    assert found(issued_from=date(2300, 1, 1)) == {new.iri}
    assert found(modified_to=date(1600, 1, 1)) == {old.iri}
    assert found(issued_from=date(2000, 1, 1), issued_to=date(2100, 1, 1)) == {mid.iri}
    assert found(modified_from=date(1500, 1, 1), modified_to=date(2500, 1, 1)) == {old.iri, mid.iri, new.iri}
    for sort in (SearchSort.ISSUED_DESC, SearchSort.MODIFIED_DESC):
        assert [h.iri for h in index.search(SearchQuery(sort=sort)).hits] == [new.iri, mid.iri, old.iri]


def test_a_document_the_engine_cannot_hold_is_left_out_and_the_others_written(index: SearchIndex) -> None:
    # One such document failed the whole batch, and the outbox drain retried it forever: no record
    # written after it reached the index. Its older version must not stay searchable either.
    good, bad, later = DOCS[0], DOCS[1], DOCS[2]
    assert index.upsert([bad]) == {}
    refused = index.upsert([good, replace(bad, unique_individuals=2**70), later])
    assert list(refused) == [bad.iri] and refused[bad.iri]
    assert {h.iri for h in index.search(SearchQuery(first=10)).hits} == {good.iri, later.iri}
    assert index.upsert([bad]) == {} and index.count() == 3


def test_a_write_block_on_the_engine_is_an_outage_not_a_refusal(index: SearchIndex) -> None:
    # a 403 on every item (an operator's or the disk watermark's write block) must leave the outbox
    # entries waiting: taken for refused documents, they would be acknowledged and lost to search
    if not isinstance(index, OpenSearchIndex):
        pytest.skip("an OpenSearch/Elasticsearch index setting")
    index.upsert(DOCS[:1])
    block = {"index.blocks.write": True}
    index.engine.call("PUT", f"/{index.alias}/_settings", block)
    try:
        with pytest.raises(Unavailable):
            index.upsert(DOCS[1:3])
    finally:
        index.engine.call("PUT", f"/{index.alias}/_settings", {"index.blocks.write": None})
    assert index.upsert(DOCS[1:3]) == {} and index.count() == 3


LONG_VALUES: dict[str, Callable[[SearchDocument], SearchDocument]] = {
    "keyword": lambda d: replace(d, keywords=["marrow " * 6000]),
    "title": lambda d: replace(d, title="Marrow " * 8000),
    "theme": lambda d: replace(d, themes=["http://example.org/theme/" + "t" * 40000]),
    "publisher": lambda d: replace(d, publisher="http://example.org/org/" + "p" * 40000),
    "iri of 600 bytes": lambda d: replace(d, iri="https://example.org/rec/" + "x" * 600),
    "iri of 20,000 bytes": lambda d: replace(d, iri="https://example.org/rec/" + "x" * 20000),
}


@pytest.mark.parametrize("case", list(LONG_VALUES))
def test_very_long_values_and_iris_are_indexed_by_every_engine(index: SearchIndex, case: str) -> None:
    # OpenSearch and Elasticsearch refuse a keyword term over 32,766 UTF-8 bytes (the document) and an id
    # over 512 bytes (the whole request, which the outbox drain then retried forever); tantivy took both
    d = LONG_VALUES[case](DOCS[0])
    assert index.upsert([d, DOCS[1]]) == {}
    facets = [Facet.KEYWORD, Facet.THEME, Facet.PUBLISHER]
    res = index.search(SearchQuery(text="marrow" if case in ("keyword", "title") else None, facets=facets))
    assert d.iri in {h.iri for h in res.hits}
    assert all(len(b.value) <= 8000 for buckets in res.facets.values() for b in buckets)
    index.delete([d.iri])
    assert index.count() == 1


LISTINGS = {
    "all": SearchFilter(include_deprecated=True),
    "catalogue_anonymous": SearchFilter(kinds=["Dataset"], include_deprecated=True, public_only=True),
    "default": SearchFilter(),
    "kinds": SearchFilter(kinds=["Catalog", "DataService"]),
}


@pytest.mark.parametrize("name", list(LISTINGS))
def test_list_iris_pages_by_offset_in_code_point_order(index: SearchIndex, name: str) -> None:
    # code point order, not case-folded or locale order: "Z" < "a" < "z" < "é"
    odd = [
        SearchDocument(iri=EX + tail, kind="Dataset", title="odd") for tail in ("été", "Zeta", "zeta", "a")
    ]
    docs = [*DOCS, *odd]
    index.upsert(docs)
    f = LISTINGS[name]
    expected = sorted(d.iri for d in docs if matches(d, f))
    pages = [index.list_iris(f, o, 7) for o in range(0, len(expected) + 7, 7)]
    assert {p.total for p in pages} == {len(expected)}
    assert [i for p in pages for i in p.iris] == expected
    assert index.list_iris(f, 3, 0) == IriPage([], len(expected))


def test_list_iris_limits(index: SearchIndex) -> None:
    assert index.list_iris(SearchFilter(), 0, 10) == IriPage([], 0)  # nothing indexed yet
    index.upsert(DOCS[:3])
    for offset, limit in ((-1, 5), (0, -1), (index.list_window, 1)):
        with pytest.raises(LimitExceeded):
            index.list_iris(SearchFilter(), offset, limit)
    assert index.list_iris(SearchFilter(), index.list_window - 1, 1) == IriPage([], 3)


# --- availability -------------------------------------------------------------------------------


def test_opensearch_unreachable_is_unavailable() -> None:
    ix = open_index("http://127.0.0.1:9", alias="fairgrid-nowhere")
    assert not ix.ping()
    with pytest.raises(Unavailable):
        ix.search(SearchQuery(text="x"))
    with pytest.raises(Unavailable):
        ix.upsert(DOCS[:1])
    ix.close()


def test_restricted_metadata_is_found_anonymously_consortium_only_needs_the_role(index: SearchIndex) -> None:
    """The documents the indexing service makes: dct:accessRights (about the data) does not hide a
    record; fg:metadataVisibility fg:ConsortiumMetadata does, from searches that are public_only."""

    def record(name: str, access: str, visibility: str | None) -> Record:
        s = ox.NamedNode(EX + name)
        triples = [
            ox.Triple(s, ox.NamedNode(DCT + "title"), ox.Literal(f"Marrow cohort {name}", language="en")),
            ox.Triple(s, ox.NamedNode(DCT + "accessRights"), ox.NamedNode(access)),
        ]
        if visibility:
            triples.append(ox.Triple(s, ox.NamedNode(METADATA_VISIBILITY), ox.NamedNode(visibility)))
        return Record(EX + name, Kind.DATASET, tuple(triples))

    recs = [
        record("open", ACCESS_PUBLIC, None),
        record("restricted", ACCESS_RESTRICTED, None),
        record("non-public", ACCESS_NON_PUBLIC, VISIBILITY_PUBLIC),
        record("members", ACCESS_NON_PUBLIC, VISIBILITY_CONSORTIUM),
    ]
    index.upsert([to_document(r) for r in recs])
    facets = [Facet.ACCESS_RIGHTS]
    anonymous = index.search(
        SearchQuery(text="marrow", filters=SearchFilter(public_only=True), facets=facets)
    )
    assert sorted(iris(anonymous)) == [EX + "non-public", EX + "open", EX + "restricted"]
    counts = {b.value: b.count for b in anonymous.facets["access_rights"]}
    assert counts == {ACCESS_PUBLIC: 1, ACCESS_RESTRICTED: 1, ACCESS_NON_PUBLIC: 1}
    member = index.search(SearchQuery(text="marrow", facets=facets))
    assert sorted(iris(member)) == sorted(r.iri for r in recs)
