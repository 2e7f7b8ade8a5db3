"""Small modality-aware risk models.

The input is the scaled features times their mask, concatenated with the mask itself: a value that was not
measured (a site without an NGS panel) is 0 *and* flagged as missing, so the model can learn "not tested"
apart from "tested negative" and sites with and without a modality share one model.

`hidden > 0` (the default, 16) is a two-layer MLP of that width; `hidden = 0` is logistic regression on the
same input (the synthetic outcomes come from a log-linear hazard model, so a linear score is the right
model class, and its loss is convex; on validation it was no better federated than the MLP).
"""

from __future__ import annotations

import torch
from torch import nn


class RiskMLP(nn.Module):
    """features (x, mask) -> one logit: the log-odds of the event before the task's horizon."""

    def __init__(self, n_features: int, hidden: int = 32) -> None:
        super().__init__()
        self.n_features = n_features
        body: list[nn.Module] = [nn.Linear(2 * n_features, 1)]
        if hidden > 0:
            body = [nn.Linear(2 * n_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                    nn.Linear(hidden, 1)]  # fmt: skip
        self.body = nn.Sequential(*body)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([x * mask, mask], dim=1)).squeeze(1)


# Task -> builder: both binary tasks use the same architecture over their own feature lists.
TASK_MODELS = {"mds-aml": RiskMLP, "mm-relapse-18m": RiskMLP}


def build(task: str, n_features: int, hidden: int, seed: int = 0) -> RiskMLP:
    if task not in TASK_MODELS:
        raise ValueError(f"no model for task {task!r}")
    if hidden < 0:
        raise ValueError("hidden must be 0 (logistic regression) or a positive width")
    torch.manual_seed(seed)  # the same initial weights at the server in every run
    return TASK_MODELS[task](n_features, hidden)
