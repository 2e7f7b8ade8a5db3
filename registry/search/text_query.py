"""What a search's text asks for, read the same way by every adapter.

Every word must be found (as written or in its other spelling, `registry/folding.py`), except that
- `A OR B` asks for either word (`a OR b OR c`: any of them); OR is an operator in capitals only,
  as in the search boxes people know, so "or" in a title search stays a word;
- `-word` leaves out the records that have the word ("myeloma -smouldering").
Quotes and other punctuation are not syntax: `"sickle cell"` asks for both words, anywhere. Before
this, "sickle -cell" found the records with both words and "sickle OR myeloma" only those with both:
the opposite of what was asked, without a sign.
"""

from __future__ import annotations

from dataclasses import dataclass

OR = "OR"


@dataclass(frozen=True)
class TextQuery:
    groups: tuple[tuple[str, ...], ...] = ()  # every group must match, by any one of its words
    excluded: tuple[str, ...] = ()  # records with any of these words are left out

    @property
    def words(self) -> tuple[str, ...]:
        """The words asked for (not the excluded ones), each once: what scores and is highlighted."""
        return tuple(dict.fromkeys(w for group in self.groups for w in group))


def read(text: str | None) -> TextQuery:
    groups: list[list[str]] = []
    excluded: list[str] = []
    joining = False  # the last word was an OR that joins the next word to the group before it
    for word in (text or "").split():
        if word == OR and groups and not joining:
            joining = True
            continue
        if word.startswith("-") and word.strip("-"):  # "-" or "--" alone is punctuation, not an exclusion
            excluded.append(word.lstrip("-"))
        elif joining:
            groups[-1].append(word)
        else:
            groups.append([word])
        joining = False
    if joining:  # a trailing OR joins nothing: it is the word it is (a stop word)
        groups.append([OR])
    unique = dict.fromkeys(tuple(dict.fromkeys(g)) for g in groups)
    return TextQuery(tuple(unique), tuple(dict.fromkeys(excluded)))
