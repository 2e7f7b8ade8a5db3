"""`fairgrid quality`: the catalogue's quality distribution, as tables and as JSON; bad input is exit 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.cli.conftest import module_home, run

EXAMPLES = Path(__file__).parents[3] / "ontologies/examples/consortium.ttl"


@pytest.fixture(scope="module", autouse=True)
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with module_home(
        tmp_path_factory, "cli-quality", ["init", "--no-terminologies"], ["import", str(EXAMPLES)]
    ) as path:
        yield path


def test_json_distribution_counts_every_dataset_once_with_five_dimension_averages() -> None:
    code, text = run("quality", "--json")
    assert code == 0, text
    data = json.loads(text)
    assert data["kind"] == "Dataset" and data["scored"] > 0 and data["unscored"] == 0
    assert sum(data["bands"].values()) == data["scored"]
    assert list(data["bands"]) == ["excellent", "good", "sufficient", "bad"]
    dims = data["dimensions"]
    assert [d["name"] for d in dims] == [
        "findability", "accessibility", "interoperability", "reusability", "contextuality",
    ]  # fmt: skip
    assert abs(sum(d["average"] for d in dims) - data["average_total"]) < 0.05
    assert data["max_assessed"] == 325 and data["max_total"] == 405
    every = json.loads(run("quality", "--kind", "all", "--json")[1])
    assert every["scored"] > data["scored"]


def test_tables_show_bands_and_dimensions() -> None:
    code, text = run("quality")
    assert code == 0, text
    assert "Rating bands" in text and "Average points per dimension" in text and "findability" in text
    assert "not assessed" in text


def test_an_unknown_kind_is_exit_1() -> None:
    code, text = run("quality", "--kind", "Spaceship")
    assert code == 1 and "Spaceship" in text


def test_an_empty_catalogue_still_reports_the_maxima(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRGRID_HOME", str(tmp_path / "empty"))
    assert run("init", "--no-terminologies")[0] == 0
    data = json.loads(run("quality", "--json")[1])
    assert data["scored"] == 0 and data["average_total"] == 0 and data["max_assessed"] == 325
    assert [d["max"] for d in data["dimensions"]] == [100, 100, 110, 75, 20]
