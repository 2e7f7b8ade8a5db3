"""The visibility rule in its two forms, Python (`public_records`, for records already read) and SPARQL
(`public_pattern`, for the catalogue and /sparql), gives the same answer on every record."""

from __future__ import annotations

import pytest

from registry.identity import ANONYMOUS, Identity, Role, local_operator
from registry.services.visibility import (
    public_pattern,
    public_records,
    readable,
    require_readable,
    sees_consortium_metadata,
)
from registry.sparql_text import values
from registry.vocab import VISIBILITY_CONSORTIUM, VISIBILITY_PUBLIC
from registry.wiring import Registry
from tests.conftest import EXAMPLE
from tests.visibility_marks import mark_visibility as mark

BASE = "https://w3id.org/fairgrid/"


def test_python_and_sparql_forms_agree(reg: Registry) -> None:
    reg.importer.run(local_operator(), [EXAMPLE])
    mark(reg, BASE + "dataset/mds-ngs-milan", VISIBILITY_CONSORTIUM)  # its distribution follows it
    mark(reg, BASE + "dataset/mm-registry-leiden", VISIBILITY_CONSORTIUM)
    leiden = reg.records.get(local_operator(), BASE + "dataset/mm-registry-leiden")
    # a distribution that says so itself stays public under a consortium-only dataset
    (part,) = [o.value for o in leiden.values("http://www.w3.org/ns/dcat#distribution")]
    mark(reg, part, VISIBILITY_PUBLIC)
    mark(reg, BASE + "model/mds-aml-progression", VISIBILITY_CONSORTIUM)
    recs = list(reg.store.iter_latest())
    python = public_records(reg.store, recs)
    rows = reg.store.query(
        f"SELECT ?r WHERE {{ VALUES ?r {{ {values(r.iri for r in recs)} }} {public_pattern('?r')} }}"
    )
    sparql = {row["r"].value for row in rows}
    assert {iri for iri, ok in python.items() if ok} == sparql
    hidden = {iri for iri, ok in python.items() if not ok}
    assert hidden == {
        BASE + "dataset/mds-ngs-milan",
        BASE + "distribution/mds-ngs-milan-federated-parquet",
        BASE + "dataset/mm-registry-leiden",
        BASE + "model/mds-aml-progression",
    }


def test_who_sees_consortium_metadata() -> None:
    member, curator, operator, admin = (Identity(r.value, frozenset({r})) for r in
                                        (Role.CONSORTIUM_MEMBER, Role.CURATOR, Role.SITE_OPERATOR, Role.ADMIN))  # fmt: skip
    assert all(sees_consortium_metadata(i) for i in (member, curator, operator, admin))
    for outside in (ANONYMOUS, Identity("no-role"), Identity("r", frozenset({Role.RESEARCHER}))):
        assert not sees_consortium_metadata(outside)


def test_refusals(reg: Registry) -> None:
    from registry.errors import PermissionDenied, Unauthenticated

    reg.importer.run(local_operator(), [EXAMPLE])
    mark(reg, BASE + "dataset/mds-ngs-milan", VISIBILITY_CONSORTIUM)
    rec = reg.records.get(local_operator(), BASE + "dataset/mds-ngs-milan")
    assert readable(reg.store, Identity("m", frozenset({Role.CONSORTIUM_MEMBER})), [rec])[rec.iri]
    with pytest.raises(Unauthenticated, match="consortium only"):
        require_readable(ANONYMOUS, rec, readable(reg.store, ANONYMOUS, [rec])[rec.iri])
    with pytest.raises(PermissionDenied, match="consortium-member"):
        require_readable(Identity("x"), rec, readable(reg.store, Identity("x"), [rec])[rec.iri])
    with pytest.raises(ValueError):
        public_pattern("?r } DROP ALL {")
