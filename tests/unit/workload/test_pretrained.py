"""A Hugging Face-format checkpoint (benchmarks/h200/save_hf_checkpoint.py) loads by path with its weights, and
the data must be tokenised with the model's own tokenizer."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from h200_workload import data, models
from h200_workload.errors import WorkloadError

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "h200" / "save_hf_checkpoint.py"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("save_hf_checkpoint", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("ckpt") / "tiny-hf"
    saved = module.save("tiny", out, vocab=400, records=200, seed=0, shard_size="200KB")
    assert saved["vocab_size"] == 448 and saved["tokenizer_vocab"] == 400  # tiny takes the tokenizer's, rounded
    assert "model.safetensors.index.json" in saved["files"] and "tokenizer.json" in saved["files"]
    return out


def test_weights_load_by_path(checkpoint: Path) -> None:
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    _, config = models.resolve_shape(str(checkpoint), 0, 128)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    assert models.load_weights(model, checkpoint, zero3=False) == len(dict(model.named_parameters()))
    saved = {}
    for shard in checkpoint.glob("*.safetensors"):
        saved.update(load_file(shard))
    for name, param in model.named_parameters():
        assert torch.equal(param.data, saved[name]), name  # the checkpoint's values, not a fresh random init


def test_missing_weights_are_named(checkpoint: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    _, config = models.resolve_shape(str(checkpoint), 0, 128)
    config.num_hidden_layers = 3  # one layer more than the checkpoint has
    with pytest.raises(WorkloadError, match=r"no weights for .* parameter"):
        models.load_weights(AutoModelForCausalLM.from_config(config), checkpoint, zero3=False)
    with pytest.raises(WorkloadError, match="safetensors"):
        models.load_weights(AutoModelForCausalLM.from_config(config), tmp_path, zero3=False)


def test_data_must_use_the_models_own_tokenizer(checkpoint: Path, tmp_path: Path) -> None:
    source = tmp_path / "alpaca.json"
    source.write_text(json.dumps(data.synth_records(50, 1)))
    own = data.prepare(str(source), str(checkpoint), 128, tmp_path / "own")
    data.check_own_tokenizer(json.loads((own / "meta.json").read_text()), str(checkpoint))
    other = data.prepare(str(source), "train-bpe:300", 128, tmp_path / "other")
    with pytest.raises(WorkloadError, match="not with the tokenizer of model"):
        data.check_own_tokenizer(json.loads((other / "meta.json").read_text()), str(checkpoint))
