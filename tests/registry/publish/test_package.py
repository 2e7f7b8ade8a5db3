"""Publication packages: a model's weights, card, metrics and Provenance Run Crate; a record's RDF + crate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from registry.errors import InputError
from registry.identity import local_operator
from registry.model import Record
from registry.publish.metadata import zenodo_metadata
from registry.publish.package import build_package, local_weights
from registry.publish.training import parse_run
from registry.rdf import parse
from registry.vocab import Kind
from registry.wiring import Registry
from tests.registry.publish.trained_model import (
    MODEL_IRI,
    WEIGHTS,
    model_folder,
)

ME = local_operator("test")


PROVENANCE = "https://w3id.org/ro/wfrun/provenance/0.5"


def _files(reg: Registry, iri: str) -> dict[str, bytes]:
    rec = reg.records.get(ME, iri)
    related = reg.records.referenced(ME, rec, 100)
    meta = zenodo_metadata(rec, related)
    with build_package(rec, related, meta, home=reg.settings.home) as pkg:
        out = {f.name: f.path.read_bytes() for f in pkg.files}
        folder = pkg.folder
    assert not folder.exists()  # the temporary folder goes with the block
    return out


def _entities(crate: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["@id"]: e for e in crate["@graph"]}


def _types(e: dict[str, Any]) -> list[str]:
    t = e["@type"]
    return t if isinstance(t, list) else [t]


def test_model_package(trained: Registry) -> None:
    reg = trained
    files = _files(reg, MODEL_IRI)
    assert sorted(files) == ["metrics.json", "model-card.md", "model.safetensors", "ro-crate-metadata.json"]
    assert files["model.safetensors"] == WEIGHTS

    metrics = json.loads(files["metrics.json"])
    assert "unexpected" not in metrics  # only the training contract's keys are carried over
    assert [r["round"] for r in metrics["rounds"]] == [1, 2]
    assert metrics["rounds"][0]["sites"]["paris-01"] == {"num_examples": 120, "auc": 0.7}

    card = files["model-card.md"].decode()
    assert "<script>" not in card and "[test](" not in card and "\\[test\\](javascript" in card  # inert text
    for part in ("## Intended use", "## Training data", "## Federated training", "## Metrics",
                 "## Limitations", "## Licence", "## Citation", "epsilon 4.0", "FedAvg",
                 "Hôpital universitaire Exemple Paris", "MDS clinical registry"):  # fmt: skip
        assert part in card

    crate = json.loads(files["ro-crate-metadata.json"])
    ents = _entities(crate)
    assert ents["ro-crate-metadata.json"]["conformsTo"] == {"@id": "https://w3id.org/ro/crate/1.1"}
    root = ents["./"]
    assert {"@id": PROVENANCE} in root["conformsTo"]
    assert root["mainEntity"] == {"@id": "#flower-app"} and root["mentions"] == [{"@id": "#run"}]
    assert "ComputationalWorkflow" in _types(ents["#flower-app"])
    run = ents["#run"]
    assert run["@type"] == "CreateAction" and run["instrument"] == {"@id": "#flower-app"}
    assert {"@id": "model.safetensors"} in run["result"]
    assert run["startTime"] == "2026-12-01T10:00:00Z" and run["endTime"] == "2026-12-01T10:02:00Z"
    lr = ents["#pv-lr"]
    assert lr["@type"] == "PropertyValue" and lr["value"] == "0.01" and {"@id": "#pv-lr"} in run["object"]
    assert ents["#site-paris-01"]["@type"] == "Organization"
    assert ents["#site-paris-01"]["name"].startswith("Hôpital universitaire Exemple Paris")
    # each round's aggregation and each site's local training: CreateActions, each with its ControlAction
    local = ents["#round-1-milan-01"]
    assert local["@type"] == "CreateAction" and local["agent"] == {"@id": "#site-milan-01"}
    assert local["instrument"] == {"@id": "#client-app"}
    assert ents["#round-2-paris-01"]["object"] == {"@id": "#round-1-model"}
    assert ents["#round-2"]["instrument"] == {"@id": "#server-app"}
    controls = [e for e in ents.values() if e["@type"] == "ControlAction"]
    assert {c["object"]["@id"] for c in controls} == {"#round-1", "#round-2", "#round-1-paris-01",
                                                        "#round-1-milan-01", "#round-2-paris-01"}  # fmt: skip
    organize = next(e for e in ents.values() if e["@type"] == "OrganizeAction")
    assert organize["result"] == {"@id": "#run"} and len(organize["object"]) == len(controls)
    weights = ents["model.safetensors"]
    assert weights["@type"] == "File" and weights["sha256"] == hashlib.sha256(WEIGHTS).hexdigest()
    # every reference points at an entity of the crate (or an absolute IRI)
    for e in ents.values():
        for v in e.values():
            for ref in v if isinstance(v, list) else [v]:
                if isinstance(ref, dict) and "@id" in ref and not ref["@id"].startswith("http"):
                    assert ref["@id"] in ents, ref


def test_same_package_bytes_on_every_attempt(trained: Registry) -> None:
    reg = trained
    assert _files(reg, MODEL_IRI) == _files(reg, MODEL_IRI)


def test_dataset_package_is_its_rdf_and_a_crate(trained: Registry) -> None:
    reg = trained
    iri = "https://w3id.org/fairgrid/dataset/mds-registry-hub-a"
    files = _files(reg, iri)
    assert sorted(files) == ["dataset.jsonld", "dataset.ttl", "ro-crate-metadata.json"]
    stored = reg.records.get(ME, iri)
    ttl = ox.parse(files["dataset.ttl"], format=ox.RdfFormat.TURTLE)
    jsonld = ox.parse(files["dataset.jsonld"], format=ox.RdfFormat.JSON_LD)
    assert len(list(ttl)) == len(list(jsonld)) == len(stored.triples)
    ents = _entities(json.loads(files["ro-crate-metadata.json"]))
    assert ents["./"]["hasPart"] == [{"@id": "dataset.ttl"}, {"@id": "dataset.jsonld"}]
    assert ents["dataset.ttl"]["encodingFormat"] == "text/turtle" and ents["dataset.ttl"]["about"] == {
        "@id": iri
    }


def test_weights_only_from_the_hub_homes_models_folder(reg: Registry, tmp_path: Path) -> None:
    home = reg.settings.home
    folder = home / "models" / "m"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(WEIGHTS)
    outside = tmp_path / "secret.safetensors"
    outside.write_bytes(b"not yours")
    (folder / "link.safetensors").symlink_to(outside)
    ok = local_weights(["https://hub.example.org/files/models/m/model.safetensors"], home)
    assert ok == (folder / "model.safetensors").resolve()
    for url in (
        "https://hub.example.org/files/models/m/../../../secret.safetensors",
        "https://hub.example.org/files/models/m/link.safetensors",
        f"file://{outside}",
        "https://hub.example.org/files/models/m/missing.safetensors",
        "https://hub.example.org/files/models/m/metrics.json",
    ):
        with pytest.raises(InputError, match="not in the hub home"):
            local_weights([url], home)


def test_model_without_weights_in_the_home_is_refused(trained: Registry) -> None:
    reg = trained
    (model_folder(reg.settings.home) / "model.safetensors").unlink()
    with pytest.raises(InputError, match="not in the hub home"):
        _files(reg, MODEL_IRI)


@pytest.mark.parametrize("bad", [[], "x", {"rounds": 3}, {"rounds": ["r"]}])
def test_malformed_metrics_are_an_input_error(bad: Any) -> None:
    with pytest.raises(InputError):
        parse_run(bad)


def test_odd_metric_values_are_dropped_not_trusted() -> None:
    run = parse_run({"rounds": [{"round": True, "metrics": {"auc": float("nan"), "n": 3, "x": {"deep": 1}}}]})
    assert run.rounds[0].number == 1 and run.rounds[0].metrics == {"n": 3}


def test_terminology_release_package(tmp_path: Path) -> None:
    iri = "https://w3id.org/fairgrid/terminology/lab-units"
    ttl = f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix dct: <http://purl.org/dc/terms/> .
    <{iri}> a skos:ConceptScheme ; dct:title "Lab units" ; dct:creator [ <http://xmlns.com/foaf/0.1/name> "Lab" ] ;
        dct:license <http://publications.europa.eu/resource/authority/licence/CC0> .
    <{iri}/g-dl> a skos:Concept ; skos:prefLabel "g/dL" ; skos:inScheme <{iri}> ."""
    rec = Record(iri, Kind.TERMINOLOGY, tuple(parse(ttl, ox.RdfFormat.TURTLE)))
    meta = zenodo_metadata(rec, {})
    assert meta["upload_type"] == "dataset" and meta["license"] == "cc0-1.0"
    with build_package(rec, {}, meta, home=tmp_path) as pkg:
        names = [f.name for f in pkg.files]
        crate = json.loads((pkg.folder / "ro-crate-metadata.json").read_text())
    assert names == ["terminology.ttl", "terminology.jsonld", "ro-crate-metadata.json"]
    assert _entities(crate)["./"]["license"] == {
        "@id": "http://publications.europa.eu/resource/authority/licence/CC0"
    }
