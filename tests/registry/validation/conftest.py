"""What the validation tests share: the fast validator and the consortium example's records, one of each
per test module."""

from __future__ import annotations

import pytest

from registry.io.split import Draft
from registry.validation.validator import CompiledValidator
from tests.registry.validation.corpus import example_drafts


@pytest.fixture(scope="module")
def fast() -> CompiledValidator:
    return CompiledValidator()


@pytest.fixture(scope="module")
def drafts() -> dict[str, Draft]:
    return example_drafts()
