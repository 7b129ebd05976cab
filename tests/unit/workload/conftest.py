"""The workload is a plain package under files/ (PYTHONPATH=files on the nodes): import it the same way."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "files"
sys.path.insert(0, str(FILES))


@pytest.fixture
def workload_env() -> dict[str, str]:
    """Environment for workload subprocesses on CPU: the package importable, one thread per rank."""
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR",
                                                             "MASTER_PORT") and not k.startswith("SLURM_")}
    env.update(PYTHONPATH=str(FILES), OMP_NUM_THREADS="1", DS_ACCELERATOR="cpu", TOKENIZERS_PARALLELISM="false")
    return env


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic Alpaca file prepared at seq_len 256 with a BPE tokenizer trained on it."""
    from h200_workload import data

    root = tmp_path_factory.mktemp("alpaca")
    source = root / "alpaca.json"
    source.write_text(__import__("json").dumps(data.synth_records(400, seed=3)))
    data.prepare(str(source), "train-bpe:512", 256, root / "data")
    return root / "data"
