"""Local differential privacy: the noise on a site's update must be unknowable to the server.

A seed the server can derive (site id, round) would let it regenerate the noise and subtract it."""

from __future__ import annotations

import numpy as np
from flwr.app import Array, ArrayRecord

from federation.training.appcode import import_app


def _record(values: list[np.ndarray]) -> ArrayRecord:
    return ArrayRecord({f"w{i}": Array(v.astype(np.float32)) for i, v in enumerate(values)})


def test_local_dp_noise_differs_between_identical_calls() -> None:
    client_app = import_app("client_app")
    task = import_app("task")
    before = _record([np.zeros((4, 3)), np.zeros(3)])
    after = _record([np.full((4, 3), 0.01), np.full(3, 0.01)])
    cfg = {"epsilon": 1.0, "delta": 1e-5, "num-server-rounds": 2}
    hp = task.Hyper()
    one = client_app._local_dp(before, after, hp, cfg).to_numpy_ndarrays()
    two = client_app._local_dp(before, after, hp, cfg).to_numpy_ndarrays()
    assert not all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))
    assert all(np.isfinite(a).all() for a in one)
