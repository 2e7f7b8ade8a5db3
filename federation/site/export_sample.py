"""A small FHIR server export in the forms hospital systems write, for `make demo` to load.

Every record here is a form a real export has and the loader once refused or miscounted: a gzipped
search answer (an OperationOutcome entry, a Practitioner), ICD-10-GM codes with their certainty, a
refuted diagnosis, a laboratory's own code before LOINC, a result reported as a bound, a death without
its date, a subject on the server's base URL. The patients are fictional.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

from federation.cdm import build
from federation.cdm import codes as cdm
from federation.criteria import parse_criteria
from federation.site import evaluate
from federation.site.store import LoadReport, SiteStore
from federation.site.terminology import Terminology

SERVER = "https://fhir.example-hospital.de/fhir/"
GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
CERTAINTY = "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit"


def _gm_myeloma(rid: str, pid: str, certainty: str) -> dict[str, Any]:
    coding = {
        "system": GM,
        "code": "C90.00",
        "extension": [{"url": CERTAINTY, "valueCoding": {"code": certainty}}],
    }
    return {
        "resourceType": "Condition",
        "id": rid,
        "code": {"coding": [coding]},
        "subject": {"reference": SERVER + "Patient/" + pid},
        "recordedDate": "2021-03-02",
    }


def resources() -> list[dict[str, Any]]:
    refuted = build.diagnosis("c-dx", "c", "mm", "IgG", "2020-05-01")
    refuted["verificationStatus"]["coding"][0]["code"] = "refuted"
    mp = cdm.LAB_BY_KEY["m_protein"]
    below = build.lab("a-mp", "a", mp, 0.5, "g/dL", "2021-03-02", comparator="<")
    below["code"]["coding"].insert(0, {"system": "urn:oid:1.2.276.0.76.3.1.99", "code": "MPROT"})
    measured = build.lab("b-mp", "b", mp, 2.1, "g/dL", "2021-03-05")
    dead = {**build.patient("b", "female", "1948-07"), "deceasedBoolean": True}
    return [
        build.patient("a", "male", "1952-01"),
        dead,
        build.patient("c", "male", "1960-11"),
        _gm_myeloma("a-dx", "a", "G"),
        _gm_myeloma("b-dx", "b", "G"),
        refuted,
        below,
        measured,
        {"resourceType": "Practitioner", "id": "dr-1"},
        {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]},
    ]


def load_sample(terminology: Terminology | None = None) -> tuple[LoadReport, int, int]:
    """Load the sample into a scratch site store: (report, patients with myeloma, of them with measurable
    disease: M-protein at least 0.5 g/dL)."""
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources()]}
    with tempfile.TemporaryDirectory(prefix="fairgrid-export-") as tmp:
        path = Path(tmp) / "search.json.gz"
        path.write_bytes(gzip.compress(json.dumps(bundle).encode()))
        with SiteStore(Path(tmp) / "store.duckdb", terminology=terminology or Terminology.load()) as store:
            report = store.load([path])
            myeloma = [{"type": "diagnosis", "system": "icd10", "code": "C90"}]
            mp = {"type": "lab", "loinc": cdm.LAB_BY_KEY["m_protein"].loinc, "min": 0.5, "unit": "g/dL"}
            with_mm = evaluate.count(store, parse_criteria({"inclusion": [myeloma]}))
            measurable = evaluate.count(store, parse_criteria({"inclusion": [myeloma, [mp]]}))
    return report, with_mm, measurable
