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
    (deepspeed.zero.Init), so a 70B shape never has to fit in one process's memory."""
    import deepspeed
    from transformers import AutoModelForCausalLM

    zero3 = ds_config["zero_optimization"]["stage"] == 3
    if model in SHAPES:
        place = deepspeed.zero.Init(config_dict_or_path=ds_config) if zero3 else torch.device(device)
        with place:
            return AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation=attention)
    hf_ds_config = None
    if zero3:  # transformers loads the weights straight into partitions while this object lives (needs accelerate)
        from transformers.integrations import HfDeepSpeedConfig

        hf_ds_config = HfDeepSpeedConfig(ds_config)
    loaded = AutoModelForCausalLM.from_pretrained(model, config=config, dtype=torch.bfloat16,
                                                  attn_implementation=attention,
                                                  device_map=None if zero3 else torch.device(device))
    del hf_ds_config
    return loaded


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
