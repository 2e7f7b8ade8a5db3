"""The fast path must report exactly what plain pySHACL reports, on good and bad records alike."""

from __future__ import annotations

from collections import Counter

import pytest

from registry.errors import Violation
from registry.validation.reference import PyshaclValidator
from registry.validation.validator import CompiledValidator
from tests.registry.validation.corpus import cases

CASES = cases()


def key(v: Violation) -> tuple[str | None, ...]:
    def bn(x: str | None) -> str | None:
        return "_:" if x is not None and x.startswith("_:") else x

    return (bn(v.focus_node), v.path, v.constraint, v.severity, bn(v.value))


@pytest.fixture(scope="module")
def reference() -> PyshaclValidator:
    return PyshaclValidator()


def test_corpus_has_both_good_and_bad_records(fast: CompiledValidator) -> None:
    reports = [fast.validate(d.triples, ctx, d.kind) for _, d, ctx in CASES]
    assert len(CASES) > 150
    assert sum(1 for name, _, _ in CASES if ".ttl:" in name) >= 30  # the official examples are in
    assert sum(r.conforms for r in reports) >= 20
    assert sum(not r.conforms for r in reports) >= 100
    assert any(r.warnings for r in reports)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_same_results_as_pyshacl(name: str, fast: CompiledValidator, reference: PyshaclValidator) -> None:
    _, draft, ctx = next(c for c in CASES if c[0] == name)
    ours = Counter(map(key, fast.validate(draft.triples, ctx, draft.kind).results))
    theirs = Counter(map(key, reference.validate(draft.triples, ctx, draft.kind).results))
    assert ours == theirs, f"only ours: {ours - theirs}\nonly pySHACL: {theirs - ours}"


@pytest.fixture(scope="module")
def unsliced() -> PyshaclValidator:
    return PyshaclValidator(slice_background=False)


# Plain pySHACL with all the background, as a user would run it: the slice above is our own optimisation
# of the reference, so it is checked too. Every 30th case (good and bad records of every kind): with the
# complete country, language and media-type lists a call re-validates tens of thousands of background
# concepts (~5 s each).
UNSLICED = [c[0] for c in CASES[::30]]


def test_unsliced_sample_has_good_and_bad_records(fast: CompiledValidator) -> None:
    reports = [fast.validate(d.triples, ctx, d.kind) for name, d, ctx in CASES if name in UNSLICED]
    assert len(UNSLICED) >= 8
    assert sum(r.conforms for r in reports) >= 2 and sum(not r.conforms for r in reports) >= 4
    assert len({d.kind for name, d, _ in CASES if name in UNSLICED}) >= 7


@pytest.mark.slow
@pytest.mark.parametrize("name", UNSLICED)
def test_same_results_as_pyshacl_on_the_whole_background(
    name: str, fast: CompiledValidator, unsliced: PyshaclValidator
) -> None:
    _, draft, ctx = next(c for c in CASES if c[0] == name)
    ours = Counter(map(key, fast.validate(draft.triples, ctx, draft.kind).results))
    theirs = Counter(map(key, unsliced.validate(draft.triples, ctx, draft.kind).results))
    assert ours == theirs, f"only ours: {ours - theirs}\nonly pySHACL: {theirs - ours}"
