"""JSON-LD is read by a JSON-LD 1.1 processor: type-scoped contexts keep every property."""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.errors import InputError, RdfSyntaxError
from registry.model import content_hash
from registry.rdf import parse

EXAMPLES = Path(__file__).parent / "validation" / "examples"
SEMIC = sorted(EXAMPLES.glob("*/*.ttl"))
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def turtle(path: Path) -> list[ox.Triple] | None:
    try:
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    except SyntaxError:
        return None  # some official examples do not parse (tests/registry/validation/examples/README.md)


def _value(o: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
    if isinstance(o, ox.NamedNode):
        return {"@id": o.value}
    if isinstance(o, ox.BlankNode):
        return {"@id": f"_:{o.value}"}
    if o.language:
        return {"@value": o.value, "@language": o.language}
    return {"@value": o.value, "@type": o.datatype.value}


def with_type_scoped_contexts(triples: list[ox.Triple]) -> dict[str, Any]:
    """The same graph as JSON-LD in which each class brings its properties' terms in a type-scoped
    context; a node with several types gets its properties from each of their contexts in turn."""
    nodes: dict[str, dict[str, Any]] = defaultdict(dict)
    types: dict[str, list[str]] = defaultdict(list)
    for t in triples:
        if t.predicate == TYPE and isinstance(t.object, ox.NamedNode):
            types[_value(t.subject)["@id"]].append(t.object.value)  # type: ignore[arg-type]
    terms: dict[str, str] = {}  # IRI -> term
    scoped: dict[str, dict[str, str]] = defaultdict(dict)  # class IRI -> its terms

    def term(iri: str) -> str:
        if iri not in terms:
            local = iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or "t"
            terms[iri] = f"{local}{len(terms)}"
        return terms[iri]

    seen: dict[str, int] = defaultdict(int)
    for t in triples:
        s = _value(t.subject)["@id"]  # type: ignore[arg-type]
        node = nodes[s]
        node["@id"] = s
        if t.predicate == TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(term(t.object.value))
            continue
        # in the order JSON-LD applies their contexts (by term); the first property goes to the first
        mine = sorted(types.get(s, []), key=term)
        key = t.predicate.value
        if mine:  # spread the node's properties over its types' contexts
            cls = mine[seen[s] % len(mine)]
            seen[s] += 1
            key = f"{term(t.predicate.value)}_{term(cls)}"  # defined in that one context only
            scoped[cls][key] = t.predicate.value
        node.setdefault(key, []).append(_value(t.object))  # type: ignore[arg-type]
    context: dict[str, Any] = {}
    for cls in {c for cs in types.values() for c in cs}:
        context[term(cls)] = {"@id": cls, "@context": scoped.get(cls, {})}
    # @id and @type first, as JSON-LD is usually written (and as a streaming parser needs them)
    graph = [
        {k: n[k] for k in sorted(n, key=lambda k: (k not in ("@id", "@type"), k))} for n in nodes.values()
    ]
    return {"@context": context, "@graph": graph}


def test_a_node_with_several_types_keeps_every_scoped_property() -> None:
    doc = {
        "@context": {
            "Dataset": {"@id": "http://www.w3.org/ns/dcat#Dataset",
                        "@context": {"title": "http://purl.org/dc/terms/title"}},
            "Resource": {"@id": "http://www.w3.org/ns/dcat#Resource",
                         "@context": {"publisher": {"@id": "http://purl.org/dc/terms/publisher", "@type": "@id"}}},
        },
        "@id": "https://w3id.org/fairgrid/dataset/x", "@type": ["Dataset", "Resource"], "title": "X",
        "publisher": "https://w3id.org/fairgrid/organization/o",
    }  # fmt: skip
    got = parse(json.dumps(doc), ox.RdfFormat.JSON_LD)
    assert {t.predicate.value.rsplit("/", 1)[-1] for t in got} == {
        "22-rdf-syntax-ns#type",
        "title",
        "publisher",
    }


@pytest.mark.parametrize("path", SEMIC, ids=[p.name for p in SEMIC])
def test_semic_examples_as_json_ld_read_as_their_turtle(path: Path) -> None:
    triples = turtle(path)
    if triples is None:
        pytest.skip("the official example does not parse as Turtle")
    doc = json.dumps(with_type_scoped_contexts(triples))
    got = parse(doc, ox.RdfFormat.JSON_LD, source=path.name)
    assert len(got) == len(triples)
    assert content_hash(got) == content_hash(triples)


def test_remote_contexts_are_refused_and_never_fetched() -> None:
    for ctx in ("http://169.254.169.254/ctx.jsonld", {"@import": "http://169.254.169.254/c.jsonld"}):
        doc = json.dumps({"@context": ctx, "@id": "https://w3id.org/fairgrid/x"})
        with pytest.raises(RdfSyntaxError) as err:
            parse(doc, ox.RdfFormat.JSON_LD, source="up.jsonld")
        assert "remote @context" in err.value.message and "inline" in err.value.hint


def test_bad_json_ld_is_a_syntax_error_naming_the_problem() -> None:
    with pytest.raises(RdfSyntaxError) as err:
        parse('{"@id": "https://w3id.org/fairgrid/x",\n "x": }', ox.RdfFormat.JSON_LD, source="a.jsonld")
    assert err.value.message.startswith("a.jsonld:2: ")  # the line of the JSON error
    bad = '{"@id": "https://w3id.org/fairgrid/x", "http://x.org/p": {"@value": 1, "@language": "en"}}'
    with pytest.raises(RdfSyntaxError) as err:
        parse(bad, ox.RdfFormat.JSON_LD)
    assert "language-tagged" in err.value.message
    with pytest.raises(RdfSyntaxError):
        parse("[" * 100_000, ox.RdfFormat.JSON_LD)


def test_large_json_ld_files_are_read_by_the_same_processor(tmp_path: Path) -> None:
    from registry.io.stream import stream_split

    doc = {
        "@context": {
            "Dataset": {"@id": "http://www.w3.org/ns/dcat#Dataset",
                        "@context": {"title": "http://purl.org/dc/terms/title"}},
            "Resource": {"@id": "http://www.w3.org/ns/dcat#Resource",
                         "@context": {"keyword": "http://www.w3.org/ns/dcat#keyword"}},
        },
        "@id": "https://w3id.org/fairgrid/dataset/x", "@type": ["Dataset", "Resource"], "title": "X",
        "keyword": "k",
    }  # fmt: skip
    f = tmp_path / "big.jsonld"
    f.write_text(json.dumps(doc))
    base = "https://w3id.org/fairgrid/"
    (part,) = stream_split(f, ox.RdfFormat.JSON_LD, base_iri=base, allowed=(base,))
    (draft,) = part.drafts
    assert {t.predicate.value.rsplit("/", 1)[-1] for t in draft.triples} == {
        "22-rdf-syntax-ns#type", "title", "dcat#keyword"
    }  # fmt: skip


KEYS = st.sampled_from(
    ["@context", "@id", "@type", "@value", "@language", "@list", "@set", "@graph", "@reverse", "@index",
     "@vocab", "@base", "@version", "@protected", "@propagate", "@import", "@container", "@nest",
     "@included", "@direction", "@json", "@none", "http://x.org/p", "p", "_:b", "x:y"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8),
    st.sampled_from(["@id", "@vocab", "@json", "http://x.org/", "_:b", "1.1", "en", "@list"]),
)  # fmt: skip
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_any_json_is_triples_or_a_syntax_error(doc: object) -> None:
    try:
        text = json.dumps(doc)
    except ValueError:
        return
    with contextlib.suppress(InputError):  # refused with a message: never another exception (a 500)
        parse(text, ox.RdfFormat.JSON_LD, base_iri="https://w3id.org/fairgrid/")
