"""Save a Llama shape of files/h200_workload/models.py as a Hugging Face-format checkpoint, offline.

    python benchmarks/h200/save_hf_checkpoint.py --shape llama2-7b --out /var/tmp/llama2-7b-hf

The folder holds config.json, random BF16 weights in safetensors shards and a tokenizer: the byte-level BPE
that the benchmark trains for the shapes (train-bpe:VOCAB on the same synthetic Alpaca records), so that
``-e model=<folder>`` (loaded by path, with its own tokenizer) and ``-e model=<shape>`` train on the same
tokens and their throughput can be compared (docs/performance.md). Nothing is downloaded. The end-to-end tests
save the ``tiny`` shape this way and serve it as a Hugging Face hub mirror.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "files"))

import torch
from h200_workload import data, models


def save(shape_name: str, out: Path, vocab: int, records: int, seed: int, shard_size: str) -> dict[str, object]:
    """Tokenizer first (a shape of vocabulary 0 takes the tokenizer's), then the model; returns what was saved."""
    tokenizer = data.train_bpe_tokenizer(data.synth_records(records, seed), vocab)
    shape, config = models.resolve_shape(shape_name, len(tokenizer), 4096)
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True, max_shard_size=shard_size)
    tokenizer.save_pretrained(out)
    saved = {"shape": shape_name, "out": str(out), "vocab_size": shape.vocab_size, "tokenizer_vocab": len(tokenizer),
             "n_params": models.count_params(model), "files": sorted(p.name for p in out.iterdir())}
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", required=True, choices=sorted(models.SHAPES))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--vocab", type=int, default=8000,
                        help="BPE vocabulary (8000: the benchmark's train-bpe:8000 default for the shapes)")
    parser.add_argument("--records", type=int, default=52002,
                        help="synthetic records the tokenizer is trained on (the benchmark's h200_sft_synth_records)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shard-size", default="5GB", help="safetensors shard size (save_pretrained max_shard_size)")
    args = parser.parse_args(argv)
    print(json.dumps(save(args.shape, args.out, args.vocab, args.records, args.seed, args.shard_size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
