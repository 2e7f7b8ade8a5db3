"""/sparql fixes the dataset (the record graphs the caller may read). A query naming its own dataset
(FROM, FROM NAMED) is refused with a hint, as default-graph-uri is: the dataset clause was silently
replaced, so `SELECT * FROM <one record> WHERE { ?s ?p ?o }` answered with every record's triples."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.rest.conftest import PUBLIC_DATASET

RECORD = "https://w3id.org/fairgrid/" + PUBLIC_DATASET
JSON = {"Accept": "*/*"}


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT * FROM <{RECORD}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{RECORD}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"PREFIX x: <https://w3id.org/fairgrid/> ASK from x:{PUBLIC_DATASET.replace('/', '_')} {{ ?s ?p ?o }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{RECORD}> WHERE {{ ?s ?p ?o }}",
    ],
)
def test_a_dataset_clause_is_refused_with_a_hint(client: TestClient, query: str) -> None:
    for r in (
        client.get("/sparql", params={"query": query}, headers=JSON),
        client.post("/sparql", data={"query": query}, headers=JSON),
    ):
        assert r.status_code == 400, r.text
        body = r.json()
        assert "FROM" in body["detail"] and "GRAPH" in body["hint"]


def test_the_word_from_elsewhere_is_fine(client: TestClient) -> None:
    q = 'SELECT ?s WHERE { ?s ?p ?o FILTER(?o != "FROM <x>") } LIMIT 1'
    r = client.get("/sparql", params={"query": q}, headers=JSON)
    assert r.status_code == 200, r.text
    one = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{RECORD}> {{ ?s ?p ?o }} }}"
    r = client.get("/sparql", params={"query": one}, headers=JSON)
    assert r.status_code == 200 and int(r.json()["results"]["bindings"][0]["n"]["value"]) > 0
