"""Text compared as people type it: without case or accents, and in either spelling.

ICD-10 and Orphanet write "Waldenström macroglobulinaemia", "Sézary disease", "Sjögren"; MeSH heads the
first "Waldenstrom Macroglobulinemia", and most people type it so. Compared with its accents, that
search found neither the ICD-10 nor the ORPHA code. The search indexes fold the same way (tantivy's
ascii_fold, OpenSearch's asciifolding), so a folded needle matches what they hold.

WHO's ICD-10 and British English write "anaemia", "haematology", "oedema"; HPO, Orphanet and US English
"anemia", "hematology", "edema". `spelling` gives one form for both; term search compares in it, and
the search indexes hold `other_spellings` beside each text.
"""

from __future__ import annotations

import re
import unicodedata

# letters that are not a base letter plus marks, so NFKD leaves them whole (casefold already gives ß -> ss)
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def fold(text: str) -> str:
    """`text` case-folded, with accents and other combining marks removed ("Waldenström" -> "waldenstrom")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_LETTERS)


_SEPARATORS = re.compile(r"[\W_]+")  # hyphens, slashes, brackets, commas
_DIGRAPHS = re.compile(r"ae|oe")


def spelling(folded: str) -> str:
    """A folded text in one spelling, for term lookups: British "ae"/"oe" as "e" (WHO's ICD-10 writes
    "Sickle-cell anaemia", "Oedema", "leukaemia"; HPO and Orphanet "Sickle cell anemia", "Edema",
    "leukemia"), "tumour" as "tumor", and separators as one space ("sickle-cell" is "sickle cell")."""
    text = _DIGRAPHS.sub("e", _SEPARATORS.sub(" ", folded).strip())
    return text.replace("tumour", "tumor")


_VARIANT_WORD = re.compile(r"\w*(?:ae|oe|tumour)\w*")


def other_spellings(text: str) -> str:
    """The words of `text` that have another spelling form, in that form ("Haematology unit" ->
    "hematology"): what the search indexes add beside a text, so "hematology" finds it too."""
    return " ".join(spelling(m.group()) for m in _VARIANT_WORD.finditer(fold(text)))
