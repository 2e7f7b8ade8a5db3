"""DataLoaders: a page of records with nested links costs a bounded number of store calls."""

from __future__ import annotations

from typing import Any

from registry.identity import Role
from tests.api.graphql.conftest import Env

PAGE = """query($first: Int!) {
  search(first: $first, filter: { kinds: [DATASET] }, sort: TITLE) {
    hits { iri record { iri ... on Dataset {
      distributions { title format }
      hostedAt { name }
      codeConcepts { notation }
    } revisions { number } rdf(format: NT) } }
  }
}"""


def page(env: Env, first: int) -> tuple[list[dict[str, Any]], int]:
    env.store.calls.clear()
    body = env.gql(PAGE, {"first": first}, roles=(Role.RESEARCHER,))
    assert "errors" not in body, body
    hits: list[dict[str, Any]] = body["data"]["search"]["hits"]
    return hits, env.store.total()


def test_page_of_datasets_with_distributions_is_batched(env: Env) -> None:
    hits, calls = page(env, 20)
    assert len(hits) == 20
    assert all(h["record"]["distributions"] for h in hits)
    assert sum(len(h["record"]["distributions"]) for h in hits) >= 20
    assert all(h["record"]["revisions"] and h["record"]["rdf"] for h in hits)
    # records: heads + content (2), distributions and sites: 2 more, revisions: 1, terminology check: 1
    assert calls <= 7, env.store.calls
    _, few = page(env, 3)
    assert calls == few  # independent of the page size: no N+1
