"""Hostile criteria documents: any JSON a caller sends is a Criteria or a CriteriaError, nothing else.

External sites and researchers send these documents. The documents here are valid ones with one part
replaced by an arbitrary JSON value (random JSON alone rarely passes the schema's first check), or
random JSON text; with FAIRGRID_FUZZ_EXAMPLES=N the campaign runs N examples, new ones each run.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from federation.criteria import CriteriaError, parse_criteria
from tests.federation.criteria.test_parse import known
from tests.hostile import bounded

VALID: list[dict[str, Any]] = [
    {
        "inclusion": [
            [{"type": "diagnosis", "system": "icd10", "code": "D46", "descendants": True}],
            [{"type": "age", "min": 60, "max": 90, "at": "diagnosis"}],
            [{"type": "lab", "loinc": "718-7", "min": 8, "max": 10, "unit": "g/dL"}],
            [{"type": "lab", "loinc": "718-7", "comparator": "<=", "value": 100, "unit": "g/L"}],
            [{"type": "sex", "value": "female"}],
        ],
        "exclusion": [{"type": "variant", "gene": "TP53"}],
    },
    {
        "inclusion": [[{"type": "diagnosis", "system": "orpha", "code": "ORPHA:232"}]],
        "within": {"from": "2015-01-01", "to": "2020-12-31"},
    },
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**310)
    | st.floats()  # NaN and infinities included
    | st.text(max_size=20)
    | st.sampled_from(["", "D46", "ORPHA:", "1e999", "-0", "2020-02-30", "9999-12-31", "<=", "mg/dl/x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def paths(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in `doc` a value can be replaced at (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for key, value in items:
        out.append((*at, key))
        out += paths(value, (*at, key))
    return out


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def parses_or_refuses(doc: Any) -> None:
    try:
        parse_criteria(doc, known=known)
    except CriteriaError as exc:
        assert exc.message, doc  # a reason a caller can act on


@bounded
@given(data=st.data(), value=json_values)
@example(data=None, value=float("nan"))
@example(data=None, value=10**400)
def test_a_valid_document_with_one_part_replaced(data: st.DataObject | None, value: Any) -> None:
    for doc in VALID:
        places = paths(doc)
        where = places[0] if data is None else data.draw(st.sampled_from(places))
        parses_or_refuses(replaced(doc, where, value))


@bounded
@given(text=st.text(max_size=200) | json_values.map(json.dumps))
@example(text='{"inclusion": [[{"type": "age", "min": 1e999}]]}')
@example(text='{"inclusion": [[{"type": "age", "min": ' + "9" * 5000 + "}]]}")
def test_any_json_text(text: str) -> None:
    parses_or_refuses(text)
