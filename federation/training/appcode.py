"""Where the Flower app's source lives, importing it in-process, and an in-process Grid for tests and bench.

The app (`app/`, package `fgtrain`) is a Flower project of its own: in a deployment the SuperLink and the
sites' gates install it from the approved FAB. Tests and the benchmark import the same source directly and
drive the real ServerApp loop against the real ClientApp through `InProcessGrid`, which delivers each
message by calling the ClientApp with that site's node config, as a SuperNode would.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from flwr.app import Context, Error, Message, RecordDict
from flwr.serverapp import Grid

APP_PACKAGE = "fgtrain"


def app_dir() -> Path:
    """The app project folder (pyproject.toml + fgtrain/): what the FAB is built from."""
    return Path(__file__).resolve().parent / "app"


def import_app(module: str = "") -> ModuleType:
    """`fgtrain` (or `fgtrain.<module>`), imported from the app folder."""
    folder = str(app_dir())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(f"{APP_PACKAGE}.{module}" if module else APP_PACKAGE)


# Flower's error codes for replies (flwr.common.constant.ErrorCode)
CLIENT_APP_RAISED_EXCEPTION = 2
NODE_UNAVAILABLE = 5


@dataclass
class InProcessGrid(Grid):
    """A Grid whose nodes are ClientApp calls in this process (no SuperLink): node id -> node config."""

    client_app: Any
    nodes: dict[int, dict[str, Any]]
    run_config: dict[str, Any]
    run_id: int = 1
    down: set[int] = field(default_factory=set)  # nodes that "went away": they answer NODE_UNAVAILABLE
    replies: dict[str, Message] = field(default_factory=dict)
    delivered: list[tuple[int, str]] = field(default_factory=list)  # (node, message type), in order

    def __post_init__(self) -> None:
        # Flower stamps new messages with the identity of the process's task (set by flwr-serverapp in a
        # deployment); here this process plays the ServerApp's task.
        from flwr.supercore.task_identity import TaskIdentity

        TaskIdentity.run_id = self.run_id
        TaskIdentity.node_id = 0
        TaskIdentity.task_id = 0

    def set_run(self, run: Any) -> None:  # the run is fixed at construction
        pass

    @property
    def run(self) -> Any:
        return None

    def create_message(
        self,
        content: RecordDict,
        message_type: str,
        dst_node_id: int,
        group_id: str,
        ttl: float | None = None,
    ) -> Message:
        return Message(content=content, message_type=message_type, dst_node_id=dst_node_id, group_id=group_id)

    def get_node_ids(self) -> Iterable[int]:
        return [node for node in self.nodes if node not in self.down]

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        ids = []
        for msg in messages:
            msg_id = uuid.uuid4().hex
            msg.metadata.__dict__["_message_id"] = msg_id  # what the SuperLink does on push
            ids.append(msg_id)
            self.replies[msg_id] = self._deliver(msg)
        return ids

    def _deliver(self, msg: Message) -> Message:
        node = msg.metadata.dst_node_id
        self.delivered.append((node, msg.metadata.message_type))
        if node in self.down or node not in self.nodes:
            return Message(Error(NODE_UNAVAILABLE, "node unavailable"), reply_to=msg)
        context = Context(self.run_id, node, dict(self.nodes[node]), RecordDict(), dict(self.run_config))
        try:
            reply: Message = self.client_app(msg, context)
        except Exception as exc:  # the SuperNode turns a raising ClientApp into an error reply too
            return Message(Error(CLIENT_APP_RAISED_EXCEPTION, f"{type(exc).__name__}: {exc}"), reply_to=msg)
        reply.metadata.__dict__["_src_node_id"] = node
        return reply

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return [self.replies.pop(i) for i in list(message_ids) if i in self.replies]

    def send_and_receive(
        self, messages: Iterable[Message], *, timeout: float | None = None
    ) -> Iterable[Message]:
        return list(self.pull_messages(list(self.push_messages(messages))))
