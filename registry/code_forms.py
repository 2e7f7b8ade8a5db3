"""Terminology codes as people and exports write them, in the form the terminology writes them.

Hospital systems and claims data often store ICD-10 codes without the dot ("D469" for WHO's "D46.9"),
and people type "ORPHA 232" or "HP 0001903" with a space for the colon. Looked up as written, each
found nothing (`terms search`, a disease filter, a feasibility question), though the code is
unambiguous: an ICD-10 code is a letter, two digits, then its subdivision after a dot.
"""

from __future__ import annotations

import re

_ICD10_UNDOTTED = re.compile(r"([A-Z]\d\d)([0-9A-Z]{1,2})")
_PREFIXED = re.compile(r"(ORPHA|HP)[\s:_]*(\d+)", re.IGNORECASE)


def icd10(code: str) -> str:
    """An ICD-10 code with its dot: "D469" and "d46.9" -> "D46.9"; other text upper-cased as it is."""
    text = code.strip().upper()
    m = _ICD10_UNDOTTED.fullmatch(text)
    return f"{m.group(1)}.{m.group(2)}" if m else text


def icd10_gm_to_who(code: str) -> str:
    """The WHO ICD-10 code that an ICD-10-GM code refines: "C90.00" -> "C90.0", "E10.30+" -> "E10.3",
    "C9000" -> "C90.0". GM adds a fifth character to WHO's codes and marks the codes of a dagger-asterisk
    pair with + (also written as a dagger), * and !; BfArM's ICD-10-GM Systematik."""
    text = icd10(code.strip().rstrip("+*!\u2020").strip())
    head, dot, sub = text.partition(".")
    return f"{head}.{sub[:1]}" if dot and sub else text


def orpha(code: str) -> str:
    """An ORPHA code's number: "ORPHA:232", "orpha_232", "ORPHA232" and "232" -> "232"; other text as
    given, stripped."""
    text = code.strip()
    m = _PREFIXED.fullmatch(text)
    return m.group(2) if m and m.group(1).upper() == "ORPHA" else text


def written_form(code: str) -> str | None:
    """The form a code written otherwise has in its terminology ("D469" -> "D46.9", "orpha 232" ->
    "ORPHA:232", "HP_0001903" -> "HP:0001903"), or None when `code` is not one of these near-misses."""
    text = code.strip()
    m = _PREFIXED.fullmatch(text)
    if m:
        return f"{m.group(1).upper()}:{m.group(2)}"
    dotted = icd10(text)
    return dotted if dotted != text.upper() else None
