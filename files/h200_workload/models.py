"""Models: named Llama shapes initialised randomly (throughput runs without weights) or pretrained ones.

Named shapes (Llama-2 papers / Hugging Face configs): ``llama2-7b``, ``llama2-13b``, ``llama2-70b``,
``llama-1b`` (the TinyLlama 1.1B shape measured in shared/ANCHORS.md) and ``tiny`` (CPU tests).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from h200_workload.errors import WorkloadError, missing_path
from h200_workload.flops import LlamaShape, llama_param_count

SHAPES: dict[str, LlamaShape] = {
    "tiny": LlamaShape(vocab_size=0, hidden_size=64, intermediate_size=176, num_layers=2, num_heads=4,
                       num_kv_heads=2),  # vocab_size 0: the tokenizer's
    "llama-1b": LlamaShape(32000, 2048, 5632, 22, 32, 4),
    "llama2-7b": LlamaShape(32000, 4096, 11008, 32, 32, 32),
    "llama2-13b": LlamaShape(32000, 5120, 13824, 40, 40, 40),
    "llama2-70b": LlamaShape(32000, 8192, 28672, 80, 64, 8),
}


@dataclass
class ModelInfo:
    name: str
    source: str  # random-init:<shape> | pretrained:<id or path>
    shape: LlamaShape
    n_params: int


def resolve_shape(model: str, vocab_size: int, seq_len: int) -> tuple[LlamaShape, Any]:
    """The LlamaShape and the transformers config of ``model`` (named shape, local path or hub id)."""
    from transformers import AutoConfig, LlamaConfig

    if model in SHAPES:
        shape = SHAPES[model]
        if shape.vocab_size == 0:
            shape = LlamaShape(**{**shape.__dict__, "vocab_size": -(-vocab_size // 64) * 64})
        if vocab_size > shape.vocab_size:
            raise WorkloadError("other", f"tokenizer has {vocab_size} tokens, model {model} only {shape.vocab_size}",
                                f"prepare the data with a tokenizer of at most {shape.vocab_size} tokens "
                                f"(e.g. --tokenizer train-bpe:{shape.vocab_size})")
        config = LlamaConfig(vocab_size=shape.vocab_size, hidden_size=shape.hidden_size,
                             intermediate_size=shape.intermediate_size, num_hidden_layers=shape.num_layers,
                             num_attention_heads=shape.num_heads, num_key_value_heads=shape.num_kv_heads,
                             max_position_embeddings=max(4096, seq_len), rms_norm_eps=1e-5, use_cache=False,
                             tie_word_embeddings=False)
        return shape, config
    if model.startswith((".", "/")) and not Path(model).exists():
        raise missing_path("model (--model)", model, f"give a model directory, a hub id, or one of {list(SHAPES)}")
    config = AutoConfig.from_pretrained(model)
    config.use_cache = False
    shape = LlamaShape(config.vocab_size, config.hidden_size, config.intermediate_size, config.num_hidden_layers,
                       config.num_attention_heads, getattr(config, "num_key_value_heads", config.num_attention_heads),
                       bool(getattr(config, "tie_word_embeddings", False)))
    return shape, config


def liger_available() -> bool:
    return importlib.util.find_spec("liger_kernel") is not None


def apply_liger(model_type: str) -> str:
    """Patch transformers' Llama classes with Liger's fused Triton kernels; returns what was applied."""
    if model_type != "llama":
        return f"not applied: model type {model_type} (only llama is patched)"
    from liger_kernel.transformers import apply_liger_kernel_to_llama

    apply_liger_kernel_to_llama(rope=True, rms_norm=True, swiglu=True, cross_entropy=False,
                                fused_linear_cross_entropy=True)
    return "rope, rms_norm, swiglu, fused_linear_cross_entropy"


def build(model: str, config: Any, attention: str, device: str, ds_config: dict[str, Any]) -> torch.nn.Module:
    """Create the model in BF16: directly on ``device``, or under ZeRO-3 already partitioned across ranks
    (deepspeed.zero.Init), so a 70B shape never has to fit in one process's memory. A pretrained model is built
    the same way and its weights are then copied in (load_weights): the shape and the checkpoint of the same
    architecture run the same code from here on."""
    import deepspeed
    from transformers import AutoModelForCausalLM

    zero3 = ds_config["zero_optimization"]["stage"] == 3
    place = deepspeed.zero.Init(config_dict_or_path=ds_config) if zero3 else torch.device(device)
    with place:
        module = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation=attention)
    if model not in SHAPES:
        load_weights(module, local_folder(model), zero3)
    return module


def local_folder(model: str) -> Path:
    """The folder of a pretrained model: the path itself, or the hub's cached download of an id."""
    if Path(model).is_dir():
        return Path(model)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(model, allow_patterns=["*.json", "*.safetensors", "tokenizer.model"]))


def load_weights(module: torch.nn.Module, folder: Path, zero3: bool) -> int:
    """Copy the safetensors weights of ``folder`` into ``module``'s parameters (under ZeRO-3: each parameter
    gathered, filled on rank 0, partitioned again); returns the number of tensors loaded. Every parameter must
    be in the checkpoint."""
    import deepspeed
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise missing_path("safetensors weights (--model)", str(folder), "give a Hugging Face-format folder with "
                           "*.safetensors weights (save_pretrained(..., safe_serialization=True))")
    params = dict(module.named_parameters())
    rank0 = not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0
    loaded: set[str] = set()
    for file in files:
        with safe_open(str(file), framework="pt") as weights:
            for name in weights.keys():
                target = params.get(name)
                if target is None:
                    continue
                if zero3:
                    with deepspeed.zero.GatheredParameters([target], modifier_rank=0), torch.no_grad():
                        if rank0:
                            target.data.copy_(weights.get_tensor(name))
                else:
                    with torch.no_grad():
                        target.data.copy_(weights.get_tensor(name))
                loaded.add(name)
    missing = sorted(set(params) - loaded)
    if missing:
        raise WorkloadError("other", f"{folder}: the checkpoint has no weights for {len(missing)} parameter(s), e.g."
                                     f" {', '.join(missing[:3])}", "give the checkpoint of this model's architecture")
    return len(loaded)


def count_params(module: torch.nn.Module) -> int:
    """All parameters, also when ZeRO-3 has partitioned them (ds_numel is the full size)."""
    return sum(getattr(p, "ds_numel", p.numel()) for p in module.parameters())


def set_checkpointing(module: torch.nn.Module, layers: int) -> int:
    """Activation checkpointing of the first ``layers`` decoder layers (-1: all, 0: none); returns the count.

    Checkpointing only some layers trades memory for less recomputation (the recomputed forward is
    not counted in MFU, so every layer left uncheckpointed raises it)."""
    decoder_layers = module.model.layers
    if layers == 0:
        return 0
    count = len(decoder_layers) if layers < 0 else min(layers, len(decoder_layers))
    module.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    for index, layer in enumerate(decoder_layers):
        layer.gradient_checkpointing = index < count
    return count


def describe(model: str, shape: LlamaShape, n_params: int) -> ModelInfo:
    source = f"random-init:{model}" if model in SHAPES else f"pretrained:{model}"
    return ModelInfo(model, source, shape, n_params or llama_param_count(shape))
