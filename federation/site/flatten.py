"""Fast structural check of one CDM resource and its flattening into the site store's fact rows.

This is the site loader's fast path: it checks what the store and the queries depend on (resource type, id
syntax, subject reference, dates, codes known to the CDM, units convertible to the canonical UCUM unit, values
physically possible) without building fhir.resources models. It does *not* check every FHIR cardinality and
datatype rule; the ETL does full fhir.resources validation (see docs/cdm.md, "What the loader checks").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from federation.cdm import codes as cdm
from federation.cdm.units import factor
from federation.site.elements import (
    Json,
    OutsideCdm,
    RecordError,
    codings,
    date_of,
    element,
    is_fhir_resource,
    kind_of,
    number,
    parse_date,
    repeated,
    subject,
)
from federation.site.statuses import not_counted
from registry import code_forms
from registry.errors import InputError

# rid, idx, patient_id, rtype, kind, system, code, value_num, unit, value_code, start, end
Fact = tuple[str, int, str, str, str, str, str, float | None, str, str, str, str]
# patient_id, sex, birth_date, deceased_date, deceased (also when the date is unknown)
PatientRow = tuple[str, str, str, str, bool]

MEDICATIONS = ("MedicationStatement", "MedicationAdministration", "MedicationRequest")
SUPPORTED = ("Patient", "Condition", "Observation", *MEDICATIONS, "Procedure", "Encounter")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}\Z")
SEXES = ("male", "female", "other", "unknown")  # FHIR administrative gender


def _gene(comp: Any) -> str:
    for system, code in codings(comp.get("valueCodeableConcept") if isinstance(comp, dict) else None, "gene"):
        if system == "hgnc" and code in cdm.HGNC_TO_GENE:
            return cdm.HGNC_TO_GENE[code]
        if system == "hgnc" and code == "HGNC:4827":
            return "HBB"
        raise RecordError(f"unknown gene code {system}|{code}")
    raise RecordError("gene component without a code")  # pragma: no cover - codings never returns []


_HGVS_P = re.compile(r"[cgp]\.[A-Za-z0-9_>*=+-]{1,58}\Z")


def _change(comps: list[Any]) -> str | None:
    """The HGVS change of a variant Observation (LOINC 48005-3 component), if it reports one."""
    for comp in comps:
        if not isinstance(comp, dict):
            continue
        if dict(codings(comp.get("code"), "component.code")).get("loinc") != cdm.AMINO_ACID_CHANGE:
            continue
        value = dict(codings(comp.get("valueCodeableConcept"), "component.valueCodeableConcept")).get("hgvs")
        if not isinstance(value, str) or not _HGVS_P.match(value):
            raise RecordError(f"amino acid change: {value!r} is not an HGVS change such as p.K700E")
        return value
    return None


def _present(res: Json) -> str:
    codes = dict(codings(res.get("valueCodeableConcept"), "valueCodeableConcept"))
    answer = codes.get("loinc")
    if answer == cdm.PRESENT:
        return "present"
    if answer == cdm.ABSENT:
        return "absent"
    raise RecordError("valueCodeableConcept: expected LOINC LA9633-4 (present) or LA9634-2 (absent)")


CodeCheck = Callable[[str, str], bool]


Flattened = tuple[str, str, str, list[Fact], PatientRow | None]


def flatten(res: Any, known: CodeCheck) -> Flattened:
    """Check one resource -> (resource type, id, patient id, fact rows, patient row); RecordError if bad.

    `known(system, code)` says whether a diagnosis code exists (terminology or the ICD-10 fallback).
    """
    if not isinstance(res, dict):
        raise RecordError("not a JSON object")
    rtype = res.get("resourceType")
    if rtype not in SUPPORTED:
        if rtype == "Bundle":
            raise RecordError("a Bundle inside a file of resources: load it as a file of its own (.json)")
        if isinstance(rtype, str) and is_fhir_resource(rtype):
            raise OutsideCdm(rtype)
        raise RecordError(
            f"resource type {rtype!r} is neither FHIR R4B nor used by the CDM ({', '.join(SUPPORTED)})"
        )
    rid = res.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise RecordError(f"{rtype}: id {rid!r} is missing or not a FHIR id")
    key = f"{rtype}/{rid}"
    if rtype == "Patient":
        return rtype, rid, rid, [], _patient(res, rid)
    pid = subject(res)
    try:
        void = not_counted(res)
    except ValueError as exc:
        raise RecordError(str(exc)) from None
    if void:  # kept, so that a later load of the same id replaces it, but no fact: it did not happen
        return rtype, rid, pid, [], None
    facts: list[Fact] = []

    def fact(kind: str, system: str, code: str, num: float | None = None, unit: str = "",
             vcode: str = "", start: str = "", end: str = "") -> None:  # fmt: skip
        facts.append((key, len(facts), pid, rtype, kind, system, code, num, unit, vcode, start, end))

    if rtype == "Condition":
        # MII's German profile requires recordedDate and leaves the onset optional
        onset = date_of(res, "onsetDateTime", "onsetPeriod", "recordedDate")
        categories = repeated(res, "category")
        cats = [code for _, code in codings(categories[0], "category")] if categories else []
        kind = "outcome" if "outcome" in cats else "diagnosis"
        for system, code in _condition_codes(res, known):
            fact(kind, system, code, start=onset)
    elif rtype == "Observation":
        _observation(res, fact)
    elif rtype in MEDICATIONS:
        start, end = _medication_dates(res)
        for system, code in codings(*_medication(res)):
            if system == "atc" and code not in cdm.ATC_TO_MED:
                raise RecordError(f"unknown ATC code {code!r}")
            fact("medication", system, code, start=start, end=end)
    elif rtype == "Procedure":
        when = date_of(res, "performedDateTime", "performedPeriod")
        for system, code in codings(res.get("code"), "code"):
            fact("procedure", system, code, start=when)
    else:  # Encounter
        period = element(res, "period")
        start = parse_date(period.get("start"), "period.start")
        end = parse_date(period.get("end"), "period.end") if period.get("end") else ""
        if end and end < start:
            raise RecordError(f"period ends ({end}) before it starts ({start})")
        for reason in repeated(res, "reasonCode"):  # none: statuses.not_counted has passed it by
            for system, code in codings(reason, "reasonCode"):
                fact("encounter", system, code, start=start, end=end)
    return rtype, rid, pid, facts, None


def _medication_dates(res: Json) -> tuple[str, str]:
    """(start, end) of a medication: a period (no end: still taken), or a point in time: an administration
    or a statement at one dateTime, or a prescription's authoredOn (EHR exports record drugs as these)."""
    if res.get("resourceType") == "MedicationRequest":
        day = date_of(res, "authoredOn")
        return day, day
    period = element(res, "effectivePeriod")
    start = date_of(res, "effectivePeriod", "effectiveDateTime")
    if not period:
        return start, start
    end = parse_date(period["end"], "effectivePeriod.end") if period.get("end") else ""
    if end and end < start:
        raise RecordError(f"effectivePeriod ends ({end}) before it starts ({start})")
    return start, end


def _medication(res: Json) -> tuple[Any, str]:
    """The medication's CodeableConcept: its own, or that of the Medication it contains and refers to
    ("#med1"), as EHR exports write it."""
    ref = element(res, "medicationReference").get("reference")
    if res.get("medicationCodeableConcept") is not None or ref is None:
        return res.get("medicationCodeableConcept"), "medicationCodeableConcept"
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise RecordError(
            f"medicationReference {ref!r}: the CDM reads the code from medicationCodeableConcept or from "
            "a contained Medication (#id)"
        )
    inner = res.get("contained")
    for med in inner if isinstance(inner, list) else []:
        if isinstance(med, dict) and med.get("resourceType") == "Medication" and med.get("id") == ref[1:]:
            return med.get("code"), "contained Medication.code"
    raise RecordError(f"medicationReference {ref}: no contained Medication with that id")


def _patient(res: Json, rid: str) -> PatientRow:
    for key in ("name", "identifier", "telecom", "address", "photo"):
        if key in res:
            raise RecordError(f"Patient.{key} is a direct identifier and must not reach the site store")
    sex = res.get("gender", "unknown")
    if not isinstance(sex, str) or sex not in SEXES:
        raise RecordError(f"gender {sex!r} is not one of {list(SEXES)}")
    # an export that leaves birth dates out (de-identified) still loads; age criteria pass such patients by
    birth = parse_date(res["birthDate"], "birthDate") if res.get("birthDate") is not None else ""
    dead = parse_date(res["deceasedDateTime"], "deceasedDateTime") if res.get("deceasedDateTime") else ""
    today = date.today().isoformat()
    if birth > today:
        raise RecordError(f"birthDate {res['birthDate']} is in the future")
    if dead > today:
        raise RecordError(f"deceasedDateTime {res['deceasedDateTime']} is in the future")
    if dead and birth and dead < birth:
        raise RecordError(f"deceasedDateTime {dead} is before birthDate {birth}")
    flag = res.get("deceasedBoolean")  # many systems know that, not when, a patient died
    if flag is not None and not isinstance(flag, bool):
        raise RecordError(f"deceasedBoolean: must be true or false, not {kind_of(flag)}")
    return rid, sex, birth, dead, bool(dead) or flag is True


def _observation(res: Json, fact: Callable[..., None]) -> None:
    when = date_of(res, "effectiveDateTime", "effectiveInstant", "effectivePeriod")
    system, code = _observation_code(codings(res.get("code"), "code"))
    comps = repeated(res, "component")
    if system == "loinc" and code in cdm.LAB_BY_ANY_LOINC:
        lab = cdm.LAB_BY_ANY_LOINC[code]
        quantity = res.get("valueQuantity")
        if (
            not isinstance(quantity, dict)
            or not isinstance(quantity.get("value"), int | float)
            or isinstance(quantity["value"], bool)
        ):
            raise RecordError(f"{lab.key}: needs valueQuantity.value as a number")
        raw = number(quantity["value"], f"{lab.key}: valueQuantity.value")
        unit = quantity.get("code") or quantity.get("unit") or ""
        if not isinstance(unit, str):
            raise RecordError(f"{lab.key}: valueQuantity.code and .unit must be strings, not {kind_of(unit)}")
        try:
            conversion = factor(lab, unit)
        except InputError as exc:
            raise RecordError(exc.message) from None
        value = raw * conversion
        if not math.isfinite(value):
            raise RecordError(f"{lab.key}: {quantity['value']} {unit} is too large a value")
        if lab.nonnegative and value < 0:
            raise RecordError(f"{lab.key}: negative value {quantity['value']} is impossible")
        if lab.max_value is not None and value > lab.max_value:
            raise RecordError(f"{lab.key}: {quantity['value']} {unit} is above the possible maximum")
        comparator = quantity.get("comparator") or ""  # "<0.1": below what the method detects
        if comparator not in ("", "<", "<=", ">", ">="):
            raise RecordError(f"{lab.key}: valueQuantity.comparator {comparator!r} is not <, <=, > or >=")
        fact("lab", "loinc", lab.loinc, round(value, 6), lab.unit, vcode=comparator, start=when)
    elif system == "fg-cyto":
        if code not in cdm.CYTOGENETICS:
            raise RecordError(f"unknown cytogenetic finding {code!r}")
        fact("cyto", system, code, vcode=_present(res), start=when)
    elif system == "fg-score":
        if code not in cdm.SCORES:
            raise RecordError(f"unknown score {code!r}")
        quantity = element(res, "valueQuantity")
        if (
            not isinstance(quantity.get("value"), int | float)
            or isinstance(quantity["value"], bool)
            or quantity["value"] < 0
        ):
            raise RecordError(f"{code}: needs a non-negative valueQuantity.value")
        score = number(quantity["value"], f"{code}: valueQuantity.value")
        interpretation = repeated(res, "interpretation")
        cat = str(element(interpretation[0], "interpretation[0]").get("text", "")) if interpretation else ""
        fact("score", system, code, score, vcode=cat, start=when)
    elif system == "loinc" and code == cdm.REGION_STUDIED:
        if not comps:
            raise RecordError("region studied: needs one component per gene")
        for comp in comps:
            fact("gene_tested", "hgnc", _gene(comp), start=when)
    elif system == "loinc" and code == cdm.VARIANT_ASSESSMENT:
        if not comps:
            raise RecordError("variant: needs a gene-studied component")
        gene = _gene(comps[0])
        if gene == "HBB":
            geno = dict(codings(res.get("valueCodeableConcept"), "valueCodeableConcept")).get(
                "fg-hbb-genotype"
            )
            if geno not in cdm.HBB_GENOTYPES:
                raise RecordError(f"unknown HBB genotype {geno!r}")
            fact("genotype", "fg-hbb-genotype", geno, vcode=geno, start=when)
        else:
            vaf = None
            for comp in comps[1:]:
                vq = comp.get("valueQuantity") if isinstance(comp, dict) else None
                if isinstance(vq, dict) and "value" in vq:
                    vaf = number(vq["value"], "variant allele frequency")
            if vaf is not None and not 0 <= vaf <= 100:
                raise RecordError(f"variant allele frequency {vaf} is outside 0-100 %")
            present = _present(res)
            fact("variant", "hgnc", gene, vaf, "%" if vaf is not None else "", present, start=when)
            change = _change(comps[1:])
            if change is not None:  # queried as gene:change (federation/criteria `change`)
                fact("variant_change", "hgvs", f"{gene}:{change}", vcode=present, start=when)
    else:
        raise RecordError(f"unknown observation code {system}|{code}")


def _observation_code(codes: list[tuple[str, str]]) -> tuple[str, str]:
    """The coding the CDM reads: lab systems often put their local code first and LOINC after it."""
    for system, code in codes:
        if system in ("fg-cyto", "fg-score") or (system == "loinc" and code in _OBSERVATION_LOINC):
            return system, code
    if len(codes) == 1:
        return codes[0]
    written = ", ".join(f"{system}|{code}" for system, code in codes)
    raise RecordError(f"none of the codings is an observation code of the CDM ({written})")


_OBSERVATION_LOINC = frozenset(cdm.LAB_BY_ANY_LOINC) | {cdm.REGION_STUDIED, cdm.VARIANT_ASSESSMENT}
_CONDITION_SYSTEMS = ("icd10", "icd10-gm", "orpha", "fg-subtype", "fg-outcome", "snomed")


def _condition_codes(res: Json, known: CodeCheck) -> list[tuple[str, str]]:
    """The codings of a Condition in systems the CDM uses; codings in other systems (a hospital's own
    code beside ICD-10) are alternatives FHIR allows, and are passed over."""
    out = []
    given = codings(res.get("code"), "code")
    for system, written in given:
        if system not in _CONDITION_SYSTEMS:
            continue
        code = written
        if system == "icd10":  # "D469", as many hospital systems store it, is D46.9
            code = code_forms.icd10(written)
        elif system == "icd10-gm":  # C90.00 refines WHO's C90.0 (docs/cdm.md)
            system, code = "icd10", code_forms.icd10_gm_to_who(written)
        if system in ("icd10", "orpha") and not known(system, code):
            if code != code_forms.icd10(written):
                raise RecordError(f"ICD-10-GM code {written!r}: WHO ICD-10 has no {code}")
            raise RecordError(f"unknown {system} code {written!r}")
        out.append((system, code))
    if not out:
        systems = ", ".join(sorted({system for system, _ in given}))
        raise RecordError(
            f"code: no coding in a code system the CDM uses for conditions (ICD-10, ICD-10-GM, ORPHA, "
            f"SNOMED CT, fairgrid subtypes and outcomes); found {systems}"
        )
    return list(dict.fromkeys(out))  # ICD-10 and ICD-10-GM codings of one diagnosis give one fact
