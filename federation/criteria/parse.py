"""Reading a criteria document: JSON Schema first, then meaning (codes, units, ranges), then normal form.

Every problem is reported as one error naming the offending part by its JSON pointer, before anything is
sent to a site: `/inclusion/1/0/unit: unknown UCUM unit "mg/dl/x"`. Unknown codes are errors, never a
silent zero. The result is normalised (codes upper-cased, lab bounds in the common data model's unit,
groups de-duplicated and sorted) so two spellings of one question are one query. Descendants of codes
are not expanded here: each site expands them from its own terminologies.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from federation.cdm import codes as cdm
from federation.criteria import model as m
from federation.criteria.units import UnitError, check_unit, convert
from registry import code_forms, json_text
from registry.errors import InputError

# (system, code) -> whether the registry's terminologies hold the code; None skips the check (sites).
Known = Callable[[str, str], bool]


class CriteriaError(InputError):
    code = "invalid_criteria"
    hint = "fix the named part of the criteria (see GET /schemas/criteria.json) and ask again"

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer or '/'}: {reason}", details={"pointer": pointer or "/", "reason": reason})


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The published JSON Schema (also served at GET /schemas/criteria.json)."""
    text = resources.files("federation.criteria").joinpath("criteria.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(schema(), format_checker=FormatChecker())


def _pointer(parts: Any) -> str:
    return "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in parts)


def _schema_error(doc: Any) -> CriteriaError | None:
    from jsonschema.exceptions import best_match

    err = best_match(_validator().iter_errors(doc))
    if err is None:
        return None
    where = list(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set(err.schema.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in allowed)
        if extra:
            return CriteriaError(_pointer([*where, extra[0]]), f"unknown property {extra[0]!r}")
    if err.validator == "required" and isinstance(err.instance, dict):
        return CriteriaError(_pointer(where), err.message.replace("'", '"'))
    return CriteriaError(_pointer(where), err.message)


def parse_criteria(doc: Any, *, known: Known | None = None) -> m.Criteria:
    """A checked, normalised Criteria, or CriteriaError naming the first offending part."""
    if isinstance(doc, str | bytes):
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            raise CriteriaError("", f"not JSON: {exc}") from None
    problem = _schema_error(doc)
    if problem is not None:
        raise problem
    inclusion: list[tuple[m.Criterion, ...]] = []
    for gi, group in enumerate(doc.get("inclusion", [])):
        items = {_criterion(c, f"/inclusion/{gi}/{ci}", known) for ci, c in enumerate(group)}
        inclusion.append(tuple(sorted(items, key=m.sort_key)))
    exclusion = {_criterion(c, f"/exclusion/{i}", known) for i, c in enumerate(doc.get("exclusion", []))}
    groups = sorted(set(inclusion), key=lambda g: json.dumps([m.sort_key(c) for c in g]))
    if not groups:
        raise CriteriaError(
            "/inclusion", "at least one inclusion group is needed (a count of everyone is not a query)"
        )
    return m.Criteria(tuple(groups), tuple(sorted(exclusion, key=m.sort_key)))


def _within(doc: dict[str, Any], at: str) -> m.Within | None:
    w = doc.get("within")
    if w is None:
        return None
    if "months_after_diagnosis" in w:
        return m.Within(months_after_diagnosis=int(w["months_after_diagnosis"]))
    start, end = (_date(w.get(k), f"{at}/within/{k}") for k in ("from", "to"))
    if start and end and start > end:
        raise CriteriaError(f"{at}/within", f"'from' {start} is after 'to' {end}")
    return m.Within(start, end)


def _date(value: str | None, at: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CriteriaError(at, f"{value!r} is not a real date (YYYY-MM-DD)") from None


def _criterion(c: dict[str, Any], at: str, known: Known | None) -> m.Criterion:
    kind = c["type"]
    if kind == "diagnosis":
        return _diagnosis(c, at, known)
    if kind == "age":
        lo, hi = c.get("min"), c.get("max")
        if lo is not None and hi is not None and lo > hi:
            raise CriteriaError(f"{at}/min", f"min {lo} is above max {hi}")
        return m.Age(lo, hi, c.get("at", "today"))
    if kind == "sex":
        return m.Sex(c["value"])
    if kind == "lab":
        return _lab(c, at)
    if kind == "variant":
        gene = c["gene"].upper()
        if gene not in cdm.GENES:
            raise CriteriaError(
                f"{at}/gene", f"gene {gene!r} is not on the consortium's panels ({', '.join(cdm.GENES)})"
            )
        change = c.get("change")
        return m.Variant(gene, None if change is None else _one_letter(change), _within(c, at))
    if kind == "medication":
        atc = c["atc"].upper()
        if atc not in cdm.ATC_TO_MED:
            raise CriteriaError(f"{at}/atc", f"ATC code {atc!r} is not a medication of the common data model")
        return m.Medication(atc, _within(c, at))
    if kind == "procedure":
        code = c["code"]
        code = code.lower() if code.lower() in cdm.PROCEDURES else code
        if code not in cdm.PROCEDURES and code != cdm.HSCT_SNOMED:
            allowed = ", ".join([cdm.HSCT_SNOMED, *cdm.PROCEDURES])
            raise CriteriaError(f"{at}/code", f"unknown procedure code {code!r} (known: {allowed})")
        return m.Procedure(code, _within(c, at))
    code = c["code"].lower()
    if code not in cdm.OUTCOMES:
        raise CriteriaError(f"{at}/code", f"unknown outcome {code!r} (known: {', '.join(cdm.OUTCOMES)})")
    return m.Outcome(code, _within(c, at))


def _diagnosis(c: dict[str, Any], at: str, known: Known | None) -> m.Diagnosis:
    system = c["system"].lower()
    code = c["code"].strip().upper()
    if system == "icd10":
        code = code_forms.icd10(code)  # "D469", as many hospital systems store it, is D46.9
    if system == "orpha":
        code = code_forms.orpha(code)
        if not code.isdigit():
            raise CriteriaError(
                f"{at}/code", f"ORPHA codes are numbers (ORPHA:232 or 232), not {c['code']!r}"
            )
    if known is not None and not known(system, code):
        who = code_forms.icd10_gm_to_who(code) if system == "icd10" else code
        also = (
            f"; as ICD-10-GM it refines WHO's {who}: ask for {who}"
            if who != code and known(system, who)
            else ""
        )
        raise CriteriaError(
            f"{at}/code", f"unknown {system} code {code!r} in the registry's terminologies{also}"
        )
    return m.Diagnosis(system, code, bool(c.get("descendants", True)), _within(c, at))


# HGVS allows both amino-acid spellings (p.Lys700Glu = p.K700E); the normal form is the one-letter one.
_AMINO_ACIDS = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
    "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
    "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U", "Pyl": "O",
}  # fmt: skip
_THREE_LETTER = re.compile("|".join(_AMINO_ACIDS))


def _one_letter(change: str) -> str:
    if not change.startswith("p."):
        return change
    return "p." + _THREE_LETTER.sub(lambda hit: _AMINO_ACIDS[hit.group(0)], change[2:])


def _finite(value: Any, at: str) -> float:
    """A bound as a float: JSON allows integers of any size, and Python's json reads NaN and Infinity."""
    try:
        return json_text.finite(value)
    except ValueError as exc:
        raise CriteriaError(at, str(exc)) from None


_COMPARATORS = {"<": ("max", True), "<=": ("max", False), ">": ("min", True), ">=": ("min", False)}


def _lab(c: dict[str, Any], at: str) -> m.Lab:
    lab = cdm.LAB_BY_ANY_LOINC.get(c["loinc"])  # 59260-0 (haemoglobin in mmol/L) asks for 718-7
    if lab is None:
        raise CriteriaError(f"{at}/loinc", f"LOINC {c['loinc']} is not a lab of the common data model")
    bounds: dict[str, Any] = {"min": c.get("min"), "max": c.get("max")}
    excl = {"min": bool(c.get("min_exclusive")), "max": bool(c.get("max_exclusive"))}
    given = {"min": "min", "max": "max"}  # the key each bound was given as, for error pointers
    if "comparator" in c:
        if bounds["min"] is not None or bounds["max"] is not None:
            raise CriteriaError(f"{at}/comparator", "give either comparator and value, or min/max, not both")
        given = {"min": "value", "max": "value"}
        if c["comparator"] == "=":
            bounds = {"min": c["value"], "max": c["value"]}
        else:
            side, strict = _COMPARATORS[c["comparator"]]
            bounds[side], excl[side] = c["value"], strict
    for side, v in bounds.items():
        if v is not None:
            bounds[side] = _finite(v, f"{at}/{given[side]}")
    if bounds["min"] is None and bounds["max"] is None:
        return m.Lab(lab.loinc, lab.unit, within=_within(c, at))
    unit = c.get("unit")
    if unit is None:
        raise CriteriaError(f"{at}/unit", f"a bound needs its UCUM unit (the sites store {lab.unit})")
    try:
        check_unit(unit)
        lo, hi = (
            None if v is None else convert(float(v), unit, lab.unit, lab.loinc) for v in bounds.values()
        )
    except UnitError as exc:
        raise CriteriaError(f"{at}/unit", exc.message) from None
    for side, v in (("min", lo), ("max", hi)):
        if v is not None and not math.isfinite(v):
            raise CriteriaError(
                f"{at}/{given[side]}", f"{bounds[side]:g} {unit} is out of range in {lab.unit}"
            )
    if lo is not None and hi is not None and lo > hi:
        raise CriteriaError(f"{at}/min", f"min {bounds['min']} is above max {bounds['max']}")
    return m.Lab(
        lab.loinc,
        lab.unit,
        lo,
        hi,
        excl["min"] and lo is not None,
        excl["max"] and hi is not None,
        _within(c, at),
    )
