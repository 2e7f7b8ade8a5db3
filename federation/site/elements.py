"""Readers of FHIR JSON elements for the site loader: dates, codings, references, numbers, repeating
and single elements, each checked for the JSON shape FHIR gives it and refused by name otherwise."""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any

from federation.cdm import codes as cdm
from registry import json_text
from registry.errors import InputError

Json = dict[str, Any]
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class RecordError(InputError):
    """One resource (or CSV row) that cannot be accepted; `where` says file:line."""

    code = "bad_record"
    hint = "fix or remove the reported records and load again; nothing was stored"


_DATES: dict[str, str] = {}


def parse_date(value: Any, what: str) -> str:
    """A FHIR date/dateTime -> ISO date (partial dates -> first day), checked for validity."""
    if isinstance(value, str):
        hit = _DATES.get(value)
        if hit is not None:
            return hit
        iso = _parse_date(value, what)
        if len(_DATES) < 200000:
            _DATES[value] = iso
        return iso
    raise RecordError(f"{what}: missing or not a string")


def _parse_date(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise RecordError(f"{what}: missing or not a string")
    match = _DATE.match(value)
    if not match or (len(value) > 10 and value[10] != "T"):
        raise RecordError(f"{what}: {value!r} is not a FHIR date")
    year, mo, day = int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)
    try:
        return date(year, mo, day).isoformat()
    except ValueError as exc:
        raise RecordError(f"{what}: {value!r} is not a valid date ({exc})") from None


def codings(cc: Any, what: str) -> list[tuple[str, str]]:
    if not isinstance(cc, dict) or not isinstance(cc.get("coding"), list) or not cc["coding"]:
        raise RecordError(f"{what}: needs a CodeableConcept with at least one coding")
    out = []
    for cd in cc["coding"]:
        if not isinstance(cd, dict) or not isinstance(cd.get("code"), str) or not cd.get("system"):
            raise RecordError(f"{what}: every coding needs system and code")
        system = str(cd["system"])
        out.append((cdm.SYSTEM_NAMES.get(system, system), cd["code"]))
    return out


def repeated(res: Json, key: str) -> list[Any]:
    """A repeating FHIR element: a JSON array (FHIR JSON never writes a repeating element as an object)."""
    value = res.get(key)
    if value is None or value == []:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{key}: must be a JSON array (a repeating FHIR element), not {kind_of(value)}")
    return value


def element(res: Any, key: str) -> Json:
    """A single complex FHIR element (a Period, say): a JSON object, or {} when absent."""
    value = res.get(key) if isinstance(res, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{key}: must be a JSON object, not {kind_of(value)}")
    return value


def number(value: Any, what: str) -> float:
    """A JSON number as a finite float, or RecordError. Python's JSON reader also gives NaN, Infinity
    and integers beyond a float's range, none of which is a measurement (NaN passed every range
    check and was stored; a 400-digit integer crashed the load)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise RecordError(f"{what}: needs a number, not {kind_of(value)}")
    try:
        return json_text.finite(value)
    except ValueError as exc:
        raise RecordError(f"{what}: {exc}") from None


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


# FHIR's literal reference: relative or on a server's base URL, optionally to one version of the patient
_PATIENT_REF = re.compile(
    r"(?:https?://[^\s/]+(?:/[^\s/]+)*/)?Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?"
)


def subject(res: Json) -> str:
    ref = res.get("subject", {}).get("reference") if isinstance(res.get("subject"), dict) else None
    match = _PATIENT_REF.fullmatch(ref) if isinstance(ref, str) else None
    if not match:
        raise RecordError("subject: needs a reference Patient/<id> (or <server base>/Patient/<id>)")
    return match.group(1)


class OutsideCdm(RecordError):
    """A FHIR resource of a type the CDM does not use (Practitioner, OperationOutcome): passed over."""


@functools.lru_cache(maxsize=256)
def is_fhir_resource(name: str) -> bool:
    from fhir.resources.R4B import get_fhir_model_class  # 0.2 s: only for a type outside the CDM
    from fhir.resources.R4B.resource import Resource

    try:
        return issubclass(get_fhir_model_class(name), Resource)
    except (ValueError, TypeError):
        return False


def date_of(res: Json, *keys: str) -> str:
    """The first of the FHIR date choices `keys` that is present, as an ISO date; a key ending in
    "Period" gives its start."""
    for key in (key for key in keys if res.get(key) is not None):
        if key.endswith("Period"):
            return parse_date(element(res, key).get("start"), f"{key}.start")
        return parse_date(res[key], key)
    raise RecordError(f"needs a date: one of {', '.join(keys)}")
