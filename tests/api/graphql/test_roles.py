"""Every mutation against every role: curators and admins may write, everyone else is refused and
nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
import pytest

from registry.identity import Role, local_operator
from tests.api.graphql.conftest import BASE, Env, error_codes, organization

ROLES: dict[str, tuple[Role, ...] | None] = {
    "anonymous": None,
    "researcher": (Role.RESEARCHER,),
    "curator": (Role.CURATOR,),
    "site-operator": (Role.SITE_OPERATOR,),
    "consortium-member": (Role.CONSORTIUM_MEMBER,),
    "admin": (Role.ADMIN,),
}
ALLOWED = {"curator", "admin"}


def _register(env: Env, slug: str) -> tuple[str, dict[str, Any]]:
    return (
        "mutation($rdf: String!) { registerRecord(rdf: $rdf) { records { iri } } }",
        {"rdf": organization(slug, "Registered")},
    )


def _update(env: Env, slug: str) -> tuple[str, dict[str, Any]]:
    env.reg.records.create(local_operator(), organization(slug), ox.RdfFormat.TURTLE)
    return (
        "mutation($iri: String!, $rdf: String!) { updateRecord(iri: $iri, rdf: $rdf, baseRevision: 1) "
        "{ record { iri } } }",
        {"iri": BASE + f"organization/{slug}", "rdf": organization(slug, "Updated")},
    )


def _deprecate(env: Env, slug: str) -> tuple[str, dict[str, Any]]:
    env.reg.records.create(local_operator(), organization(slug), ox.RdfFormat.TURTLE)
    return (
        'mutation($iri: String!) { deprecateRecord(iri: $iri, reason: "test") { record { iri } } }',
        {"iri": BASE + f"organization/{slug}"},
    )


def _publish(env: Env, slug: str) -> tuple[str, dict[str, Any]]:
    env.reg.records.create(local_operator(), organization(slug), ox.RdfFormat.TURTLE, publish=False)
    return (
        "mutation($iri: String!) { publishRecord(iri: $iri) { record { iri } } }",
        {"iri": BASE + f"organization/{slug}"},
    )


MUTATIONS: dict[str, Callable[[Env, str], tuple[str, dict[str, Any]]]] = {
    "registerRecord": _register,
    "updateRecord": _update,
    "deprecateRecord": _deprecate,
    "publishRecord": _publish,
}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_mutation_against_role(env: Env, role: str) -> None:
    outcomes: dict[str, str] = {}
    for name, prepare in MUTATIONS.items():
        slug = f"matrix-{role}-{name.lower()}"
        iri = BASE + f"organization/{slug}"
        query, variables = prepare(env, slug)
        before = env.reg.store.head(iri)
        body = env.gql(query, variables, roles=ROLES[role])
        after = env.reg.store.head(iri)
        if body.get("errors"):
            outcomes[name] = error_codes(body)[0]
            assert body["data"] is None
            assert after == before, f"{role} {name}: refused, yet the record changed"
        else:
            outcomes[name] = "allowed"
            assert after is not None and after != before
            assert after.attributed_to == "urn:fairgrid:agent:alice"
    # no token: 401-style "unauthenticated"; a token without the role: "forbidden"
    expected = "allowed" if role in ALLOWED else ("unauthenticated" if role == "anonymous" else "forbidden")
    assert outcomes == dict.fromkeys(MUTATIONS, expected), outcomes
