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
    "x10^9/l": "10*9/L",
    "x10e9/l": "10*9/L",
    "\u00d710^9/l": "10*9/L",
    "10\u2079/l": "10*9/L",
    "10^3/\u00b5l": "10*3/uL",
    "10\u00b3/\u00b5l": "10*3/uL",
    "10*3/\u00b5l": "10*3/uL",
    "tsd/\u00b5l": "10*3/uL",  # German: Tausend pro Mikroliter
    "tsd/ul": "10*3/uL",
    "/\u00b5l": "/uL",
    "/mm3": "/uL",
    "/mm\u00b3": "/uL",
}


def normalise_unit(unit: str) -> str:
    """A hospital's spelling of a unit -> its UCUM code (unchanged if unknown)."""
    return ALIASES.get(unit.strip().lower(), unit.strip())


# Cell counts as European laboratories write them: G/L (giga per litre) and Gpt/L (German Gigapartikel)
# mean 10*9/L. Only for counts: case-insensitively, "G/L" would read as grams per litre.
COUNT_ALIASES = frozenset({"G/L", "G/l", "Gpt/L", "Gpt/l", "Giga/L", "Giga/l"})


def ucum_code(lab: Lab, unit: str) -> str:
    """The UCUM code of a unit as a laboratory writes it for `lab` ("G/L" of platelets -> "10*9/L")."""
    if lab.unit == "10*9/L" and unit.strip() in COUNT_ALIASES:
        return lab.unit
    return normalise_unit(unit)


def factor(lab: Lab, unit: str) -> float:
    """The factor converting a value in `unit` into the lab's canonical unit; UnitMismatch if none.

    The lab's own table first (fast, and the conversions docs/cdm.md lists), then any other UCUM unit of
    the same dimension by UCUM's grammar (g/l, 10*9/l and /uL are UCUM too), with the criteria's converter
    so that a bound and a stored value are converted alike."""
    if unit == lab.unit:
        return 1.0
    code = ucum_code(lab, unit)
    for candidate in dict.fromkeys((unit, code)):
        if candidate == lab.unit:
            return 1.0
        for alt, conversion in lab.alt_units:
            if candidate == alt:
                return conversion
    from federation.criteria import units as ucum  # UCUM's grammar: about 1 s to build, on first use

    try:
        return ucum.factor(code, lab.unit, lab.loinc)
    except ucum.UnitError:
        accepted = ", ".join([lab.unit, *(alt for alt, _ in lab.alt_units)])
        raise UnitMismatch(
            f"unit {unit!r} is not convertible to {lab.unit} for LOINC {lab.loinc} ({accepted}, or another "
            "UCUM unit of the same kind)"
        ) from None
