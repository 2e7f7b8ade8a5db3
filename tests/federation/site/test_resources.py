"""A site's training resources: declared once in site.yaml, published as fg:gpuCount, read by the gate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from typer.testing import CliRunner

from api.cli.main import app
from federation.site.describe import describe_site
from federation.site.gate_runner import GateConfig, _child_env, gate_config
from federation.site.home import CONFIG, declared_gpus, init_site, open_site, set_resources
from federation.site.store import SiteStore
from registry import vocab
from registry.config import Settings
from registry.errors import InputError, UnreadableInput

SETTINGS = Settings(base_iri="https://example.org/fg/")
SITE = URIRef("https://example.org/fg/site/site-g")
GPU_COUNT, GPU_MODEL = URIRef(vocab.FG + "gpuCount"), URIRef(vocab.FG + "gpuModel")


def test_declared_in_site_yaml_and_kept_across_edits(tmp_path: Path) -> None:
    home = init_site(tmp_path / "h", "site-g", secret="s3cret", gpus=2, gpu_model="NVIDIA L40S")
    raw = yaml.safe_load((home.path / CONFIG).read_text())
    assert raw["resources"] == {"gpus": 2, "gpu_model": "NVIDIA L40S"}
    assert open_site(home.path).config.gpus == 2 and open_site(home.path).config.has_gpu
    set_resources(home.path, 0)
    again = open_site(home.path).config
    assert (again.gpus, again.gpu_model, again.secret, again.site_id) == (0, "", "s3cret", "site-g")
    assert (home.path / CONFIG).stat().st_mode & 0o077 == 0  # still owner-only: it holds the secret


@pytest.mark.parametrize(
    ("gpus", "model"), [(-1, ""), (True, ""), ("2", ""), (5000, ""), (0, "A100"), (1, "a\nb")]
)
def test_bad_declarations_are_refused_and_change_nothing(tmp_path: Path, gpus: object, model: str) -> None:
    home = init_site(tmp_path / "h", "site-g", secret="x", gpus=1)
    before = (home.path / CONFIG).read_bytes()
    with pytest.raises(InputError):
        set_resources(home.path, gpus, model)  # type: ignore[arg-type]
    assert (home.path / CONFIG).read_bytes() == before


@pytest.mark.parametrize("resources", [{"gpus": -3}, {"gpus": "lots"}, [1, 2], {"cpus": 4}])
def test_a_hand_edited_bad_site_yaml_is_unreadable(tmp_path: Path, resources: object) -> None:
    home = init_site(tmp_path / "h", "site-g", secret="x")
    raw = yaml.safe_load((home.path / CONFIG).read_text())
    (home.path / CONFIG).write_text(yaml.safe_dump({**raw, "resources": resources}))
    with pytest.raises(UnreadableInput, match="resources|GPU"):
        open_site(home.path)


def test_a_site_yaml_from_before_resources_declares_none(tmp_path: Path) -> None:
    home = init_site(tmp_path / "h", "site-g", secret="x")
    raw = yaml.safe_load((home.path / CONFIG).read_text())
    del raw["resources"]
    (home.path / CONFIG).write_text(yaml.safe_dump(raw))
    assert open_site(home.path).config.gpus == 0


def test_describe_publishes_the_gpu_count(tmp_path: Path) -> None:
    for gpus, model in ((0, ""), (2, "NVIDIA A100 80GB")):
        home = init_site(tmp_path / f"h{gpus}", "site-g", secret="x", gpus=gpus, gpu_model=model)
        with SiteStore(home.store_path) as store:
            g = describe_site(home, store, SETTINGS)
        assert list(g.objects(SITE, GPU_COUNT)) == [Literal(gpus, datatype=XSD.nonNegativeInteger)]
        assert [str(m) for m in g.objects(SITE, GPU_MODEL)] == ([model] if model else [])


def test_the_gate_takes_the_declaration_by_default(tmp_path: Path) -> None:
    cpu = init_site(tmp_path / "cpu", "site-c", secret="x").path
    gpu = init_site(tmp_path / "gpu", "site-g", secret="x", gpus=2).path
    assert gate_config(cpu, "127.0.0.1:19001").gpu is False
    assert gate_config(gpu, "127.0.0.1:19001").gpu is True
    assert gate_config(gpu, "127.0.0.1:19001", gpu=False).gpu is False  # withdrawn for this gate
    with pytest.raises(InputError, match="declares no GPU"):
        gate_config(cpu, "127.0.0.1:19001", gpu=True)


def test_cuda_is_visible_to_task_processes_only_at_gpu_sites(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert _child_env(GateConfig(Path("/h"), "127.0.0.1:1", "s"))["CUDA_VISIBLE_DEVICES"] == ""
    assert (
        _child_env(GateConfig(Path("/h"), "127.0.0.1:1", "s", gpu=True, gpus=2))["CUDA_VISIBLE_DEVICES"]
        == "0,1"
    )
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")  # the operator's own choice of device stays
    assert (
        _child_env(GateConfig(Path("/h"), "127.0.0.1:1", "s", gpu=True, gpus=1))["CUDA_VISIBLE_DEVICES"]
        == "3"
    )
    assert _child_env(GateConfig(Path("/h"), "127.0.0.1:1", "s"))["CUDA_VISIBLE_DEVICES"] == ""


def test_cli_declares_and_refuses(tmp_path: Path) -> None:
    home = tmp_path / "h"
    cli = CliRunner()
    done = cli.invoke(app, ["site", "init", "--site-id", "site-g", "--home", str(home), "--gpus", "1"])
    assert done.exit_code == 0, done.output
    done = cli.invoke(app, ["site", "resources", "--home", str(home), "--gpus", "2", "--gpu-model", "L40S"])
    assert done.exit_code == 0 and '"gpus": 2' in done.output and "L40S" in done.output
    before = (home / CONFIG).read_bytes()
    done = cli.invoke(app, ["site", "resources", "--home", str(home), "--gpus", "-1"])
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert (home / CONFIG).read_bytes() == before
    done = cli.invoke(app, ["site", "resources", "--home", str(home)])  # shows, changes nothing
    assert done.exit_code == 0 and '"gpus": 2' in done.output


def test_a_folder_without_site_yaml_declares_no_gpu(tmp_path: Path) -> None:
    assert declared_gpus(tmp_path) == 0
    assert declared_gpus(init_site(tmp_path / "h", "site-g", secret="x", gpus=3).path) == 3


def test_cli_gate_refuses_a_gpu_the_site_does_not_declare(tmp_path: Path) -> None:
    home = tmp_path / "h"
    cli = CliRunner()
    assert cli.invoke(app, ["site", "init", "--site-id", "site-g", "--home", str(home), "--gpus", "1",
                            "--gpu-model", "L40S"]).exit_code == 0  # fmt: skip
    done = cli.invoke(app, ["site", "resources", "--home", str(home), "--gpus", "0"])
    assert done.exit_code == 0 and '"gpus": 0' in done.output and "L40S" not in done.output  # model goes too
    done = cli.invoke(app, ["site", "gate", "--home", str(home), "--supernode", "127.0.0.1:19001", "--gpu"])
    assert done.exit_code == 1 and "declares no GPU" in done.output and "Traceback" not in done.output


def test_a_refused_init_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        init_site(tmp_path / "h", "site-g", gpus=-2)
    assert not (tmp_path / "h").exists()
