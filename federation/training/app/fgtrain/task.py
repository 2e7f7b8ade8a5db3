"""Training and evaluation of one site's model, and the weights as Flower ArrayRecords.

Shared by the ClientApp, the benchmark's centralized and single-site baselines, and the GPU check, so all
of them train the same model the same way.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from flwr.app import ArrayRecord
from torch import nn

from fgtrain.models import RiskMLP, build


@dataclass(frozen=True)
class Hyper:
    """Defaults, the same as the pyproject's: the MLP (hidden 16). On a validation split of the training
    halves (bench/federated_select.py, docs/training.md) logistic regression (`hidden = 0`) was no better
    federated, so it is an option, not the default."""

    lr: float = 0.01
    local_epochs: int = 1
    batch_size: int = 64
    proximal_mu: float = 0.0
    clip_norm: float = 1.0
    hidden: int = 16
    weight_decay: float = 1e-4

    def __post_init__(self) -> None:
        # Each value is checked where the run starts (the ServerApp), so a job that asks for a width of
        # 10^9 (80 GB per site) or 10^6 epochs fails at once, with the name, instead of at every site.
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            finite = not isinstance(value, float) or math.isfinite(value)  # ints compare exactly
            if not (finite and low <= value <= high) or (name == "lr" and value == 0):
                kind = "above 0 and at most" if name == "lr" else f"from {low:g} to"
                shown = f"{value:g}" if isinstance(value, float) else f"{str(value)[:20]}"
                raise ValueError(f"hp-{name.replace('_', '-')} is {shown}: it must be {kind} {high:g}")

    @classmethod
    def from_run_config(cls, cfg: dict[str, Any]) -> Hyper:
        d = cls()
        return cls(
            lr=_number(cfg, "hp-lr", d.lr),
            local_epochs=_whole(cfg, "hp-local-epochs", d.local_epochs),
            batch_size=_whole(cfg, "hp-batch-size", d.batch_size),
            proximal_mu=_number(cfg, "hp-proximal-mu", d.proximal_mu),
            clip_norm=_number(cfg, "hp-clip-norm", d.clip_norm),
            hidden=_whole(cfg, "hp-hidden", d.hidden),
            weight_decay=_number(cfg, "hp-weight-decay", d.weight_decay),
        )


# What a run may ask for (inclusive): wide enough for any sensible run of these tabular models.
BOUNDS: dict[str, tuple[float, float]] = {
    "lr": (0.0, 10.0),
    "local_epochs": (1, 1000),
    "batch_size": (1, 65536),
    "proximal_mu": (0.0, 1000.0),
    "clip_norm": (1e-6, 1e6),
    "hidden": (0, 4096),
    "weight_decay": (0.0, 1.0),
}


def _number(cfg: dict[str, Any], key: str, default: float) -> float:
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number, not {value!r:.40}")
    return float(value)


def _whole(cfg: dict[str, Any], key: str, default: int) -> int:
    value = cfg.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be a whole number, not {value!r:.40}")
    return value


class NoGpu(RuntimeError):
    """The run requires a GPU and this site has none (or has not declared one)."""


def device_for(run_gpu: bool, site_gpu: bool) -> torch.device:
    """CUDA only when the site declares a GPU and CUDA sees one (CUDA_VISIBLE_DEVICES is respected by torch:
    the gate sets it to the site's devices). A run that requires a GPU fails where there is none."""
    if site_gpu and torch.cuda.is_available():
        return torch.device("cuda")
    if run_gpu:
        raise NoGpu("the run requires a GPU and this site offers none")
    return torch.device("cpu")


def to_arrays(model: nn.Module) -> ArrayRecord:
    return ArrayRecord(torch_state_dict={k: v.detach().cpu() for k, v in model.state_dict().items()})


def load_arrays(model: nn.Module, arrays: ArrayRecord) -> None:
    model.load_state_dict(arrays.to_torch_state_dict(), strict=True)


def new_model(task: str, n_features: int, hp: Hyper) -> RiskMLP:
    return build(task, n_features, hp.hidden)


Array = npt.NDArray[np.float32]


class Adam:
    """Adam (Kingma & Ba, 2015) with decoupled weight decay (AdamW, Loshchilov & Hutter, ICLR 2019), as
    torch.optim.AdamW computes it. Written out because the first torch.optim optimizer a process builds
    imports torch._dynamo (~900 modules, seconds), and a deployment starts a fresh ClientApp process for
    every message. Decoupled, because L2 added to the gradient is rescaled by Adam: a weight whose data
    gradient is zero at a site (a mutation at a site without NGS) would be pulled to 0 by a full step of
    `lr` each step, whatever the decay, and FedAvg would average that pull into the global model."""

    def __init__(self, params: list[torch.Tensor], lr: float, weight_decay: float = 0.0) -> None:
        self.params, self.lr, self.weight_decay = params, lr, weight_decay
        self.b1, self.b2, self.eps, self.t = 0.9, 0.999, 1e-8, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            if p.grad is None:
                continue
            if self.weight_decay:
                p.mul_(1 - self.lr * self.weight_decay)
            g = p.grad
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            p.addcdiv_(m / c1, (v / c2).sqrt_().add_(self.eps), value=-self.lr)


@dataclass(frozen=True)
class TrainResult:
    loss: float  # mean training loss over the last epoch
    seconds: float  # wall time of the local training alone
    samples: int  # samples processed (epochs x patients)


def train(
    model: RiskMLP,
    x: Array,
    mask: Array,
    y: Array,
    hp: Hyper,
    *,
    device: torch.device,
    seed: int = 0,
    global_params: list[torch.Tensor] | None = None,
    epochs: int | None = None,
) -> TrainResult:
    """Adam on binary cross-entropy; with `global_params` and mu > 0 the FedProx proximal term
    (mu / 2) * ||w - w_global||^2 (Li et al., MLSys 2020) keeps the local model near the global one."""
    started = time.perf_counter()
    model.to(device)
    model.train()
    xt, mt, yt = (torch.from_numpy(a).to(device) for a in (x, mask, y))
    anchor = [p.detach().to(device) for p in global_params] if global_params is not None else None
    opt = Adam(list(model.parameters()), lr=hp.lr, weight_decay=hp.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(seed)
    n = len(yt)
    last = 0.0
    rounds = hp.local_epochs if epochs is None else epochs
    for _ in range(rounds):
        order = torch.randperm(n, generator=gen).to(device)
        total = 0.0
        for start in range(0, n, hp.batch_size):
            idx = order[start : start + hp.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx], mt[idx]), yt[idx])
            if anchor is not None and hp.proximal_mu > 0:
                prox = sum(((p - a) ** 2).sum() for p, a in zip(model.parameters(), anchor, strict=True))
                loss = loss + (hp.proximal_mu / 2.0) * prox
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        last = total / max(n, 1)
    if device.type == "cuda":
        torch.cuda.synchronize()
    model.cpu()
    return TrainResult(last, time.perf_counter() - started, rounds * n)


@torch.no_grad()
def predict(model: RiskMLP, x: Array, mask: Array) -> npt.NDArray[np.float64]:
    """Predicted probabilities of the event (on the CPU: evaluation sets are small)."""
    model.eval()
    logits = model(torch.from_numpy(x), torch.from_numpy(mask))
    return torch.sigmoid(logits).double().numpy()


@torch.no_grad()
def log_loss(model: RiskMLP, x: Array, mask: Array, y: Array) -> float:
    model.eval()
    logits = model(torch.from_numpy(x), torch.from_numpy(mask))
    return float(nn.functional.binary_cross_entropy_with_logits(logits, torch.from_numpy(y)))
