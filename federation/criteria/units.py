"""UCUM units for criteria: parsed and converted by ucumvert (a UCUM grammar over pint), not by hand tables.

A mass concentration and a substance concentration of the same analyte differ by its molar mass, which
UCUM alone cannot know; the few the common data model needs are facts listed here with their source.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from registry.errors import InputError

# Molar masses (g/mol) for substance <-> mass conversions, by LOINC of the lab.
# Haemoglobin: the monomer (16,114 g/mol), as clinical laboratories convert mmol/L to g/dL
# (1 mmol/L = 1.6114 g/dL; IFCC/ICSH convention).
MOLAR_MASS: dict[str, float] = {"718-7": 16114.0}


class UnitError(InputError):
    code = "invalid_unit"
    hint = "give a UCUM unit (case-sensitive, e.g. g/dL, g/L, mmol/L, 10*9/L) convertible to the lab's unit"


@lru_cache(maxsize=1)
def _registry() -> Any:
    from ucumvert import PintUcumRegistry  # about 0.9 s to build: only when a unit is first needed

    return PintUcumRegistry()


@lru_cache(maxsize=512)
def _quantity(unit: str) -> Any:
    from ucumvert import InvalidUcumError

    try:
        return _registry().from_ucum(unit)
    except (InvalidUcumError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise UnitError(f'unknown UCUM unit "{unit}"') from exc
    except Exception as exc:  # pint raises its own errors for units it cannot define
        raise UnitError(f'unknown UCUM unit "{unit}"') from exc


def check_unit(unit: str) -> None:
    """UnitError unless `unit` is a valid UCUM expression."""
    _quantity(unit)


@lru_cache(maxsize=512)
def factor(unit: str, target: str, loinc: str | None = None) -> float:
    """The number a value in `unit` is multiplied by to express it in `target`."""
    import pint

    src, dst = _quantity(unit), _quantity(target)
    try:
        return float((1.0 * src).to(dst).magnitude)
    except pint.DimensionalityError:
        pass
    except (TypeError, AttributeError):  # a UCUM annotation alone ({cells}) is no quantity
        raise UnitError(f'unit "{unit}" cannot be converted to {target}') from None
    mm = MOLAR_MASS.get(loinc or "")
    if mm is not None:
        per_mol = mm * _quantity("g/mol")
        for q in ((1.0 * src) * per_mol, (1.0 * src) / per_mol):
            try:
                return float(q.to(dst).magnitude)
            except pint.DimensionalityError:
                continue
    raise UnitError(
        f'unit "{unit}" cannot be converted to {target}' + (f" for LOINC {loinc}" if loinc else "")
    )


def convert(value: float, unit: str, target: str, loinc: str | None = None) -> float:
    """`value` in `unit`, expressed in `target`, rounded to 9 significant digits (so 100 g/L is 10 g/dL)."""
    if unit == target:
        return value
    return float(f"{value * factor(unit, target, loinc):.9g}")
