"""Counts past GraphQL's 32-bit Int: a national registry's numberOfRecords, the catalogue's sum of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from registry.config import Settings
from registry.identity import Role, local_operator
from registry.validation.bundle import terminology_files
from registry.wiring import open_registry
from tests.api.rest.conftest import Auth, auth_for, client_for
from tests.conftest import DEV_AUTH, EXAMPLE

HUB_A = "https://w3id.org/fairgrid/dataset/mds-registry-hub-a"
MDS = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}
QUERY = f'{{ record(iri: "{HUB_A}") {{ ... on Dataset {{ numberOfRecords numberOfUniqueIndividuals }} }} }}'


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Auth]]:
    """The example catalogue with hub A's counts past 2^31 (valid xsd:nonNegativeInteger values)."""
    folder = tmp_path_factory.mktemp("big")
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count('"48210"') == 1 and text.count('"1240"') == 1
    text = text.replace('"48210"', '"3000000000"').replace('"1240"', '"2200000000"')
    (folder / "consortium.ttl").write_text(text, encoding="utf-8")
    reg = open_registry(Settings(home=folder / "home", auth=DEV_AUTH))
    reg.importer.run(local_operator(), [*terminology_files(), folder / "consortium.ttl"])
    reg.search.sync()
    yield client_for(reg), auth_for(reg)
    reg.close()


def test_counts_past_32_bits_read_exactly(big: tuple[TestClient, Auth]) -> None:
    client, _ = big
    body = client.post("/graphql", json={"query": QUERY}).json()
    assert "errors" not in body, body  # before: null, and "Int cannot represent non 32-bit ..."
    assert body["data"]["record"] == {
        "numberOfRecords": 3_000_000_000,
        "numberOfUniqueIndividuals": 2_200_000_000,
    }


def test_the_catalogue_bound_past_32_bits(big: tuple[TestClient, Auth]) -> None:
    client, auth = big
    rest = client.post(
        "/feasibility", json={"criteria": MDS, "source": "CATALOGUE"}, headers=auth(Role.RESEARCHER)
    )
    assert rest.status_code == 200, rest.text
    total = rest.json()["total"]["count"]
    assert total > 2_200_000_000
    gql = client.post(
        "/graphql",
        json={"query": "query($c: JSON!) { feasibility(criteria: $c, source: CATALOGUE) { total { count } } }",
              "variables": {"c": MDS}},
        headers=auth(Role.RESEARCHER),
    ).json()  # fmt: skip
    assert "errors" not in gql, gql
    assert gql["data"]["feasibility"]["total"]["count"] == total


@pytest.mark.parametrize("how", ["literal", "variable"])
def test_a_filter_past_32_bits(big: tuple[TestClient, Auth], how: str) -> None:
    client, _ = big
    select = "totalCount hits { iri }"
    if how == "literal":
        body = {"query": f"{{ search(filter: {{minUniqueIndividuals: 2200000000}}) {{ {select} }} }}"}
    else:
        body = {
            "query": f"query($n: BigInt) {{ search(filter: {{minUniqueIndividuals: $n}}) {{ {select} }} }}",
            "variables": {"n": 2_200_000_000},
        }
    res = client.post("/graphql", json=body).json()
    assert "errors" not in res, res
    assert [h["iri"] for h in res["data"]["search"]["hits"]] == [HUB_A]


@pytest.mark.parametrize(
    "value",
    ["2.5", "true", '"12"', "9223372036854775808", "-9223372036854775809", "1" + "0" * 5000],
)
def test_what_bigint_refuses(big: tuple[TestClient, Auth], value: str) -> None:
    client, _ = big
    literal = client.post(
        "/graphql",
        json={"query": f"{{ search(filter: {{minUniqueIndividuals: {value}}}) {{ totalCount }} }}"},
    )
    op = '"query($n: BigInt) { search(filter: {minUniqueIndividuals: $n}) { totalCount } }"'
    variable = client.post(
        "/graphql",
        content=f'{{"query": {op}, "variables": {{"n": {value}}}}}',
        headers={"content-type": "application/json"},
    )
    for r in (literal, variable):
        assert r.status_code in (200, 400), r.text
        res = r.json()
        assert res.get("data") is None and res["errors"], res
        assert len(res["errors"][0]["message"]) < 300  # no 5,000-digit echo
