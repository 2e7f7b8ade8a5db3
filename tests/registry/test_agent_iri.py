"""Whatever subject is accepted, the IRI a revision is attributed to is one valid IRI."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from registry.errors import FairgridError
from registry.identity import Identity, check_subject, local_operator
from registry.rdf import is_iri
from tests.hostile import DROP_ALL, bounded, subjects


@bounded
@given(sub=subjects)
def test_an_accepted_subject_gives_a_valid_agent_iri(sub: str) -> None:
    try:
        check_subject(sub)
    except FairgridError:
        return
    assert is_iri(Identity(sub).agent_iri), sub


@bounded
@given(name=st.one_of(subjects, st.text(max_size=30)))
# a user name that is not UTF-8, as Python reads it from the system: quote() raised UnicodeEncodeError
@example(name="caf\udce9")
def test_any_os_user_name_gives_a_valid_agent_iri(name: str) -> None:
    assert is_iri(local_operator(name).agent_iri), name


def test_a_subject_that_only_looks_like_an_iri_is_not_used_as_one() -> None:
    assert Identity("https://x:abc").agent_iri == "urn:fairgrid:agent:https://x:abc"  # bad port
    assert Identity("https://idp.example/u/1").agent_iri == "https://idp.example/u/1"
    assert is_iri(local_operator(DROP_ALL).agent_iri)
