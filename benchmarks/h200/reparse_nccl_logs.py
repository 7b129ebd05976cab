"""Re-read the nccl-tests logs of a run directory with the current parser and rewrite their result files.

Why: the parser that ran on the two-GPU H200 machine on 2026-11-29 (before commit "nccl-tests output: NCCL log
lines cut out wherever they start") lost every row of a table into which NCCL's TUNING log lines were written
mid-row; the raw logs were kept, so the numbers come from them. Each rewritten file says so in "parsed_by".

Usage: PYTHONPATH=.cache/collections python benchmarks/h200/reparse_nccl_logs.py RUN_DIR
"""

import json
import sys
from pathlib import Path

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import nccl_output

KEYS = ("rows", "avg_busbw_gbps", "peak_busbw_gbps", "complete", "nccl_version", "ranks")


def main(run_dir: str) -> int:
    for result_path in sorted(Path(run_dir, "nccl").glob("*/*.json")):
        log_path = result_path.with_suffix(".log")
        result = json.loads(result_path.read_text())
        if result.get("tool") != "nccl-tests" or not log_path.is_file():
            continue
        parsed = nccl_output.parse_nccl_text(log_path.read_text(errors="replace"))
        result.update({key: parsed[key] for key in KEYS})
        result["parsed_by"] = "benchmarks/h200/reparse_nccl_logs.py from %s" % log_path.name
        result_path.write_text(json.dumps(result, indent=4, sort_keys=True, allow_nan=False) + "\n")
        print("%s: %d rows, peak %s GB/s" % (result_path, len(parsed["rows"]), parsed["peak_busbw_gbps"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
