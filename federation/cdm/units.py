"""UCUM unit handling for the CDM's labs: every lab is stored in one canonical unit."""

from __future__ import annotations

from federation.cdm.codes import Lab
from registry.errors import InputError


class UnitMismatch(InputError):
    code = "unit_mismatch"
    hint = "report the value in the lab's canonical UCUM unit or one listed in docs/cdm.md"


# Spellings hospitals use for UCUM units (case-insensitive lookup) -> UCUM code.
ALIASES: dict[str, str] = {
    "g/dl": "g/dL",
    "g/l": "g/L",
    "mmol/l": "mmol/L",
    "10^9/l": "10*9/L",
    "10e9/l": "10*9/L",
    "g/l (x10^9)": "10*9/L",
    "10*9/l": "10*9/L",
    "giga/l": "10*9/L",
    "10^3/ul": "10*3/uL",
    "10*3/ul": "10*3/uL",
    "k/ul": "10*3/uL",
    "/nl": "/nL",
    "%": "%",
    "percent": "%",
    "u/l": "U/L",
    "iu/l": "U/L",
    "ukat/l": "ukat/L",
    "µkat/l": "ukat/L",
    "mg/l": "mg/L",
    "ug/ml": "ug/mL",
    "µg/ml": "ug/mL",
    "mg/dl": "mg/dL",
}


def normalise_unit(unit: str) -> str:
    """A hospital's spelling of a unit -> its UCUM code (unchanged if unknown)."""
    return ALIASES.get(unit.strip().lower(), unit.strip())


def factor(lab: Lab, unit: str) -> float:
    """The factor converting a value in `unit` into the lab's canonical unit; UnitMismatch if none."""
    if unit == lab.unit:
        return 1.0
    for alt, conversion in lab.alt_units:
        if unit == alt:
            return conversion
    accepted = ", ".join([lab.unit, *(alt for alt, _ in lab.alt_units)])
    raise UnitMismatch(f"unit {unit!r} is not convertible to {lab.unit} for LOINC {lab.loinc} ({accepted})")
