"""Builders for the CDM's FHIR R4B resources, as plain JSON-ready dicts.

The synthesiser and the ETL both build resources here, so the shape of every resource type is defined once.
Dicts (not fhir.resources models) because building a million models is slow; the ETL validates each built
dict with fhir.resources, and the tests validate samples of the synthesiser's output.
Key order is fixed by construction, which keeps the NDJSON output byte-stable.
"""

from __future__ import annotations

from typing import Any

from federation.cdm import codes as cdm

Json = dict[str, Any]


def _ref(pid: str) -> Json:
    return {"reference": "Patient/" + pid}


def _cc(system: str, code: str, display: str | None = None) -> Json:
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _obs(rid: str, pid: str, category: str, code: Json, date: str) -> Json:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [_cc(cdm.OBS_CATEGORY, category)],
        "code": code,
        "subject": _ref(pid),
        "effectiveDateTime": date,
    }


def patient(pid: str, sex: str, birth: str | None, deceased: str | None = None) -> Json:
    """`birth` is YYYY-MM (generalised, see docs/cdm.md), None when the export leaves it out; `sex` is
    male|female|other|unknown."""
    res: Json = {"resourceType": "Patient", "id": pid, "gender": sex}
    if birth is not None:
        res["birthDate"] = birth
    if deceased:
        res["deceasedDateTime"] = deceased
    return res


def diagnosis(rid: str, pid: str, use_case: str, subtype: str, onset: str) -> Json:
    icd, icd_display = cdm.SUBTYPE_ICD10[subtype]
    orpha, orpha_display = cdm.ORPHA_CODES[use_case]
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
        "verificationStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
        "category": [_cc(cdm.COND_CATEGORY, "encounter-diagnosis")],
        "code": {
            "coding": [
                {"system": cdm.ICD10_SYSTEM, "code": icd, "display": icd_display},
                {"system": cdm.ORPHA_SYSTEM, "code": orpha, "display": orpha_display},
                {"system": cdm.FG_SUBTYPE, "code": subtype},
            ]
        },
        "subject": _ref(pid),
        "onsetDateTime": onset,
    }


def outcome(rid: str, pid: str, key: str, date: str) -> Json:
    """An outcome event (AML transformation, myeloma progression) as a Condition with its onset date."""
    codings: list[Json] = [{"system": cdm.FG_OUTCOME, "code": key, "display": cdm.OUTCOMES[key]}]
    if key == "aml-transformation":
        codings.insert(0, {"system": cdm.ICD10_SYSTEM, "code": cdm.AML_ICD10[0], "display": cdm.AML_ICD10[1]})
    return {
        "resourceType": "Condition",
        "id": rid,
        "category": [_cc(cdm.FG_OUTCOME, "outcome")],
        "code": {"coding": codings},
        "subject": _ref(pid),
        "onsetDateTime": date,
    }


def lab(
    rid: str, pid: str, lab_def: cdm.Lab, value: float, unit: str, date: str, comparator: str = ""
) -> Json:
    """`comparator` ("<", "<=", ">", ">=") marks a value reported as a bound: "<0.5" g/dL."""
    res = _obs(rid, pid, "laboratory", _cc(cdm.LOINC, lab_def.loinc, lab_def.display), date)
    quantity: Json = {"value": value}
    if comparator:
        quantity["comparator"] = comparator
    res["valueQuantity"] = {**quantity, "unit": unit, "system": cdm.UCUM, "code": unit}
    return res


def _present(present: bool) -> Json:
    return _cc(cdm.LOINC, cdm.PRESENT if present else cdm.ABSENT, "Present" if present else "Absent")


def cytogenetics(rid: str, pid: str, key: str, present: bool, date: str) -> Json:
    res = _obs(rid, pid, "laboratory", _cc(cdm.FG_CYTO, key, cdm.CYTOGENETICS[key]), date)
    res["valueCodeableConcept"] = _present(present)
    return res


def _gene_component(gene: str) -> Json:
    return {
        "code": _cc(cdm.LOINC, cdm.GENE_STUDIED, "Gene studied [ID]"),
        "valueCodeableConcept": _cc(cdm.HGNC, cdm.GENES[gene], gene),
    }


def region_studied(rid: str, pid: str, genes: list[str], date: str) -> Json:
    """The genes the NGS panel covered; a gene covered without a variant Observation is wild type."""
    res = _obs(
        rid, pid, "laboratory", _cc(cdm.LOINC, cdm.REGION_STUDIED, "DNA region of interest panel"), date
    )
    res["component"] = [_gene_component(gene) for gene in genes]
    return res


def variant(
    rid: str, pid: str, gene: str, date: str, vaf: float | None = None, change: str | None = None
) -> Json:
    res = _obs(
        rid, pid, "laboratory", _cc(cdm.LOINC, cdm.VARIANT_ASSESSMENT, "Genetic variant assessment"), date
    )
    res["valueCodeableConcept"] = _present(True)
    comps = [_gene_component(gene)]
    if change is not None:
        comps.append(
            {
                "code": _cc(cdm.LOINC, cdm.AMINO_ACID_CHANGE, "Amino acid change (pHGVS)"),
                "valueCodeableConcept": _cc(cdm.HGVS, change, change),
            }
        )
    if vaf is not None:
        comps.append(
            {
                "code": _cc(cdm.LOINC, "81258-6", "Sample variant allelic frequency"),
                "valueQuantity": {"value": vaf, "unit": "%", "system": cdm.UCUM, "code": "%"},
            }
        )
    res["component"] = comps
    return res


def genotype(rid: str, pid: str, genotype_key: str, date: str) -> Json:
    code = _cc(cdm.LOINC, cdm.VARIANT_ASSESSMENT, "Genetic variant assessment")
    res = _obs(rid, pid, "laboratory", code, date)
    res["valueCodeableConcept"] = _cc(cdm.FG_GENOTYPE, genotype_key, cdm.HBB_GENOTYPES[genotype_key])
    res["component"] = [
        {
            "code": _cc(cdm.LOINC, cdm.GENE_STUDIED, "Gene studied [ID]"),
            "valueCodeableConcept": _cc(cdm.HGNC, "HGNC:4827", "HBB"),
        }
    ]
    return res


def score(rid: str, pid: str, key: str, value: float, category: str, date: str) -> Json:
    res = _obs(rid, pid, "survey", _cc(cdm.FG_SCORE, key, cdm.SCORES[key]), date)
    res["valueQuantity"] = {"value": value, "unit": "{score}", "system": cdm.UCUM, "code": "{score}"}
    res["interpretation"] = [{"text": category}]
    return res


def medication(rid: str, pid: str, med: str, start: str, end: str | None) -> Json:
    atc, name = cdm.MEDICATIONS[med]
    period: Json = {"start": start}
    if end:
        period["end"] = end
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "completed" if end else "active",
        "medicationCodeableConcept": _cc(cdm.ATC, atc, name),
        "subject": _ref(pid),
        "effectivePeriod": period,
    }


def procedure(rid: str, pid: str, key: str, date: str) -> Json:
    return {
        "resourceType": "Procedure",
        "id": rid,
        "status": "completed",
        "code": {
            "coding": [
                {
                    "system": cdm.SNOMED,
                    "code": cdm.HSCT_SNOMED,
                    "display": "Hemopoietic stem cell transplant",
                },
                {"system": cdm.FG_PROC, "code": key, "display": cdm.PROCEDURES[key]},
            ]
        },
        "subject": _ref(pid),
        "performedDateTime": date,
    }


def encounter(rid: str, pid: str, start: str, end: str) -> Json:
    """An inpatient admission for a vaso-occlusive crisis."""
    return {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {"system": cdm.V3_ACT, "code": "IMP", "display": "inpatient encounter"},
        "subject": _ref(pid),
        "period": {"start": start, "end": end},
        "reasonCode": [_cc(cdm.ICD10_SYSTEM, cdm.VOC_ICD10[0], cdm.VOC_ICD10[1])],
    }
