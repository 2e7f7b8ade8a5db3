"""A trained model as the training flow leaves it, for the publishing tests: an MLDCAT-AP record whose file
URL points into the hub home, and the weights and metrics.json there (the training contract's "Output")."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from registry.config import Settings
from registry.identity import local_operator
from registry.validation.validator import RecordValidator
from registry.wiring import Registry, open_registry
from tests.conftest import DEV_AUTH, EXAMPLE

MODEL_IRI = "https://w3id.org/fairgrid/model/test-fed-mds"
SLUG = "test-fed-mds"

MODEL_TTL = """
@base <https://w3id.org/fairgrid/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix mldcat: <http://data.europa.eu/it6/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix licence: <http://publications.europa.eu/resource/authority/licence/> .
@prefix filetype: <http://publications.europa.eu/resource/authority/file-type/> .

<model/test-fed-mds>
    a mldcat:MachineLearningModel ;
    dct:identifier "test-fed-mds" ;
    dct:title "Federated MDS-to-AML model [test](javascript:alert(1))"@en ;
    dct:description "Test model: <script>alert(1)</script> logistic regression & friends."@en ;
    dcat:keyword "myelodysplastic syndromes"@en , "federated learning"@en , "Federated Learning"@en ;
    dcat:version "0.1.0" ;
    dct:issued "2026-12-01"^^xsd:date ;
    dct:created "2026-12-01"^^xsd:date ;
    dct:license licence:APACHE_2_0 ;
    dct:creator <organization/consortium> ;
    mldcat:trainedOn <dataset/mds-registry-hub-a> , <dataset/mds-ngs-milan> ;
    prov:wasAssociatedWith <site/paris> , <site/milan> ;
    mldcat:hasFile <model/test-fed-mds/file/weights> .

<model/test-fed-mds/file/weights>
    a mldcat:File ;
    dct:identifier "model.safetensors" ;
    dct:title "Model weights (safetensors)"@en ;
    dct:format filetype:BIN ;
    mldcat:url <files/models/test-fed-mds/model.safetensors> .

<files/models/test-fed-mds/model.safetensors> a dcat:Resource .
"""

METRICS: dict[str, Any] = {
    "task": "mds-aml",
    "strategy": "FedAvg",
    "privacy": "central",
    "epsilon": 4.0,
    "rounds": [
        {
            "round": 1, "started": "2026-12-01T10:00:00Z", "ended": "2026-12-01T10:01:00Z", "train_loss": 0.61,
            "metrics": {"auc": 0.66},
            "sites": {"paris-01": {"num_examples": 120, "auc": 0.7}, "milan-01": {"num_examples": 80}},
        },
        {
            "round": 2, "started": "2026-12-01T10:01:00Z", "ended": "2026-12-01T10:02:00Z", "train_loss": 0.55,
            "metrics": {"auc": 0.71}, "sites": {"paris-01": {"num_examples": 120, "auc": 0.72}},
        },
    ],
    "final": {"auc": 0.71, "num_examples": 200},
    "features": ["age", "blasts"],
    "sites": ["paris-01", "milan-01"],
    "hyperparameters": {"lr": 0.01, "local_epochs": 1},
    "unexpected": {"patient": "never carried over"},
}  # fmt: skip

WEIGHTS = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "  # an empty safetensors file (header length 8, "{}")


def register_trained_model(reg: Registry, *, weights: bytes = WEIGHTS) -> str:
    """The example catalogue, the model record, and its files under <home>/models/<slug>/."""
    me = local_operator("test")
    summary = reg.importer.run(me, [EXAMPLE])
    assert summary.rejected == 0
    reg.records.create(me, MODEL_TTL.encode(), _turtle(), source="trained-model")
    folder = reg.settings.home / "models" / SLUG
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "metrics.json").write_text(json.dumps(METRICS), encoding="utf-8")
    return MODEL_IRI


def model_folder(home: Path) -> Path:
    return home / "models" / SLUG


def _turtle() -> Any:
    import pyoxigraph as ox

    return ox.RdfFormat.TURTLE


@dataclass(frozen=True)
class Template:
    home: Path
    validator: RecordValidator  # compiled once (about a second each time otherwise)


_built: list[Template] = []  # modules import the fixture, so pytest sees one per module: built once here


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A hub home with the example catalogue and the trained model, registered once per test session."""
    if _built:
        return _built[0]
    home = tmp_path_factory.mktemp("trained-template") / "home"
    reg = open_registry(Settings(home=home, auth=DEV_AUTH))
    try:
        register_trained_model(reg)
        _built.append(Template(home, reg.validator))
        return _built[0]
    finally:
        reg.close()


def open_trained(template: Template, tmp_path: Path, settings: Settings | None = None) -> Registry:
    """A registry on a copy of the template home (its store closed while copied), for one test."""
    home = tmp_path / "home"
    shutil.copytree(template.home, home)
    s = replace(settings, home=home) if settings is not None else Settings(home=home, auth=DEV_AUTH)
    reg = open_registry(s)
    reg.__dict__["validator"] = template.validator  # the cached_property, filled in
    return reg
