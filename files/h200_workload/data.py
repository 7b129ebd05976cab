"""Stanford Alpaca for SFT: template, tokenisation with response-only loss, packing, on-disk cache.

Entry points::

    python -m h200_workload.data synth --out FILE.json --records N --seed S
    python -m h200_workload.data prepare --source SRC --tokenizer TOK --seq-len L --out DIR [--sha256 HEX]

SRC is ``hub:tatsu-lab/alpaca`` (needs the optional ``datasets`` package), a local ``alpaca_data.json``
or an http(s) URL of it. TOK is a Hugging Face tokenizer id or path, or ``train-bpe:VOCAB`` to train a
byte-level BPE tokenizer on the source's own text (no download; what tests and offline nodes use).

A prepared dataset is the directory ``DIR/<key>/`` (key = hash of source sha256, tokenizer, seq len,
template version and packing) holding int32 ``input_ids.npy``, ``labels.npy`` (-100 where no loss),
``position_ids.npy`` (reset to 0 at each packed example: the per-example attention boundaries),
``real_tokens.npy`` (non-padding tokens per row), ``meta.json`` and ``tokenizer/``. A rerun with the
same key reuses it; ``DIR/current.json`` names the last one prepared.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from h200_workload.errors import WorkloadError, missing_path

TEMPLATE_VERSION = "alpaca-v1"
PACKING = "best-fit-decreasing"  # part of the cache key: a cache packed otherwise is not reused
IGNORE_INDEX = -100
# The Stanford Alpaca prompt templates (tatsu-lab/stanford_alpaca, train.py PROMPT_DICT).
PROMPT_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)
ALPACA_URL = "https://raw.githubusercontent.com/tatsu-lab/stanford_alpaca/main/alpaca_data.json"


def format_prompt(record: dict[str, str]) -> str:
    """The Alpaca prompt of a record: with the input section only when ``input`` is not empty."""
    if record.get("input", "").strip():
        return PROMPT_WITH_INPUT.format(instruction=record["instruction"], input=record["input"])
    return PROMPT_NO_INPUT.format(instruction=record["instruction"])


def validate_records(records: Any, origin: str) -> list[dict[str, str]]:
    """Records must be a list of objects with string ``instruction`` and ``output`` (``input`` optional)."""
    if not isinstance(records, list) or not records:
        raise WorkloadError("other", f"{origin}: expected a non-empty JSON list of Alpaca records",
                            "give alpaca_data.json or a file in its format: [{instruction, input, output}, ...]")
    for index, record in enumerate(records):
        ok = isinstance(record, dict) and all(isinstance(record.get(k), str) for k in ("instruction", "output"))
        if not ok or not isinstance(record.get("input", ""), str):
            raise WorkloadError("other", f"{origin}: record {index} is not an Alpaca record: {str(record)[:200]}",
                                "each record needs string fields instruction and output, and optionally input")
    return records


def tokenize_examples(tokenizer: Any, records: list[dict[str, str]], max_len: int) -> list[tuple[list[int], list[int]]]:
    """Per record, the token ids of BOS + prompt + response + EOS, and labels that are IGNORE_INDEX except on
    the response.

    Prompt and response are tokenised separately so that the loss boundary is exact, each as one batch (a fast
    tokenizer spreads a batch over the cores: 52,002 records took 19 s one by one, 8 s batched, on 2 cores).
    Examples longer than ``max_len`` are truncated at the end.
    """
    prompts = tokenizer([format_prompt(r) for r in records], add_special_tokens=False)["input_ids"]
    responses = tokenizer([r["output"] for r in records], add_special_tokens=False)["input_ids"]
    out = []
    for prompt, response in zip(prompts, responses, strict=True):
        response = [*response, tokenizer.eos_token_id]
        ids = [tokenizer.bos_token_id, *prompt, *response][:max_len]
        labels = ([IGNORE_INDEX] * (1 + len(prompt)) + response)[:max_len]
        out.append((ids, labels))
    return out


@dataclass
class Packed:
    """Rows of ``seq_len`` tokens, each holding whole examples back to back, then padding."""

    input_ids: np.ndarray
    labels: np.ndarray
    position_ids: np.ndarray
    real_tokens: np.ndarray


def pack(examples: list[tuple[list[int], list[int]]], seq_len: int, pad_id: int) -> Packed:
    """Best-fit-decreasing packing: longest examples first, each into the row it fills most tightly.

    The padding this leaves is what every step computes for nothing: in-order packing left 1.3 % of a
    52,002-record Alpaca set at 4096 tokens as padding, best fit < 0.1 % (docs/workload.md). TRL's
    ``packing_strategy="bfd"`` is the same idea. Rows are shuffled by the loader, so the order here is
    free. ``position_ids`` restart at 0 for every example (and for the padding tail, its own segment),
    which is what keeps examples from attending to each other (see attention.py). No token is dropped.
    """
    for ex_ids, _ in examples:
        if len(ex_ids) > seq_len:
            raise ValueError(f"example of {len(ex_ids)} tokens is longer than seq_len {seq_len}: truncate first")
    rows: list[list[int]] = []  # example indices per row
    free: list[tuple[int, int]] = []  # (space left, row), sorted: the best fit is the first with enough space
    for index in sorted(range(len(examples)), key=lambda i: -len(examples[i][0])):
        length = len(examples[index][0])
        at = bisect.bisect_left(free, (length, -1))
        if at < len(free):
            space, row = free.pop(at)
        else:
            space, row = seq_len, len(rows)
            rows.append([])
        rows[row].append(index)
        if space > length:
            bisect.insort(free, (space - length, row))
    rows_ids = [[t for i in row for t in examples[i][0]] for row in rows]
    rows_labels = [[t for i in row for t in examples[i][1]] for row in rows]
    rows_pos = [[p for i in row for p in range(len(examples[i][0]))] for row in rows]
    n = len(rows_ids)
    out = Packed(
        input_ids=np.full((n, seq_len), pad_id, dtype=np.int32),
        labels=np.full((n, seq_len), IGNORE_INDEX, dtype=np.int32),
        position_ids=np.zeros((n, seq_len), dtype=np.int32),
        real_tokens=np.zeros(n, dtype=np.int32),
    )
    for r in range(n):
        length = len(rows_ids[r])
        out.input_ids[r, :length] = rows_ids[r]
        out.labels[r, :length] = rows_labels[r]
        out.position_ids[r, :length] = rows_pos[r]
        out.position_ids[r, length:] = np.arange(seq_len - length)
        out.real_tokens[r] = length
    return out


# ----------------------------------------------------------------------------------------------- sources
def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_source(source: str, download_dir: Path, sha256: str | None) -> tuple[list[dict[str, str]], str]:
    """Records and the sha256 that identifies them, from ``hub:NAME``, a URL or a local JSON file."""
    if source.startswith("hub:"):
        try:
            import datasets  # optional: only this path needs it
        except ImportError as exc:
            raise WorkloadError("missing_path", f"--source {source} needs the 'datasets' package ({exc})",
                                "pip install datasets, or download alpaca_data.json and give its path") from exc
        rows = datasets.load_dataset(source[4:], split="train")
        records = [{"instruction": r["instruction"], "input": r.get("input", ""), "output": r["output"]} for r in rows]
        blob = json.dumps(records, sort_keys=True).encode()
        return validate_records(records, source), hashlib.sha256(blob).hexdigest()
    if source.startswith(("http://", "https://")):
        download_dir.mkdir(parents=True, exist_ok=True)
        path = download_dir / (Path(source.split("?")[0]).name or "alpaca_data.json")
        if not path.exists():  # to a temporary name first: a cut-off download is never taken for the file
            handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.partial-", dir=download_dir)
            try:
                with urllib.request.urlopen(source, timeout=60) as response, os.fdopen(handle, "wb") as out:
                    shutil.copyfileobj(response, out)
                os.replace(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
    else:
        path = Path(source)
        if not path.is_file():
            raise missing_path("dataset file (--source)", source,
                               "give alpaca_data.json's path, an http(s) URL, or hub:tatsu-lab/alpaca")
    digest = _sha256_file(path)
    if sha256 and digest != sha256.lower():
        raise WorkloadError("other", f"{path}: sha256 {digest} differs from --sha256 {sha256}",
                            "the file is not the expected one: remove it and download again, or fix --sha256")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise WorkloadError("other", f"{path}: not valid JSON ({exc})", "give an Alpaca-format JSON file") from exc
    return validate_records(records, str(path)), digest


# ----------------------------------------------------------------------------------------------- tokenizer
def train_bpe_tokenizer(records: list[dict[str, str]], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on the records' own text (offline; deterministic for a source)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<pad>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    texts = (format_prompt(r) + r["output"] for r in records)
    tok.train_from_iterator(texts, trainer, length=len(records))
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def load_tokenizer(spec: str, records: list[dict[str, str]]) -> tuple[Any, str]:
    """The tokenizer and an identity string for the cache key."""
    if spec.startswith("train-bpe:"):
        try:
            vocab = int(spec.split(":", 1)[1])
        except ValueError as exc:
            raise WorkloadError("other", f"--tokenizer {spec}: vocabulary size is not a number",
                                "use train-bpe:VOCAB, e.g. train-bpe:32000") from exc
        if not 300 <= vocab <= 256000:
            raise WorkloadError("other", f"--tokenizer {spec}: vocabulary {vocab} outside 300..256000",
                                "use train-bpe:VOCAB with 300 <= VOCAB <= 256000")
        return train_bpe_tokenizer(records, vocab), spec
    from transformers import AutoTokenizer

    if spec.startswith((".", "/")) and not Path(spec).exists():
        raise missing_path("tokenizer (--tokenizer)", spec, "give a tokenizer directory, a hub id, or train-bpe:VOCAB")
    tokenizer = AutoTokenizer.from_pretrained(spec)
    if tokenizer.bos_token_id is None or tokenizer.eos_token_id is None:
        raise WorkloadError("other", f"--tokenizer {spec} has no BOS or EOS token", "use a Llama-style tokenizer")
    return tokenizer, f"{spec}@{vocab_hash(tokenizer)}"


def vocab_hash(tokenizer: Any) -> str:
    """What identifies a tokenizer wherever its folder is: the hash of its vocabulary."""
    return hashlib.sha256(json.dumps(sorted(tokenizer.get_vocab().items())).encode()).hexdigest()[:16]


def check_own_tokenizer(meta: dict[str, Any], model: str) -> None:
    """A real model trains on data tokenised with its own tokenizer (the one in its folder or hub repository):
    raise when the prepared data's tokenizer has another vocabulary."""
    from transformers import AutoTokenizer

    own = vocab_hash(AutoTokenizer.from_pretrained(model))
    if not str(meta.get("tokenizer", "")).endswith("@" + own):
        raise WorkloadError("other", f"the data in {meta.get('key')} was tokenised with {meta.get('tokenizer')}, not "
                                     f"with the tokenizer of model {model} (vocabulary {own})",
                            f"prepare the data with --tokenizer {model}")


# ----------------------------------------------------------------------------------------------- prepare
def cache_key(source_sha256: str, tokenizer_id: str, seq_len: int) -> str:
    ident = json.dumps([source_sha256, tokenizer_id, seq_len, TEMPLATE_VERSION, PACKING]).encode()
    return hashlib.sha256(ident).hexdigest()[:16]


def prepare(source: str, tokenizer_spec: str, seq_len: int, out: Path, sha256: str | None = None) -> Path:
    """Tokenise, mask and pack the source into ``out/<key>/``; reuse it when it already exists."""
    if seq_len < 16:
        raise WorkloadError("other", f"--seq-len {seq_len} is too short", "use --seq-len >= 16 (e.g. 512 or 4096)")
    records, source_sha = load_source(source, out / "downloads", sha256)
    tokenizer_key = tokenizer_spec if tokenizer_spec.startswith("train-bpe:") else None
    if tokenizer_key is not None:  # a trained tokenizer is fixed by source + spec: key known before training
        existing = out / cache_key(source_sha, tokenizer_key, seq_len)
        if (existing / "meta.json").is_file():
            _write_current(out, existing.name)
            return existing
    tokenizer, tokenizer_id = load_tokenizer(tokenizer_spec, records)
    key = cache_key(source_sha, tokenizer_id, seq_len)
    target = out / key
    if (target / "meta.json").is_file():
        _write_current(out, key)
        return target
    started = time.time()
    examples = tokenize_examples(tokenizer, records, seq_len)
    truncated = sum(1 for ids, _ in examples if len(ids) == seq_len and ids[-1] != tokenizer.eos_token_id)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    packed = pack(examples, seq_len, pad_id)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=out))  # atomic: a half-written cache is never reused
    for name in ("input_ids", "labels", "position_ids", "real_tokens"):
        np.save(tmp / f"{name}.npy", getattr(packed, name))
    tokenizer.save_pretrained(tmp / "tokenizer")
    real = int(packed.real_tokens.sum())
    meta = {
        "key": key, "source": source, "source_sha256": source_sha, "tokenizer": tokenizer_id,
        "vocab_size": len(tokenizer), "seq_len": seq_len, "template_version": TEMPLATE_VERSION, "packing": PACKING,
        "records": len(records), "examples_truncated": truncated, "rows": len(packed.real_tokens),
        "real_tokens": real, "response_tokens": int((packed.labels != IGNORE_INDEX).sum()),
        "fill_ratio": real / max(1, packed.input_ids.size), "pad_id": pad_id,
        "bos_id": tokenizer.bos_token_id, "eos_id": tokenizer.eos_token_id,
        "prepare_seconds": round(time.time() - started, 1),
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    try:
        tmp.rename(target)
    except OSError:  # another process finished the same key first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    _write_current(out, key)
    return target


def _write_current(out: Path, key: str) -> None:
    tmp = out / f".current.json.{os.getpid()}"
    tmp.write_text(json.dumps({"key": key}) + "\n")
    tmp.replace(out / "current.json")


@dataclass
class PreparedData:
    path: Path
    meta: dict[str, Any]
    input_ids: np.ndarray
    labels: np.ndarray
    position_ids: np.ndarray
    real_tokens: np.ndarray


def find_prepared(data: Path, seq_len: int | None) -> Path:
    """The prepared dataset in ``data`` (itself, or the matching ``data/<key>/``) for ``seq_len``."""
    fix = f"run: python -m h200_workload.data prepare --source SRC --tokenizer TOK --seq-len {seq_len} --out {data}"
    if (data / "meta.json").is_file():
        candidates = [data]
    elif data.is_dir():
        candidates = sorted((p.parent for p in data.glob("*/meta.json")), key=lambda p: p.stat().st_mtime)
    else:
        raise missing_path("prepared dataset (--data)", str(data), fix)
    if seq_len is not None:
        candidates = [p for p in candidates if json.loads((p / "meta.json").read_text())["seq_len"] == seq_len]
    if not candidates:
        raise missing_path(f"prepared dataset with seq_len {seq_len} (--data)", str(data), fix)
    current = data / "current.json"
    if current.is_file():
        named = data / json.loads(current.read_text())["key"]
        if named in candidates:
            return named
    return candidates[-1]


def load_prepared(data: Path, seq_len: int | None) -> PreparedData:
    path = find_prepared(data, seq_len)
    names = ("input_ids", "labels", "position_ids", "real_tokens")
    arrays = {n: np.load(path / f"{n}.npy", mmap_mode="r") for n in names}
    return PreparedData(path=path, meta=json.loads((path / "meta.json").read_text()), **arrays)


# ----------------------------------------------------------------------------------------------- synth
def synth_records(count: int, seed: int) -> list[dict[str, str]]:
    """Alpaca-format records of Alpaca-like lengths from a fixed pseudo-word vocabulary; ~60 % empty input."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "dr", "en", "or", "ul", "ix"]
    words = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(4000)})

    def sentence(low: int, high: int) -> str:
        text = " ".join(rng.choice(words) for _ in range(rng.randint(low, high)))
        return text[:1].upper() + text[1:] + "."

    records = []
    for _ in range(count):
        has_input = rng.random() < 0.4
        records.append({
            "instruction": sentence(4, 24),
            "input": sentence(3, 40) if has_input else "",
            "output": " ".join(sentence(4, 16) for _ in range(rng.randint(1, 5))),
        })
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m h200_workload.data", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("synth", help="write synthetic Alpaca-format records (tests, offline runs)")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--records", type=int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("prepare", help="tokenise, mask and pack a source into a cached dataset")
    p.add_argument("--source", required=True, help=f"hub:tatsu-lab/alpaca, a local JSON path or a URL ({ALPACA_URL})")
    p.add_argument("--tokenizer", required=True, help="HF tokenizer id or path, or train-bpe:VOCAB")
    p.add_argument("--seq-len", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sha256", help="expected sha256 of the source file (checked when given)")
    args = parser.parse_args(argv)
    try:
        if args.command == "synth":
            if args.records < 1:
                parser.error(f"--records must be >= 1, got {args.records}")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(synth_records(args.records, args.seed), indent=1) + "\n")
            print(json.dumps({"out": str(args.out), "records": args.records, "seed": args.seed}))
        else:
            path = prepare(args.source, args.tokenizer, args.seq_len, args.out, args.sha256)
            print(json.dumps({"data": str(path), **json.loads((path / "meta.json").read_text())}))
    except WorkloadError as exc:
        print(json.dumps({"error": {"kind": exc.kind, "message": exc.message, "fix": exc.fix}}), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
