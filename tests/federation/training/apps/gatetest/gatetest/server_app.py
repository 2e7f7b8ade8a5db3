"""One round: send a vector to every node, poll for replies, write what came back (errors included)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, Context, RecordDict
from flwr.serverapp import Grid, ServerApp

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    out = Path(os.environ["FAIRGRID_TRAINING_OUT"]) / str(context.run_id)
    out.mkdir(parents=True, exist_ok=True)
    want = int(context.run_config.get("min-sites", 1))
    deadline = time.monotonic() + 60
    nodes = list(grid.get_node_ids())
    while len(nodes) < want and time.monotonic() < deadline:
        time.sleep(0.2)
        nodes = list(grid.get_node_ids())
    content = RecordDict({"w": ArrayRecord([np.zeros(3)])})
    ids = list(grid.push_messages([grid.create_message(content, "train", n, "1") for n in nodes]))
    replies: dict[str, dict[str, object]] = {}
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for reply in grid.pull_messages(list(pending)):
            pending.discard(reply.metadata.reply_to_message_id)
            node = str(reply.metadata.src_node_id)
            if reply.has_error():
                replies[node] = {"error": reply.error.reason, "code": reply.error.code}
            else:
                info = reply.content.config_records["info"]
                replies[node] = {"site": info["site"], "sum": info["sum"]}
        time.sleep(0.2)
    ok = bool(replies) and all("error" not in r for r in replies.values()) and not pending
    result = {"nodes": len(nodes), "replies": replies, "missing": len(pending)}
    (out / "result.json").write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
    status = {"status": "completed" if ok else "failed"}
    (out / "done.json").write_text(json.dumps(status), encoding="utf-8")
    if not ok:  # the run ends "failed", with the sites' answers in its details
        raise RuntimeError(f"sites refused or did not answer: {json.dumps(replies, sort_keys=True)[:500]}")
