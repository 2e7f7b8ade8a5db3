from __future__ import annotations

import hashlib
import json
from itertools import islice
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

from federation.synth.run import synthesize


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    synthesize("mds", 2, 40, 5, tmp_path / "a")
    synthesize("mds", 2, 40, 5, tmp_path / "b")
    synthesize("mds", 2, 40, 6, tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_layout_and_incomplete_node(cohorts: dict[str, Path]) -> None:
    root = cohorts["mds"]
    assert (
        json.loads((root / "ground_truth.json").read_text())["models"]["mds"][0]["outcome"]
        == "aml-transformation"
    )
    for site in ("site-1", "site-2"):
        for name in ("Patient", "Condition", "Observation", "MedicationStatement", "Procedure", "Encounter"):
            assert (root / site / "fhir" / f"{name}.ndjson").exists()
        assert (root / site / "csv" / "patients.csv").exists()
    obs1 = (root / "site-1" / "fhir" / "Observation.ndjson").read_text()
    obs2 = (root / "site-2" / "fhir" / "Observation.ndjson").read_text()
    assert '"code":"53041-0"' in obs1  # NGS panel at site 1
    assert '"code":"53041-0"' not in obs2 and '"code":"69548-6"' not in obs2  # site 2: no NGS
    assert "g/L" in obs2  # SI units at the second site


@pytest.mark.parametrize("uc", ["mds", "scd", "mm"])
def test_resources_validate_with_fhir_resources(cohorts: dict[str, Path], uc: str) -> None:
    for f in sorted((cohorts[uc] / "site-1" / "fhir").glob("*.ndjson")):
        with f.open() as fh:
            for line in islice(fh, 40):
                res = json.loads(line)
                get_fhir_model_class(res["resourceType"]).model_validate(res)


def test_no_identifiers_in_fhir(cohorts: dict[str, Path]) -> None:
    fhir = (cohorts["mm"] / "site-1" / "fhir" / "Patient.ndjson").read_text()
    assert '"name"' not in fhir and "MM1" not in fhir
