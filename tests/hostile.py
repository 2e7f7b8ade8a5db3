"""Hypothesis strategies for hostile input: values that try to leave their SPARQL term or break a parser.

Shared by the injection tests of the store, REST, GraphQL and the CLI. Each strategy mixes known attack
strings with text assembled from the characters that matter in SPARQL, Turtle and IRIs, behind prefixes
that make it look like an IRI of ours, so most values are not IRIs and some are.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The attack from issue 8: a curator whose token `sub` is this emptied the whole store.
DROP_ALL = (
    "https://evil.example/x> . } } WHERE { } ; DROP ALL ; INSERT { GRAPH <urn:g> { <urn:s> <urn:p> <urn:o"
)
KNOWN = [
    DROP_ALL,
    "a b",
    "a>b",
    "not an iri",
    "",
    "https://w3id.org/fairgrid/dataset/a>b",
    "https://w3id.org/fairgrid/dataset/x> ?p ?o } UNION { GRAPH ?g { ?s ?p ?o",
    "urn:a> <urn:b> <urn:c",
    'https://x/" ; DROP ALL ; #',
    "https://x/} ; CLEAR ALL ; INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "https://x/\n",
    "https://x/%zz",
    "<urn:a>",
    "http://[::1",
    "https://x:abc/",
    "x" * 3000,
]
_FRAGMENTS = st.sampled_from(
    ["<", ">", "{", "}", '"', "'", " ", "\n", "\t", "\\", ";", ".", "#", "?x", "$x", "|", "^^", "@en",
     "%", "%zz", "%3E", "\x00", "\u202e", "é", "/", "DROP ALL", "} ;", "SERVICE <http://x/>", "*/"]
)  # fmt: skip
_PREFIXES = st.sampled_from(
    [
        "",
        "https://w3id.org/fairgrid/dataset/",
        "https://evil.example/",
        "urn:",
        "http://",
        "urn:fairgrid:meta",
    ]
)
_TAIL = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=4)), max_size=6).map("".join)

# Values given where an IRI is expected (a record, an agent, a site, a scheme). Lone surrogates too:
# what a command line gives for bytes that are not UTF-8 ("\udcff"), and what JSON's "\ud800" reads as.
LONE_SURROGATE = "https://w3id.org/fairgrid/dataset/\udcff"
iris = st.one_of(
    st.sampled_from([*KNOWN, LONE_SURROGATE, "\ud800"]),
    st.builds(lambda p, t: p + t, _PREFIXES, _TAIL),
)
# Literal text: anything at all, which must come back exactly as sent.
texts = st.one_of(st.sampled_from(KNOWN), _TAIL, st.text(max_size=40))
# Language tags, mostly invalid ones.
languages = st.one_of(
    st.sampled_from(["en", "en-GB", "x-", "", "en> } DROP", "e n", "en\n", "a" * 9, '"', "en@fr"]), _TAIL
)
# Token `sub` claims.
subjects = st.one_of(st.sampled_from([*KNOWN, "auth0|123", "https://x:abc", "cli:x y"]), iris, _TAIL)

# A longer campaign: FAIRGRID_FUZZ_EXAMPLES=N runs N examples per test (about N/30 times as many as
# `make test`), new random ones each run, which hypothesis prints when one fails (DEVELOPERS.md).
CAMPAIGN = int(os.environ.get("FAIRGRID_FUZZ_EXAMPLES") or 0)
SCALE = max(1.0, CAMPAIGN / 30)  # for tests that run fewer examples than `bounded`

# Bounded, and no deadline: every example opens real stores and servers, whose speed varies.
bounded = settings(
    max_examples=CAMPAIGN or 30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # in `make test`, the same examples on every run: a failure is reproducible, never a flake
    derandomize=not CAMPAIGN,
    database=None,
)
