#!/usr/bin/env bash
# One site's local training of the fairgrid app on CUDA and on the CPU: same synthetic site, same model,
# same epochs; prints samples/s for each. Without a GPU it says so, runs the CPU half, and exits 0.
#
#     bench/gpu_check.sh [patients] [epochs]      (defaults: 20000 patients, 5 epochs)
#
# The ClientApp picks CUDA the same way (fgtrain.task.device_for: the node declares a GPU and torch sees
# one); CUDA_VISIBLE_DEVICES is honoured as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" - "${1:-20000}" "${2:-5}" <<'PYEOF'
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, ".")
import torch

from bench.federated import build_sites
from federation.training import data as site_data
from federation.training.appcode import import_app

task = import_app("task")
patients, epochs = int(sys.argv[1]), int(sys.argv[2])
with tempfile.TemporaryDirectory(prefix="fairgrid-gpu-check-") as tmp:
    (home,) = build_sites("mds", [patients], 7, Path(tmp))
    d = site_data.load(home, "mds-aml").part(test=False)
print(f"one site: {len(d)} labelled training patients, {len(d.features)} features, {epochs} epochs")
hp = task.Hyper(batch_size=256, hidden=64)


def rate(device: torch.device) -> float:
    model = task.new_model("mds-aml", len(d.features), hp)
    task.train(model, d.x, d.mask, d.y, hp, device=device, epochs=1)  # warm-up (CUDA context, kernels)
    result = task.train(model, d.x, d.mask, d.y, hp, device=device, epochs=epochs)
    return result.samples / result.seconds


cpu = rate(torch.device("cpu"))
print(f"cpu  ({torch.get_num_threads()} threads): {cpu:,.0f} samples/s")
if not torch.cuda.is_available():
    print("cuda: no GPU visible to torch (torch.cuda.is_available() is False); only the CPU half ran")
    sys.exit(0)
gpu = rate(task.device_for(True, True))
print(f"cuda ({torch.cuda.get_device_name(0)}): {gpu:,.0f} samples/s  ({gpu / cpu:.1f}x the CPU)")
PYEOF
