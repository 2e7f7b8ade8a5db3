"""HealthDCAT-AP Release 5: the demo's records are complete under it, applied by access right to
health records only; sh:extends is resolved; messages name the value."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from registry.io.split import Draft
from registry.validation.bundle import Bundle, load_bundle
from registry.validation.graph import Graph
from registry.validation.health import (
    DATASET_SHAPE,
    RELEASE_NS,
    RESTRICTED_DATASET_SHAPE,
    HealthShapes,
    health_targets,
)
from registry.validation.report import ValidationReport
from registry.validation.validator import CompiledValidator
from registry.vocab import ACCESS_PUBLIC, DCATAP, DCT, FOAF, HEALTH
from tests.registry.validation.corpus import REFERENCE, _context, _drafts
from tests.registry.validation.test_equivalence import key

ACCESS_RIGHTS = ox.NamedNode(DCT + "accessRights")


def _validate(
    fast: CompiledValidator, d: Draft, by: dict[str, Draft], triples: list[ox.Triple] | None = None
) -> ValidationReport:
    return fast.validate(d.triples if triples is None else triples, _context(d, by), d.kind)


def _ds(iri: str) -> str:
    return "https://w3id.org/fairgrid/dataset/" + iri


def test_consortium_records_are_complete_under_the_release(
    fast: CompiledValidator, drafts: dict[str, Draft]
) -> None:
    profiles: Counter[str] = Counter()
    for d in drafts.values():
        report = _validate(fast, d, drafts)
        assert report.violations == [], (d.iri, [v.message for v in report.violations])
        data = Graph([*d.triples, *_context(d, drafts)], base=fast.background)
        profiles.update(shape for shape, _ in health_targets(fast.health, data, [ox.NamedNode(d.iri)]))
    # 3 NON_PUBLIC health datasets under the release as published, 3 RESTRICTED ones under it without
    # the NON_PUBLIC check, the PUBLIC one under neither; the catalogue under its Catalog shape
    assert profiles[DATASET_SHAPE] == 3 and profiles[RESTRICTED_DATASET_SHAPE] == 3
    assert profiles[RELEASE_NS + "Catalog_Shape"] == 1


@pytest.mark.parametrize(
    ("dataset", "pred", "expected"),
    [
        ("mds-ngs-milan", DCT + "provenance", True),  # NON_PUBLIC
        ("mds-registry-hub-a", DCT + "provenance", True),  # RESTRICTED: the same fields
        ("mds-ngs-milan", DCATAP + "applicableLegislation", True),
        ("consortium-aggregate-statistics", DCATAP + "applicableLegislation", False),  # PUBLIC: not asked
        ("consortium-aggregate-statistics", HEALTH + "hdab", False),
        ("scd-cohort-paris", HEALTH + "hdab", True),
        ("mm-outcomes-milan", HEALTH + "healthCategory", True),
    ],
)
def test_what_each_access_right_requires(
    fast: CompiledValidator, drafts: dict[str, Draft], dataset: str, pred: str, expected: bool
) -> None:
    d = drafts[_ds(dataset)]
    kept = [t for t in d.triples if t.predicate.value != pred]
    found = {v.path for v in _validate(fast, d, drafts, kept).violations}
    assert (pred in found) is expected, found


def test_a_restricted_dataset_relabelled_public_leaves_the_release(
    fast: CompiledValidator, drafts: dict[str, Draft]
) -> None:
    d = drafts[_ds("scd-cohort-paris")]
    hdab = ox.NamedNode(HEALTH + "hdab")
    relabelled = [t for t in d.triples if t.predicate not in (ACCESS_RIGHTS, hdab)]
    found = {v.path for v in _validate(fast, d, drafts, relabelled).violations}
    assert HEALTH + "hdab" in found and DCT + "accessRights" in found  # no access right: NON_PUBLIC's
    relabelled.append(ox.Triple(ox.NamedNode(d.iri), ACCESS_RIGHTS, ox.NamedNode(ACCESS_PUBLIC)))
    found = {v.path for v in _validate(fast, d, drafts, relabelled).violations}
    assert HEALTH + "hdab" not in found


def test_sh_extends_brings_the_agent_shape(fast: CompiledValidator, drafts: dict[str, Draft]) -> None:
    # the release's HealthAgent_Shape extends DCAT-AP's Agent_Shape (foaf:name): an unnamed HDAB fails
    d = drafts[_ds("mds-ngs-milan")]
    hdab = "https://w3id.org/fairgrid/hdab/example-national-hdab"
    by = dict(drafts)
    h = by[hdab]
    by[hdab] = Draft(
        h.iri, h.kind, [t for t in h.triples if t.predicate.value != FOAF + "name"], source=h.source
    )
    bad = [
        v for v in fast.validate(d.triples, _context(d, by), d.kind).violations if v.path == HEALTH + "hdab"
    ]
    assert [v.value for v in bad] == [hdab]


def test_messages_name_the_value(fast: CompiledValidator, drafts: dict[str, Draft]) -> None:
    d = drafts[_ds("mds-ngs-milan")]
    wrong = ox.NamedNode("http://example.org/not-a-category")
    pred = ox.NamedNode(HEALTH + "healthCategory")
    triples = [*[t for t in d.triples if t.predicate != pred], ox.Triple(ox.NamedNode(d.iri), pred, wrong)]
    messages = [v.message for v in _validate(fast, d, drafts, triples).violations]
    assert messages == [
        "healthdcatap:healthCategory <http://example.org/not-a-category> is not a concept of a bundled "
        "vocabulary (the HealthDCAT-AP list: ontologies/vocabularies/health-category-ehds.ttl)."
    ]


def test_dcat_ap_examples_are_judged_by_dcat_ap_alone(fast: CompiledValidator) -> None:
    """The official DCAT-AP examples are no health records: the release adds nothing to their results
    (so each is as valid as DCAT-AP finds it)."""
    full = load_bundle()
    without = CompiledValidator(
        Bundle(
            tuple(t for t in full.shapes if t not in set(full.health.shapes)),
            full.background,
            full.model_shapes,
            HealthShapes(),
        )
    )
    files = sorted(REFERENCE.glob("dcat-ap-3.0.1/*.ttl"))
    checked = 0
    for f in files:
        try:
            records = _drafts(f, ("http://", "https://"))
        except SyntaxError:
            continue
        by = {d.iri: d for d in records}
        for d in records:
            ours = Counter(map(key, fast.validate(d.triples, _context(d, by), d.kind).results))
            assert ours == Counter(map(key, without.validate(d.triples, _context(d, by), d.kind).results))
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("dataset", "value", "rule"),
    [
        ("mds-ngs-milan", ox.Literal("U07.1"), "NodeKind"),  # NON_PUBLIC: Release 5 and fairgrid's profile
        ("consortium-aggregate-statistics", ox.Literal("U07.1"), "NodeKind"),  # PUBLIC: fairgrid's alone
        ("mds-ngs-milan", ox.BlankNode("code"), "Or"),  # a blank node that is no skos:Concept
    ],
)
def test_a_wrong_code_value_is_reported_once(
    fast: CompiledValidator,
    drafts: dict[str, Draft],
    dataset: str,
    value: ox.Literal | ox.BlankNode,
    rule: str,
) -> None:
    d = drafts[_ds(dataset)]
    pred = ox.NamedNode(HEALTH + "hasCodeValues")
    triples = [*[t for t in d.triples if t.predicate != pred], ox.Triple(ox.NamedNode(d.iri), pred, value)]
    if isinstance(value, ox.BlankNode):
        triples.append(ox.Triple(value, ox.NamedNode(DCT + "title"), ox.Literal("a code")))
    bad = [v for v in _validate(fast, d, drafts, triples).violations if v.path == pred.value]
    assert [v.constraint.rsplit("#", 1)[-1] for v in bad] == [rule + "ConstraintComponent"]
    assert bad[0].message.startswith("healthdcatap:hasCodeValues ")
