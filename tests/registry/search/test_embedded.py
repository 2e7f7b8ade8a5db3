"""The embedded (tantivy) adapter beyond the port's conformance suite: its folder, generations and
several processes sharing one index."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from registry.errors import Unavailable
from registry.search import Facet, SearchDocument, SearchQuery, SearchSort, open_index
from tests.registry.search.test_conformance import DOCS, EX, THEMES, all_pages


def test_embedded_unwritable_path_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(Unavailable):
        open_index(blocker / "index")


def test_embedded_survives_reopen_and_rebuild(tmp_path: Path) -> None:
    ix = open_index(tmp_path / "ix")
    ix.upsert(DOCS[:10])
    ix.close()
    again = open_index(tmp_path / "ix")
    assert again.count() == 10
    again.rebuild(DOCS[10:13])
    assert open_index(tmp_path / "ix").count() == 3
    assert sorted(p.name for p in (tmp_path / "ix").iterdir() if p.is_dir()).__len__() == 1


def test_a_long_running_index_keeps_state_for_live_generations_only(tmp_path: Path) -> None:
    ix = open_index(tmp_path / "ix")
    for n in range(5):  # a hub that rebuilds its index now and then must not accumulate per-generation state
        ix.rebuild(DOCS[n : n + 3])
    assert len(ix._iri_sorted) == 1  # type: ignore[attr-defined]
    assert ix.count() == 3


def test_embedded_reader_sees_another_writers_changes(tmp_path: Path) -> None:
    """Two instances on one folder stand for two server processes: what one writes (records and
    facet labels) the other's next search shows."""
    theme = THEMES[0]
    doc = SearchDocument(iri=EX + "x", kind="Dataset", title="Shared", themes=[theme], labels={theme: "Old"})
    reader, writer = open_index(tmp_path / "ix"), open_index(tmp_path / "ix")
    writer.upsert([doc])
    assert [b.label for b in reader.search(SearchQuery(facets=[Facet.THEME])).facets["theme"]] == ["Old"]
    writer.upsert([replace(doc, labels={theme: "New"}), replace(doc, iri=EX + "y")])
    res = reader.search(SearchQuery(facets=[Facet.THEME]))
    assert res.total == 2 and [b.label for b in res.facets["theme"]] == ["New"]


def test_an_index_written_with_an_older_schema_opens_empty_to_be_rebuilt(tmp_path: Path) -> None:
    """A fairgrid upgrade that adds a field (the quality score) must not leave the index unopenable:
    tantivy refuses a folder whose schema differs, so a new, empty generation takes over."""
    import tantivy

    folder = tmp_path / "ix" / "gen-0"
    folder.mkdir(parents=True)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("iri", stored=True)
    old = tantivy.Index(sb.build(), path=str(folder))
    writer = old.writer(15_000_000, 1)
    doc = tantivy.Document()
    doc.add_text("iri", EX + "old")
    writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    (tmp_path / "ix" / "CURRENT").write_text("gen-0\n")
    ix = open_index(tmp_path / "ix")
    assert ix.count() == 0
    ix.rebuild(DOCS[:4])
    assert open_index(tmp_path / "ix").count() == 4


def test_embedded_reader_follows_each_generation_swap(tmp_path: Path) -> None:
    """A reader keeps the live generation while CURRENT is unchanged; each rebuild elsewhere (a new
    CURRENT file) is followed by its next search, the second one too."""
    reader, writer = open_index(tmp_path / "ix"), open_index(tmp_path / "ix")
    assert reader.search(SearchQuery()).total == 0
    for n in (3, 5):
        writer.rebuild(DOCS[:n])
        assert reader.search(SearchQuery()).total == n


def test_text_counted_and_sorted_by_field_matches_every_text_field(tmp_path: Path) -> None:
    """Counting and field-sorted pages match terms through one catch-all field: a term found only in
    the keywords, or only in the description, or only in the title, matches all the same."""
    ix = open_index(tmp_path / "ix")
    docs = [
        SearchDocument(
            iri=EX + "k", kind="Dataset", title="Alpha", keywords=["zebrafish"], themes=[THEMES[0]]
        ),
        SearchDocument(iri=EX + "d", kind="Dataset", title="Beta", description="zebrafish models"),
        SearchDocument(iri=EX + "t", kind="Dataset", title="Zebrafish atlas", themes=[THEMES[0]]),
        SearchDocument(iri=EX + "n", kind="Dataset", title="Gamma", description="mice", themes=[THEMES[0]]),
    ]
    ix.upsert(docs)
    for sort in (SearchSort.RELEVANCE, SearchSort.TITLE):
        res = ix.search(SearchQuery(text="zebrafish", sort=sort, facets=[Facet.THEME]))
        assert res.total == 3 and {h.iri for h in res.hits} == {EX + "k", EX + "d", EX + "t"}
        assert [(b.value, b.count) for b in res.facets["theme"]] == [(THEMES[0], 2)]


@pytest.mark.parametrize("created_sorted", [True, False])
def test_ranked_ties_in_iri_order_across_segments(tmp_path: Path, created_sorted: bool) -> None:
    """Tie groups spread over several segments, larger than the first window of hits, come out in
    IRI order: merged from per-segment runs in an index sorted by IRI, sorted whole in an index
    created before the sorting (which keeps its own order when reopened)."""
    import random

    import tantivy

    from registry.search import tantivy_ties
    from registry.search.tantivy_docs import schema

    if not created_sorted:
        (tmp_path / "ix" / "gen-0").mkdir(parents=True)
        tantivy.Index(schema(), path=str(tmp_path / "ix" / "gen-0"))  # an older fairgrid's index
    ix = open_index(tmp_path / "ix")
    assert tantivy_ties.sorted_by_iri(next((tmp_path / "ix").glob("gen-*"))) is created_sorted
    twins = [
        SearchDocument(iri=f"{EX}twin/{i:03d}", kind="Dataset", title="Marrow donors") for i in range(300)
    ]
    best = SearchDocument(iri=EX + "zz", kind="Dataset", title="Marrow donors", description="marrow donors")
    random.Random(3).shuffle(twins)
    for k in range(3):  # one segment per upsert, IRIs interleaved between them
        ix.upsert(twins[k::3] + ([best] if k == 1 else []))
    searcher = ix._current().searcher()  # type: ignore[attr-defined]
    assert searcher.num_segments == 3
    want = [best.iri] + sorted(d.iri for d in twins)
    # pages past the first 256 hits need wider windows
    assert all_pages(ix, SearchQuery(text="marrow", first=25, snippets=False)) == want


def test_bench_queries_answer_alike_sorted_or_not(tmp_path: Path) -> None:
    """The search bench's 200 queries on its generated records (ties between alike titles are
    common there) give the same totals, hits in order, facets and second pages on an index sorted by
    IRI (runs merged) as on one created before the sorting (groups sorted whole)."""
    import tantivy

    from bench.search import queries
    from bench.search_data import generate
    from registry.search import SearchFilter
    from registry.search.tantivy_docs import schema

    (tmp_path / "old" / "gen-0").mkdir(parents=True)
    tantivy.Index(schema(), path=str(tmp_path / "old" / "gen-0"))
    docs = list(generate(4000))
    new, old = open_index(tmp_path / "new"), open_index(tmp_path / "old")
    for ix in (new, old):
        for k in range(4):  # several segments
            ix.upsert(docs[k::4])
    names = {"accessRights": "access_rights"}
    facets = [Facet.THEME, Facet.ACCESS_RIGHTS, Facet.DISEASE, Facet.KEYWORD]

    def answer(ix: object, q: SearchQuery) -> tuple[object, ...]:
        r = ix.search(q)  # type: ignore[attr-defined]
        return r.total, [h.iri for h in r.hits], r.facets, r.end_cursor

    for bq in queries():
        f = SearchFilter(**{names.get(k, k): v for k, v in bq["filter"].items()})
        q = SearchQuery(text=bq["text"], filters=f, facets=facets, first=10, snippets=False)
        first = answer(new, q)
        assert first == answer(old, q)
        second = replace(q, after=str(first[3]), facets=[])
        assert answer(new, second) == answer(old, second)
