"""The app's model, training loop, weights and DP calibration (imported from the FAB source)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from federation.training.appcode import app_dir, import_app

models = import_app("models")
task = import_app("task")
dp = import_app("dp")
torch.set_num_threads(1)  # tiny models: threads only contend on a shared CI machine


def test_app_folder_is_a_flower_project() -> None:
    text = (app_dir() / "pyproject.toml").read_text(encoding="utf-8")
    assert 'serverapp = "fgtrain.server_app:app"' in text and 'clientapp = "fgtrain.client_app:app"' in text
    assert 'publisher = "fairgrid"' in text


@pytest.mark.parametrize("hidden", [0, 8])
def test_missing_values_do_not_reach_the_model(hidden: int) -> None:
    model = models.build("mds-aml", 4, hidden)
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    other = x.clone()
    other[0, 2:] = 99.0  # whatever sits under the mask
    assert torch.equal(model(x, mask), model(other, mask))
    assert not torch.equal(model(x, mask), model(x, torch.ones_like(mask)))  # "missing" is itself an input
    with pytest.raises(ValueError):
        models.build("no-such-task", 4, 8)


def _toy(n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    return x, np.ones_like(x), y


def test_training_learns_and_weights_round_trip() -> None:
    x, mask, y = _toy()
    hp = task.Hyper(lr=0.05, local_epochs=5, batch_size=32, hidden=8)
    model = task.new_model("mds-aml", 3, hp)
    before = task.log_loss(model, x, mask, y)
    result = task.train(model, x, mask, y, hp, device=torch.device("cpu"))
    assert task.log_loss(model, x, mask, y) < before and result.samples == 5 * len(y) and result.seconds > 0
    copy = task.new_model("mds-aml", 3, hp)
    task.load_arrays(copy, task.to_arrays(model))
    assert np.allclose(task.predict(copy, x, mask), task.predict(model, x, mask))


def test_fedprox_term_keeps_the_model_near_the_global_one() -> None:
    x, mask, y = _toy()

    def distance(mu: float) -> float:
        hp = task.Hyper(lr=0.05, local_epochs=5, batch_size=32, hidden=8, proximal_mu=mu)
        model = task.new_model("mds-aml", 3, hp)
        anchor = [p.detach().clone() for p in model.parameters()]
        task.train(model, x, mask, y, hp, device=torch.device("cpu"), global_params=anchor)
        return float(
            sum(((p.detach() - a) ** 2).sum() for p, a in zip(model.parameters(), anchor, strict=True))
        )

    assert distance(10.0) < distance(0.0)


def test_device_choice() -> None:
    if torch.cuda.is_available():
        assert task.device_for(True, True).type == "cuda"
    else:
        assert task.device_for(False, True).type == "cpu"
        with pytest.raises(task.NoGpu):
            task.device_for(True, True)
    assert task.device_for(False, False).type == "cpu"  # a site that declares no GPU trains on the CPU


def test_zcdp_noise_gives_the_stated_epsilon() -> None:
    for eps, rounds in ((1.0, 1), (1.0, 10), (8.0, 50)):
        z = dp.noise_multiplier(eps, 1e-5, rounds)
        assert dp.spent(z, 1e-5, rounds) == pytest.approx(eps, rel=1e-9)
    assert dp.noise_multiplier(1.0, 1e-5, 10) > dp.noise_multiplier(1.0, 1e-5, 1)
    assert dp.noise_multiplier(1.0, 1e-5, 1) > dp.noise_multiplier(4.0, 1e-5, 1)
    # one Gaussian release at rho = 1 / (2 z^2): z = 1 -> rho = 0.5 -> eps = 0.5 + 2 sqrt(0.5 ln 1e5)
    assert dp.spent(1.0, 1e-5, 1) == pytest.approx(0.5 + 2 * np.sqrt(0.5 * np.log(1e5)))
    with pytest.raises(ValueError):
        dp.noise_multiplier(0.0, 1e-5, 1)


def test_clip_and_local_noise() -> None:
    update = [np.full((3, 4), 1.0, dtype=np.float32), np.full(4, 1.0, dtype=np.float32)]
    clipped, norm = dp.clip(update, 1.0)
    assert norm == pytest.approx(4.0)
    assert np.sqrt(sum(float((a**2).sum()) for a in clipped)) == pytest.approx(1.0, rel=1e-6)
    small = [np.full(4, 0.1, dtype=np.float32)]
    assert np.allclose(dp.clip(small, 1.0)[0][0], small[0])  # within the norm: unchanged
    rng = np.random.default_rng(1)
    noisy = dp.privatise_local(
        [np.zeros(20000, dtype=np.float32)], clip_norm=0.5, epsilon=2.0, delta=1e-5, rounds=4, rng=rng
    )
    expected = 2 * 0.5 * dp.noise_multiplier(2.0, 1e-5, 4)
    assert float(np.std(noisy[0])) == pytest.approx(expected, rel=0.03)


def test_adam_matches_torch_adamw() -> None:
    torch.manual_seed(0)
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    ours = task.Adam(list(a.parameters()), lr=0.05, weight_decay=0.1)
    ref = torch.optim.AdamW(b.parameters(), lr=0.05, weight_decay=0.1)
    x = torch.randn(16, 3)
    for _ in range(5):
        for model, opt in ((a, ours), (b, ref)):
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6)


def test_a_weight_without_data_is_only_decayed() -> None:
    """At a site without NGS a mutation's weight gets no gradient: decoupled decay shrinks it by lr x decay
    per step, where decay added to the gradient would be rescaled by Adam into a full step of lr."""
    weight = torch.nn.Parameter(torch.tensor([1.0, 1.0]))
    opt = task.Adam([weight], lr=0.05, weight_decay=0.1)
    for _ in range(3):
        opt.zero_grad()
        (weight[0] * 2.0).backward()  # weight[1] is not used: zero gradient
        opt.step()
    assert float(weight.detach()[1]) == pytest.approx((1 - 0.05 * 0.1) ** 3)
    assert float(weight.detach()[0]) < 0.9


def test_hidden_zero_is_logistic_regression() -> None:
    model = models.build("mds-aml", 4, 0)
    assert [tuple(p.shape) for p in model.parameters()] == [(1, 8), (1,)]  # one weight per value and mask
    x, mask, y = _toy()
    hp = task.Hyper(lr=0.05, local_epochs=5, batch_size=32, hidden=0)
    model = task.new_model("mds-aml", 3, hp)
    before = task.log_loss(model, x, mask, y)
    task.train(model, x, mask, y, hp, device=torch.device("cpu"))
    assert task.log_loss(model, x, mask, y) < before
    with pytest.raises(ValueError):
        models.build("mds-aml", 4, -1)


def test_defaults_are_the_apps_declared_defaults() -> None:
    """A run that does not set a hyperparameter gets the pyproject's value from Flower; the bench and the
    baselines get Hyper's. They must be the same numbers."""
    import tomllib

    declared = tomllib.loads((app_dir() / "pyproject.toml").read_text(encoding="utf-8"))
    config = declared["tool"]["flwr"]["app"]["config"]
    hp = {k: v for k, v in config.items() if k.startswith("hp-")}
    assert task.Hyper.from_run_config(hp) == task.Hyper()
    assert set(hp) == {"hp-" + name.replace("_", "-") for name in task.Hyper.__dataclass_fields__}
