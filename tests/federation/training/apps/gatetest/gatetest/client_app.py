"""Each site answers with its site id and the sum of what it was sent; it leaves a mark that it ran."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp

app = ClientApp()


@app.train()
def train(msg: Message, context: Context) -> Message:
    home = Path(str(context.node_config["site-home"]))
    ran = home / "ran"
    ran.mkdir(exist_ok=True)
    (ran / str(context.run_id)).write_text("ran\n", encoding="utf-8")
    weights = msg.content.array_records["w"].to_numpy_ndarrays()[0]
    reply = RecordDict(
        {
            "w": ArrayRecord([np.asarray(weights) + 1.0]),
            "info": ConfigRecord({"site": str(context.node_config["site-id"]), "sum": float(weights.sum())}),
        }
    )
    return Message(reply, reply_to=msg)
