"""The broker and the agent's message handling, with real keys and a real site store (no network)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.hub.broker import Broker, SiteStatus
from federation.signing import ProtocolError, public_text, seal
from federation.site.agent import Agent
from federation.site.feasibility import Responder
from federation.site.home import init_site
from registry.errors import PermissionDenied

QUERY = {"inclusion": [[{"type": "sex", "value": "female"}]]}


class Pipe:
    """A link whose messages a test reads back."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))


class Stuck:
    """A link whose sends never complete: a site that stopped reading its socket (TCP backpressure)."""

    async def send_text(self, data: str) -> None:
        await asyncio.Event().wait()


class Sites:
    """A broker and scripted sites: each registered with its own key and attached over a Pipe (or the link
    given), in the order named. Made inside the test's event loop."""

    def __init__(self, *names: str, links: dict[str, Any] | None = None) -> None:
        self.keys = {s: Ed25519PrivateKey.generate() for s in names}
        self.broker = Broker(
            Ed25519PrivateKey.generate(), {s: public_text(k) for s, k in self.keys.items()}.get
        )
        self.pipes = {s: Pipe() for s in names}
        for s in names:
            self.broker.attach(s, (links or {}).get(s, self.pipes[s]), self.keys[s].public_key())

    def question_id(self, site: str, n: int = 0) -> str:
        return str(self.pipes[site].sent[n]["body"]["id"])

    def answer(self, site: str, answer: Any, n: int = 0, key: Ed25519PrivateKey | None = None) -> Any:
        """`site` answers the n-th question it was sent, signed with its key (or `key`): the message."""
        body = {"type": "answer", "id": self.question_id(site, n), "site": site, "answer": answer}
        msg = json.loads(json.dumps(seal(body, key or self.keys[site])))
        self.broker.receive(site, msg)
        return msg


def test_hello_must_verify_with_the_registered_key() -> None:
    site_key, impostor = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    broker = Broker(Ed25519PrivateKey.generate(), {"a": public_text(site_key)}.get)
    assert broker.welcome("a", seal({"type": "hello", "site": "a"}, site_key)) is not None
    with pytest.raises(ProtocolError):
        broker.welcome("a", seal({"type": "hello", "site": "a"}, impostor))
    with pytest.raises(ProtocolError):
        broker.welcome("a", seal({"type": "hello", "site": "b"}, site_key))
    with pytest.raises(PermissionDenied):
        broker.welcome("unregistered", seal({"type": "hello", "site": "unregistered"}, site_key))


def test_forged_replayed_and_late_answers_are_dropped() -> None:
    async def scenario() -> None:
        sites = Sites("a")
        task = asyncio.create_task(sites.broker.ask(["a"], "alice", QUERY, 0.5))
        await asyncio.sleep(0.05)
        sites.answer("a", {"status": "OK", "count": 999}, key=Ed25519PrivateKey.generate())  # forged
        genuine = sites.answer("a", {"status": "OK", "count": 15, "precision": "EXACT"})
        sites.broker.receive("a", genuine)  # replayed: dropped
        replies = await task
        assert replies["a"].status is SiteStatus.OK and replies["a"].answer["count"] == 15  # type: ignore[index]
        late = asyncio.create_task(sites.broker.ask(["a"], "alice", QUERY, 0.05))
        replies = await late
        assert replies["a"].status is SiteStatus.TIMEOUT
        sites.answer("a", {"status": "OK"}, n=1)  # after its deadline: dropped

    asyncio.run(scenario())


def test_disconnect_mid_question_is_an_error_for_that_site_only() -> None:
    async def scenario() -> dict[str, Any]:
        sites = Sites("a", "b")
        task = asyncio.create_task(sites.broker.ask(["a", "b", "c"], "alice", QUERY, 2.0))
        await asyncio.sleep(0.05)
        sites.broker.detach("b", sites.pipes["b"])
        sites.answer("a", {"status": "OK", "count": 20, "precision": "EXACT"})
        return {s: r.status for s, r in (await task).items()}

    assert asyncio.run(scenario()) == {
        "a": SiteStatus.OK,
        "b": SiteStatus.ERROR,
        "c": SiteStatus.NOT_CONNECTED,
    }


@pytest.fixture
def agent(tmp_path: Path) -> Agent:
    home = init_site(tmp_path / "site", "site-a", secret="s")
    from federation.site.store import SiteStore

    SiteStore(home.store_path).close()
    responder = Responder.open(home.path)
    return Agent(responder, "http://127.0.0.1:1", "token")


def test_the_agent_answers_only_fresh_questions_signed_by_its_hub_and_addressed_to_it(agent: Agent) -> None:
    hub = Ed25519PrivateKey.generate()

    def question(site: str = "site-a", key: Ed25519PrivateKey = hub) -> str:
        return json.dumps(
            seal({"type": "feasibility", "id": "q", "site": site, "user": "u", "criteria": QUERY}, key)
        )

    good = question()
    reply = asyncio.run(agent.handle(good, hub.public_key()))
    assert reply is not None and json.loads(reply)["body"]["answer"]["status"] == "OK"
    assert asyncio.run(agent.handle(good, hub.public_key())) is None  # replayed
    assert asyncio.run(agent.handle(question(key=Ed25519PrivateKey.generate()), hub.public_key())) is None
    assert asyncio.run(agent.handle(question(site="site-b"), hub.public_key())) is None
    assert asyncio.run(agent.handle("not json", hub.public_key())) is None
    assert agent.answered == 1


def test_the_agent_pins_the_hub_key_and_refuses_another(agent: Agent) -> None:
    from federation.site.agent import HubKeyMismatch

    first, second = (public_text(Ed25519PrivateKey.generate()) for _ in range(2))
    agent._hub_key(first)
    assert (agent.home / "hub-key.pub").read_text().strip() == first
    with pytest.raises(HubKeyMismatch):
        agent._hub_key(second)


HOSTILE_ANSWERS: list[Any] = [
    {"status": "OK", "count": None, "precision": "BELOW_THRESHOLD", "threshold": "ten"},
    {"status": "OK", "count": 5, "precision": "EXACT", "epsilon": "x"},
    {"status": "OK", "count": 5, "precision": ["EXACT"]},
    {"status": "OK", "count": 5, "precision": "PATIENT_LIST"},
    {"status": "OK", "count": -50, "precision": "EXACT"},
    {"status": "OK", "count": True, "precision": "EXACT"},
    {"status": "OK", "count": 2.5, "precision": "ROUNDED"},
    {"status": "OK", "count": 3, "precision": "BELOW_THRESHOLD", "threshold": 10},
    {"status": "OK", "count": 5, "precision": "EXACT", "epsilon": -1},
    {"status": "OK", "count": 5, "precision": "EXACT", "epsilon": float("inf")},
    {"status": "REFUSED", "epsilon": [1]},
    {"status": "REFUSED", "reason": {"patients": ["p1"]}},
    {"status": "MAYBE"},
    # no site holds 2^53 patients: such a count would outgrow JSON numbers and the GraphQL total
    {"status": "OK", "count": 2**53, "precision": "EXACT"},
    {"status": "OK", "count": 10**400, "precision": "NOISY"},
    {"status": "OK", "precision": "BELOW_THRESHOLD", "threshold": 2**53},
]


def _answered(answer: Any) -> Any:
    async def scenario() -> Any:
        sites = Sites("a")
        task = asyncio.create_task(sites.broker.ask(["a"], "alice", QUERY, 2.0))
        await asyncio.sleep(0.05)
        sites.answer("a", answer)
        return (await task)["a"]

    return asyncio.run(scenario())


@pytest.mark.parametrize("answer", HOSTILE_ANSWERS, ids=range(len(HOSTILE_ANSWERS)))
def test_a_malformed_answer_is_an_error_for_that_site_and_cannot_break_the_total(answer: Any) -> None:
    # a hostile or broken site: wrong types, impossible counts, a number under its own threshold
    from federation.hub.feasibility import _site_count, total_of

    reply = _answered(answer)
    assert reply.status is SiteStatus.ERROR and reply.reason.startswith("malformed answer")
    count = _site_count(reply)
    assert count.count is None and count.epsilon == 0.0
    assert total_of([count]).count is None


def test_only_the_disclosed_fields_of_an_answer_pass_the_hub() -> None:
    answer = {"status": "OK", "count": 15, "precision": "ROUNDED", "threshold": None, "epsilon": 0.5,
              "reason": None, "patients": [{"id": "p1", "birthDate": "1950-01-01"}]}  # fmt: skip
    reply = _answered(answer)
    assert reply.status is SiteStatus.OK
    assert reply.answer == {"status": "OK", "count": 15, "precision": "ROUNDED", "threshold": None,
                            "epsilon": 0.5, "reason": None}  # fmt: skip
    long_reason = _answered({"status": "ERROR", "reason": "x" * 100_000})
    assert long_reason.status is SiteStatus.ERROR and len(long_reason.reason) <= 500


def test_a_site_that_stops_reading_cannot_hang_the_question_or_keep_others_from_being_asked() -> None:
    async def scenario() -> dict[str, Any]:
        sites = Sites("a", "b", links={"a": Stuck()})  # a sorted first: it was sent to first
        task = asyncio.create_task(sites.broker.ask(["a", "b"], "alice", QUERY, 0.3))
        for _ in range(500):  # b is asked although a's send has not completed
            if sites.pipes["b"].sent:
                break
            await asyncio.sleep(0.01)
        assert sites.pipes["b"].sent, "b was never asked"
        sites.answer("b", {"status": "OK", "count": 20, "precision": "EXACT"})
        replies = await asyncio.wait_for(task, 20)  # a guard against the hang, not a timing claim
        return {s: r.status for s, r in replies.items()}

    assert asyncio.run(scenario()) == {"a": SiteStatus.TIMEOUT, "b": SiteStatus.OK}
