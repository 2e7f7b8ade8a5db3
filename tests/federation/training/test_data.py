"""Site-trusted training data: cohort selection, features and masks, labels, split, disclosure."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from federation.criteria import CriteriaError, parse_criteria
from federation.site.evaluate import patients
from federation.site.features import feature_table
from federation.site.policy import Policy
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from federation.training import data
from registry.errors import InputError
from tests.federation.training.site_homes import make_homes


@pytest.fixture(scope="module")
def mds_homes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_homes(tmp_path_factory.mktemp("mds-homes"), patients=150)


def test_features_masks_and_the_site_without_ngs(mds_homes: list[Path]) -> None:
    with_ngs, without = (data.load(home, "mds-aml") for home in mds_homes)
    assert with_ngs.features == without.features == list(data.TASKS["mds-aml"].features)
    for d in (with_ngs, without):
        assert d.x.dtype == d.mask.dtype == d.y.dtype == np.float32
        assert d.x.shape == d.mask.shape == (len(d), len(d.features))
        assert set(np.unique(d.y)) <= {0.0, 1.0}
        assert np.all(d.x[d.mask == 0] == 0)  # missing is 0 in the values too
    genes = [i for i, name in enumerate(without.features) if name.startswith("mut_")]
    assert genes and np.all(without.mask[:, genes] == 0)  # the incomplete node: no gene tested
    assert np.all(with_ngs.mask[:, genes] == 1)
    age = without.features.index("age_at_dx")
    assert np.all(without.mask[:, age] == 1)


def test_labels_follow_the_horizon_rule(mds_homes: list[Path]) -> None:
    home = mds_homes[0]
    d = data.load(home, "mds-aml")
    with SiteStore(home / "store.duckdb", read_only=True) as store:
        table = feature_table(store, "mds")
    rows = {r[0]: dict(zip(table.columns, r, strict=True)) for r in table.rows}
    for pid, label in zip(d.patient_ids, d.y, strict=True):
        r = rows[pid]
        event, years = r["aml_transformation_event"], r["aml_transformation_years"]
        assert label == (1.0 if event == 1 and years <= 2.0 else 0.0)
        assert label == 1.0 or years >= 2.0  # a 0 was followed for two years
    left_out = set(rows) - set(d.patient_ids)
    assert all(rows[p]["aml_transformation_years"] < 2 for p in left_out)


def test_split_is_fixed_by_patient_id(mds_homes: list[Path]) -> None:
    a, b = data.load(mds_homes[0], "mds-aml"), data.load(mds_homes[0], "mds-aml")
    assert a.patient_ids == b.patient_ids and np.array_equal(a.test, b.test)
    train, test = a.part(test=False), a.part(test=True)
    assert len(train) + len(test) == len(a) and not set(train.patient_ids) & set(test.patient_ids)
    ids = [f"p{i}" for i in range(2000)]
    share = sum(data.is_test(p) for p in ids) / len(ids)
    assert 0.25 < share < 0.35


def test_cohort_criteria_select_at_the_site(mds_homes: list[Path]) -> None:
    home = mds_homes[0]
    doc = {"inclusion": [[{"type": "age", "min": 70, "at": "diagnosis"}]]}
    everyone = data.load(home, "mds-aml")
    selected = data.load(home, "mds-aml", doc)
    with SiteStore(home / "store.duckdb", terminology=Terminology.fallback(), read_only=True) as store:
        matching = set(patients(store, parse_criteria(doc)))
    assert 0 < len(selected) < len(everyone)
    assert set(selected.patient_ids) == set(everyone.patient_ids) & matching
    assert len(data.load(home, "mds-aml", "")) == len(everyone)  # no criteria: the whole use case


def test_hostile_input_is_an_input_error(mds_homes: list[Path]) -> None:
    with pytest.raises(CriteriaError):
        data.load(mds_homes[0], "mds-aml", '{"inclusion": [[{"type": "nope"}]]}')
    with pytest.raises(CriteriaError):
        data.load(mds_homes[0], "mds-aml", "not json")
    with pytest.raises(InputError):
        data.load(mds_homes[0], "no-such-task")


def test_store_is_read_only_and_shared(mds_homes: list[Path]) -> None:
    path = mds_homes[1] / "store.duckdb"
    before = (path.stat().st_mtime_ns, path.stat().st_size)
    with SiteStore(path, read_only=True):  # the site agent holding it open
        assert len(data.load(mds_homes[1], "mds-aml")) > 0
    assert (path.stat().st_mtime_ns, path.stat().st_size) == before


def test_disclose_rounds_and_suppresses() -> None:
    policy = Policy(threshold=10, rounding=5)
    out = data.disclose(
        {"num-examples": 23, "num-test": 7, "auc": 0.71, "auc-n": 7, "train-loss": 0.5, "x": None}, policy
    )
    assert out["num-examples"] == 25.0
    assert math.isnan(out["num-test"])  # below the threshold: not the number
    assert math.isnan(out["auc"])  # computed on too few patients
    assert out["train-loss"] == 0.5 and math.isnan(out["x"])
    assert "auc-n" not in out
    assert data.disclose({"auc": 0.8, "auc-n": 40}, policy) == {"auc": 0.8}
