from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from h200_workload import attention, data
from h200_workload.errors import WorkloadError


class CharTokenizer:
    """Test double of a tokenizer: one id per character, BOS 1, EOS 2, PAD 0."""

    bos_token_id, eos_token_id, pad_token_id = 1, 2, 0

    def __call__(self, text: str | list[str], add_special_tokens: bool = False) -> dict[str, list]:
        encode = lambda t: [3 + (ord(c) % 200) for c in t]  # noqa: E731
        return {"input_ids": [encode(t) for t in text] if isinstance(text, list) else encode(text)}


def test_prompt_template_with_and_without_input() -> None:
    with_input = data.format_prompt({"instruction": "Add.", "input": "2 and 3", "output": "5"})
    assert with_input.startswith("Below is an instruction that describes a task, paired with an input")
    assert with_input.endswith("### Instruction:\nAdd.\n\n### Input:\n2 and 3\n\n### Response:\n")
    without = data.format_prompt({"instruction": "Say hi.", "input": "  ", "output": "hi"})
    assert "### Input" not in without
    assert without.endswith("### Instruction:\nSay hi.\n\n### Response:\n")


def test_labels_mask_everything_but_the_response() -> None:
    tok = CharTokenizer()
    record = {"instruction": "Add.", "input": "", "output": "five"}
    [(ids, labels)] = data.tokenize_examples(tok, [record], 4096)
    prompt_len = 1 + len(data.format_prompt(record))
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert labels[:prompt_len] == [data.IGNORE_INDEX] * prompt_len
    assert labels[prompt_len:] == ids[prompt_len:] == tok("five")["input_ids"] + [tok.eos_token_id]


def test_truncation_keeps_the_limit() -> None:
    [(ids, labels)] = data.tokenize_examples(CharTokenizer(), [{"instruction": "x" * 50, "output": "y" * 50}], 64)
    assert len(ids) == len(labels) == 64


def _examples(rng: np.random.Generator, count: int) -> list[tuple[list[int], list[int]]]:
    out = []
    for _ in range(count):
        n = int(rng.integers(3, 40))
        ids = rng.integers(3, 100, n).tolist()
        cut = int(rng.integers(1, n))
        out.append((ids, [data.IGNORE_INDEX] * cut + ids[cut:]))
    return out


def test_packing_keeps_every_token_and_never_mixes_examples() -> None:
    examples = _examples(np.random.default_rng(0), 200)
    packed = data.pack(examples, seq_len=64, pad_id=0)
    recovered = []
    for row in range(len(packed.real_tokens)):
        docs = attention.document_ids(torch.from_numpy(packed.position_ids[row]))
        length = int(packed.real_tokens[row])
        for doc in torch.unique(docs[:length]).tolist():
            index = (docs[:length] == doc).nonzero().flatten()
            assert index.diff().eq(1).all(), "an example is split or interleaved"
            ids = packed.input_ids[row, index.numpy()].tolist()
            labels = packed.labels[row, index.numpy()].tolist()
            assert packed.position_ids[row, index.numpy()].tolist() == list(range(len(ids)))
            recovered.append((ids, labels))
        assert (packed.labels[row, length:] == data.IGNORE_INDEX).all()
    assert sorted(recovered) == sorted(examples)  # every token, each example in one piece
    assert int(packed.real_tokens.sum()) == sum(len(ids) for ids, _ in examples)


def test_packing_fills_rows_best_fit_decreasing() -> None:
    # in order, 40 | 30 30 | 40 needs three rows of 70; longest first, best fit: 40 30 | 40 30
    examples = [([5] * n, [5] * n) for n in (40, 30, 30, 40)]
    packed = data.pack(examples, seq_len=70, pad_id=0)
    assert packed.real_tokens.tolist() == [70, 70]
    # an example goes to the row it fills best: the 1 joins 5 + 4 (1 left), not the 8 (first with room)
    packed = data.pack([([5] * n, [5] * n) for n in (4, 3, 1, 5, 8)], seq_len=10, pad_id=0)
    assert sorted(packed.real_tokens.tolist()) == [3, 8, 10]


def test_document_mask_is_block_diagonal_and_causal() -> None:
    position_ids = torch.tensor([[0, 1, 2, 0, 1, 0]])
    mask = attention.dense_document_mask(position_ids)[0, 0]
    expected = torch.tensor([
        [1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0],
        [0, 0, 0, 1, 0, 0], [0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 0, 1],
    ], dtype=torch.bool)
    assert torch.equal(mask, expected)


def test_packed_loss_equals_unpacked_loss_on_a_tiny_model() -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    model = LlamaForCausalLM(config).eval()
    model.config._attn_implementation = "sdpa"
    examples = _examples(np.random.default_rng(1), 9)
    packed = data.pack(examples, seq_len=96, pad_id=0)
    assert len(packed.real_tokens) < len(examples)  # really packed
    pos = torch.from_numpy(packed.position_ids).long()
    with torch.no_grad():
        packed_loss = model(input_ids=torch.from_numpy(packed.input_ids).long(),
                            labels=torch.from_numpy(packed.labels).long(),
                            **attention.model_inputs("sdpa", pos)).loss
        longest = max(len(ids) for ids, _ in examples)
        ids = torch.zeros(len(examples), longest, dtype=torch.long)
        labels = torch.full((len(examples), longest), data.IGNORE_INDEX)
        mask = torch.zeros(len(examples), longest, dtype=torch.long)
        for i, (e_ids, e_labels) in enumerate(examples):
            ids[i, :len(e_ids)] = torch.tensor(e_ids)
            labels[i, :len(e_labels)] = torch.tensor(e_labels)
            mask[i, :len(e_ids)] = 1
        unpacked = model(input_ids=ids, labels=labels, attention_mask=mask)
        unpacked_loss, unpacked_logits = unpacked.loss, unpacked.logits
        # a plain causal mask (same reset position_ids) lets examples see each other: the loss must differ
        seq = pos.shape[1]
        causal = torch.ones(seq, seq, dtype=torch.bool).tril().expand(pos.shape[0], 1, seq, seq)
        leaky_logits = model(input_ids=torch.from_numpy(packed.input_ids).long(), position_ids=pos,
                             attention_mask=causal).logits
        packed_logits = model(input_ids=torch.from_numpy(packed.input_ids).long(),
                              **attention.model_inputs("sdpa", pos)).logits
    assert torch.allclose(packed_loss, unpacked_loss, rtol=1e-5, atol=1e-5)
    # the second example of row 0 starts where position_ids return to 0
    start = int((pos[0, 1:] == 0).nonzero()[0]) + 1
    length = len(examples[1][0])
    assert torch.allclose(packed_logits[0, start:start + length], unpacked_logits[1, :length], atol=1e-5)
    assert (leaky_logits[0, start:start + length] - unpacked_logits[1, :length]).abs().max() > 1e-3


def test_synth_records_are_alpaca_format_with_some_empty_inputs() -> None:
    records = data.synth_records(200, seed=7)
    assert records == data.synth_records(200, seed=7)
    assert data.validate_records(records, "synth") is records
    empty = sum(1 for r in records if not r["input"])
    assert 0 < empty < len(records)


def test_prepare_caches_by_key_and_reuses(tmp_path) -> None:
    source = tmp_path / "a.json"
    source.write_text(json.dumps(data.synth_records(120, seed=1)))
    first = data.prepare(str(source), "train-bpe:400", 128, tmp_path / "out")
    mtime = (first / "meta.json").stat().st_mtime_ns
    again = data.prepare(str(source), "train-bpe:400", 128, tmp_path / "out")
    assert again == first and (first / "meta.json").stat().st_mtime_ns == mtime
    other = data.prepare(str(source), "train-bpe:400", 256, tmp_path / "out")
    assert other != first
    meta = json.loads((first / "meta.json").read_text())
    assert meta["seq_len"] == 128 and meta["records"] == 120 and meta["template_version"] == data.TEMPLATE_VERSION
    loaded = data.load_prepared(tmp_path / "out", 128)
    assert loaded.path == first and loaded.input_ids.shape[1] == 128


def test_prepare_errors_name_the_input(tmp_path) -> None:
    with pytest.raises(WorkloadError) as missing:
        data.prepare(str(tmp_path / "nope.json"), "train-bpe:400", 128, tmp_path / "out")
    assert missing.value.kind == "missing_path" and "nope.json" in missing.value.message
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"instruction": "x"}]))
    with pytest.raises(WorkloadError, match="record 0"):
        data.prepare(str(bad), "train-bpe:400", 128, tmp_path / "out")
    with pytest.raises(WorkloadError, match="sha256"):
        bad.write_text(json.dumps(data.synth_records(3, 0)))
        data.prepare(str(bad), "train-bpe:400", 128, tmp_path / "out", sha256="0" * 64)
    with pytest.raises(WorkloadError) as none_prepared:
        data.load_prepared(tmp_path / "out", 4096)
    assert none_prepared.value.kind == "missing_path" and "--seq-len 4096" in none_prepared.value.fix
