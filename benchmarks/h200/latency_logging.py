"""Does NCCL's TUNING log (which gives the report the algorithm and protocol per size) change the small-message
time? Reads the all_reduce logs of run_on_h200.sh's `latency` stage (ar_TUNING_<i>.log, ar_WARN_<i>.log, run
alternately) and writes the 8-byte times and their medians.

Usage: PYTHONPATH=.cache/collections python benchmarks/h200/latency_logging.py LOG_DIR OUT.json
"""

import json
import statistics
import sys
from pathlib import Path

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import nccl_output


def main(log_dir: str, out: str) -> int:
    result = {}
    for mode in ("TUNING", "WARN"):
        times = []
        for path in sorted(Path(log_dir).glob("ar_%s_*.log" % mode)):
            rows = nccl_output.parse_nccl_text(path.read_text())["rows"]
            small = min(rows, key=lambda r: r["size_bytes"])
            times.append({"file": path.name, "size_bytes": small["size_bytes"],
                          "out_of_place_us": small["out_of_place"]["time_us"],
                          "in_place_us": small["in_place"]["time_us"], "algo": small["algo"], "proto": small["proto"]})
        result[mode] = {"runs": times,
                        "median_out_of_place_us": statistics.median(t["out_of_place_us"] for t in times)}
    result["ratio_tuning_over_warn"] = (result["TUNING"]["median_out_of_place_us"]
                                        / result["WARN"]["median_out_of_place_us"])
    Path(out).write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    print(json.dumps({k: v["median_out_of_place_us"] for k, v in result.items() if isinstance(v, dict)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
