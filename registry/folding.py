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
# British spellings to US ones, as the English of a word's ending or inside it: anaemia, oedema; tumour,
# behaviour; pseudonymised, organisation; analyse; centre, litre; catalogue; modelling, labelled;
# smouldering.
# Both sides of a comparison are mapped, so two words that meet (prise, prize) only add a match.
_RULES = [
    (re.compile(r"ae|oe"), "e"),
    (re.compile(r"(?<=\w)our(s?)\b"), r"or\1"),
    (re.compile(r"(?<=\w)is(e|ed|es|ing|ation|ations)\b"), r"iz\1"),
    (re.compile(r"(?<=\w)ys(e|ed|es|ing)\b"), r"yz\1"),
    (re.compile(r"(?<=\w)tre(s?)\b"), r"ter\1"),
    (re.compile(r"(?<=\w)ogue(s?)\b"), r"og\1"),
    (re.compile(r"(?<=\w)ell(ing|ed)\b"), r"el\1"),
    (re.compile(r"\bsmoulder"), "smolder"),  # smouldering myeloma (UK), smoldering (US): not "could"
]
_CANDIDATE = re.compile(r"\w*(?:ae|oe|our|is|ys|tre|ogue|ell|smoulder)\w*")


def spelling(folded: str) -> str:
    """A folded text in one spelling: British forms as US ones (WHO's ICD-10 writes "Sickle-cell anaemia",
    "Oedema", "leukaemia"; HPO and Orphanet "Sickle cell anemia", "Edema", "leukemia"), and separators
    as one space ("sickle-cell" is "sickle cell")."""
    text = _SEPARATORS.sub(" ", folded).strip()
    for rule, to in _RULES:
        text = rule.sub(to, text)
    return text


def other_form(word: str) -> str | None:
    """`word` folded in its other spelling, or None when it has none: the one test of whether a word
    has another form, for what the indexes hold and what a query asks alike."""
    folded = fold(word)
    other = spelling(folded)
    return other if other and other != folded else None


def other_spellings(text: str) -> str:
    """The words of `text` that have another spelling form, in that form ("Haematology centre" ->
    "hematology center"): what the search indexes add beside a text, so either spelling finds it."""
    others = (other_form(m.group()) for m in _CANDIDATE.finditer(fold(text)))
    return " ".join(o for o in others if o)
