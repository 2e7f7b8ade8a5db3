"""GET|POST /sparql: result formats, ASK, CONSTRUCT, refusals (updates, bad tokens), caps and timeouts.
(Deadlines that stop the work and the concurrency shares: tests/registry/services/test_sparql.py.)"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from registry.identity import Role
from registry.services.sparql import SparqlService
from registry.wiring import Registry
from tests.api.rest.conftest import Auth, auth_for, client_for, loaded_registry
from tests.conftest import CURATOR, OxigraphServer
from tests.fuseki import fresh_dataset


def _registry(kind: str, tmp: pytest.TempPathFactory) -> Iterator[Registry]:
    """The example registry on the embedded store, or on a store server, Oxigraph or Fuseki (queries
    forwarded). The module's registry and the writing tests' use separate Fuseki datasets: each
    holds its dataset's lock while in use."""
    if kind == "embedded":
        reg = loaded_registry(tmp.mktemp("sparql") / "home")
        yield reg
        reg.close()
        return
    if kind.startswith("fuseki-"):
        with fresh_dataset(kind.removeprefix("fuseki-")) as url:
            reg = loaded_registry(tmp.mktemp("sparql") / "home", store_url=url)
            yield reg
            reg.close()
        return
    server = OxigraphServer(tmp.mktemp("sparql-store"), timeout_s=5.0)  # its own limit, as deployed
    server.start()
    try:
        reg = loaded_registry(tmp.mktemp("sparql") / "home", store_url=server.url + "/query")
        yield reg
        reg.close()
    finally:
        server.stop()


FUSEKI = pytest.mark.fuseki


@pytest.fixture(scope="module", params=["embedded", "store-server", pytest.param("fuseki-mem", marks=FUSEKI)])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    yield from _registry(request.param, tmp_path_factory)


@pytest.fixture(params=["embedded", "store-server", pytest.param("fuseki-tdb2", marks=FUSEKI)])
def fresh(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    yield from _registry(request.param, tmp_path_factory)


DATASETS = "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } ORDER BY ?d"


def test_select_json_and_csv(client: TestClient, auth: Auth) -> None:
    r = client.get("/sparql", params={"query": DATASETS}, headers=auth(Role.RESEARCHER))
    assert r.status_code == 200 and r.headers["content-type"] == "application/sparql-results+json"
    body = r.json()
    assert body["head"]["vars"] == ["d"]
    assert len(body["results"]["bindings"]) == 7
    assert body["results"]["bindings"][0]["d"]["type"] == "uri"
    c = client.get("/sparql", params={"query": DATASETS}, headers=auth(Role.RESEARCHER, Accept="text/csv"))
    rows = list(csv.reader(io.StringIO(c.text)))
    assert c.headers["content-type"].startswith("text/csv") and rows[0] == ["d"] and len(rows) == 8
    tsv = client.get(
        "/sparql",
        params={"query": DATASETS},
        headers=auth(Role.RESEARCHER, Accept="text/tab-separated-values"),
    )
    assert tsv.text.splitlines()[0] == "?d" and tsv.text.splitlines()[1].startswith("<https://")


def test_construct_and_describe_as_graphs(client: TestClient, auth: Auth) -> None:
    q = "CONSTRUCT { ?d <http://purl.org/dc/terms/title> ?t } WHERE { ?d <http://purl.org/dc/terms/title> ?t }"
    r = client.get("/sparql", params={"query": q}, headers=auth(Role.RESEARCHER))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert len(list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))) > 7
    nt = client.get(
        "/sparql", params={"query": q}, headers=auth(Role.RESEARCHER, Accept="application/n-triples")
    )
    assert nt.headers["content-type"] == "application/n-triples"
    d = "DESCRIBE <https://w3id.org/fairgrid/site/paris>"
    assert "paris-01" in client.get("/sparql", params={"query": d}, headers=auth(Role.CURATOR)).text


def test_ask_and_post_forms(client: TestClient, auth: Auth) -> None:
    ask = "ASK { GRAPH <https://w3id.org/fairgrid/site/paris> { ?s ?p ?o } }"
    r = client.post("/sparql", data={"query": ask}, headers=auth(Role.RESEARCHER))
    assert r.json() == {"head": {}, "boolean": True}
    body = client.post(
        "/sparql",
        content=DATASETS,
        headers=auth(Role.RESEARCHER, **{"Content-Type": "application/sparql-query"}),
    )
    assert len(body.json()["results"]["bindings"]) == 7
    weird = client.post(
        "/sparql", content=DATASETS, headers=auth(Role.RESEARCHER, **{"Content-Type": "text/x"})
    )
    assert weird.status_code == 415


def test_the_dataset_is_the_latest_record_graphs(client: TestClient, auth: Auth) -> None:
    for graph in ("urn:fairgrid:meta", "urn:fairgrid:outbox"):
        q = f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        assert (
            client.get("/sparql", params={"query": q}, headers=auth(Role.CURATOR)).json()["boolean"] is False
        )
    q = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:')) }"
    r = client.get("/sparql", params={"query": q}, headers=auth(Role.CURATOR))
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "0"  # no revision graphs
    bad = client.get(
        "/sparql", params={"query": DATASETS, "default-graph-uri": "urn:x"}, headers=auth(Role.CURATOR)
    )
    assert bad.status_code == 400


def test_drafts_are_invisible_to_researchers(fresh: Registry) -> None:
    from tests.api.rest.test_writes import record_doc

    iri = "https://w3id.org/fairgrid/dataset/secret-draft"
    fresh.records.create(CURATOR, record_doc(fresh, iri), ox.RdfFormat.TURTLE, publish=False)
    c, auth = client_for(fresh), auth_for(fresh)
    q = f"ASK {{ <{iri}> ?p ?o }}"
    assert c.get("/sparql", params={"query": q}, headers=auth(Role.RESEARCHER)).json()["boolean"] is False
    assert c.get("/sparql", params={"query": q}, headers=auth(Role.CURATOR)).json()["boolean"] is True


def test_updates_are_refused(client: TestClient, auth: Auth) -> None:
    upd = "PREFIX ex: <http://example.org/> INSERT DATA { ex:a ex:b ex:c }"
    h = auth(Role.ADMIN)
    for r in (
        client.get("/sparql", params={"query": upd}, headers=h),
        client.get("/sparql", params={"update": upd}, headers=h),
        client.post("/sparql", data={"update": upd}, headers=h),
        client.post("/sparql", content=upd, headers={**h, "Content-Type": "application/sparql-update"}),
        client.get("/sparql", params={"query": "DROP ALL"}, headers=h),
    ):
        assert r.status_code == 400, r.text
        assert "read only" in r.json()["detail"]
    syntax = client.get("/sparql", params={"query": "SELECT WHERE"}, headers=h)
    assert syntax.status_code == 400 and "does not parse" in syntax.json()["detail"]


def test_anonymous_queries_public_metadata(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": DATASETS})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 7  # all published, all public
    bad = client.get("/sparql", params={"query": DATASETS}, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")


def test_anonymous_row_cap(shared: Registry, auth: Auth) -> None:
    c = client_for(shared)
    c.app.state.sparql = SparqlService(shared.store, max_rows=100, anonymous_max_rows=3)  # type: ignore[attr-defined]
    r = c.get("/sparql", params={"query": DATASETS})
    assert r.status_code == 400 and r.json()["max_rows"] == 3
    assert len(c.get("/sparql", params={"query": DATASETS}, headers=auth(Role.RESEARCHER)).json()
               ["results"]["bindings"]) == 7  # fmt: skip


def test_result_cap_and_timeout(shared: Registry, auth: Auth) -> None:
    capped = client_for(shared, sparql_max_rows=3)
    r = capped.get("/sparql", params={"query": DATASETS}, headers=auth(Role.RESEARCHER))
    assert r.status_code == 400 and r.json()["max_rows"] == 3 and "more than 3 rows" in r.json()["detail"]
    ok = capped.get("/sparql", params={"query": DATASETS + " LIMIT 3"}, headers=auth(Role.RESEARCHER))
    assert ok.status_code == 200
    slow = client_for(shared, sparql_timeout_s=0.2)
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    r = slow.get("/sparql", params={"query": heavy}, headers=auth(Role.RESEARCHER))
    assert r.status_code == 400 and "0.2 s limit and was stopped" in r.json()["detail"]


def test_federated_service_is_refused(client: TestClient, auth: Auth) -> None:
    """SERVICE would make the hub send requests wherever a caller points it (its own network included)."""
    for q in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://169.254.169.254/> { ?s ?q ?x } } }",
    ):
        r = client.get("/sparql", params={"query": q}, headers=auth(Role.ADMIN))
        assert r.status_code == 400 and r.json()["service"] is True, r.text
    plain = client.get("/sparql", params={"query": "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1"},
                       headers=auth(Role.RESEARCHER))  # fmt: skip
    assert plain.status_code == 200


def test_from_clauses_cannot_widen_the_dataset(client: TestClient, auth: Auth) -> None:
    q = "SELECT (COUNT(*) AS ?n) FROM <urn:fairgrid:meta> FROM NAMED <urn:fairgrid:meta> WHERE { ?s ?p ?o }"
    r = client.get("/sparql", params={"query": q}, headers=auth(Role.CURATOR))
    assert r.status_code == 400 and "FROM" in r.json()["detail"]  # refused, not answered over more
    ask = "ASK FROM NAMED <urn:fairgrid:meta> { GRAPH <urn:fairgrid:meta> { ?s ?p ?o } }"
    assert client.get("/sparql", params={"query": ask}, headers=auth(Role.CURATOR)).status_code == 400
    ask = "ASK { GRAPH <urn:fairgrid:meta> { ?s ?p ?o } }"
    assert client.get("/sparql", params={"query": ask}, headers=auth(Role.CURATOR)).json()["boolean"] is False
