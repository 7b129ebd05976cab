#!/usr/bin/env bash
# How the recorded H200 data under tests/unit/data/{nvml,nccl} was taken (run on the lent H200
# machine from the repository root, with nccl-tests sources unpacked in .upstream/nccl-tests).
# Everything it writes goes to $OUT; nothing here is used by the product.
set -uo pipefail
OUT=${OUT:?set OUT}
mkdir -p "$OUT/nvml" "$OUT/nccl"
cd "$(dirname "$0")/../../../.."
export LC_ALL=C
rec() { local name=$1; shift; { "$@"; echo "rc=$?" >"$OUT/nvml/$name.rc"; } >"$OUT/nvml/$name.txt" 2>&1; }
# --- node facts: the raw outputs node_facts parses
rec nvidia-smi nvidia-smi
rec query_gpu_event nvidia-smi --query-gpu=index,name,uuid,pci.bus_id,driver_version,vbios_version,memory.total,ecc.mode.current,ecc.errors.uncorrected.volatile.total,clocks.sm,clocks.max.sm,persistence_mode,clocks_event_reasons.active,clocks_event_reasons.hw_slowdown,clocks_event_reasons.hw_thermal_slowdown,clocks_event_reasons.hw_power_brake_slowdown,clocks_event_reasons.sw_thermal_slowdown,clocks_event_reasons.sw_power_cap --format=csv,noheader,nounits
rec query_gpu_throttle nvidia-smi --query-gpu=index,clocks_throttle_reasons.active,clocks_throttle_reasons.hw_slowdown --format=csv,noheader,nounits
rec query_gpu_sampler nvidia-smi --query-gpu=index,utilization.gpu,utilization.memory,clocks.sm,memory.used,power.draw,temperature.gpu,clocks_throttle_reasons.active --format=csv,noheader,nounits
rec nvidia-smi-q nvidia-smi -q
rec nvcc nvcc --version
rec uname uname -r
rec os_release cat /etc/os-release
rec ofed_info ofed_info -s
rec sinfo sinfo --version
rec infiniband ls -la /sys/class/infiniband
rec net ls /sys/class/net
rec python_versions python3 -c 'import importlib.metadata as m, json
out = {}
for d in ("torch", "deepspeed", "transformers", "flash-attn", "nvidia-ml-py", "nvidia-nccl-cu13", "nvidia-nccl-cu12"):
    try: out[d] = m.version(d)
    except Exception as e: out[d] = None
import torch
out["torch.version.cuda"] = torch.version.cuda
try: out["torch.cuda.nccl.version"] = list(torch.cuda.nccl.version())
except Exception as e: out["torch.cuda.nccl.version"] = repr(e)
print(json.dumps(out))'
# --- telemetry: idle, then a bf16 matmul load, through NVML; then the nvidia-smi fallback
S=files/h200_workload/telemetry.py
python3 $S --output "$OUT/nvml/h200_nvml_matmul.jsonl" --interval 0.5 & SPID=$!
sleep 2
python3 -c 'import torch, time
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16); b = torch.randn_like(a)
t = time.time()
while time.time() - t < 5: c = a @ b
torch.cuda.synchronize()'
sleep 1; touch "$OUT/nvml/h200_nvml_matmul.jsonl.stop"; wait $SPID; echo "sampler rc=$?" >>"$OUT/nvml/sampler.log"
python3 $S --output "$OUT/nvml/h200_nvidia_smi.jsonl" --interval 0.5 --source nvidia-smi --max-samples 4; echo "smi rc=$?" >>"$OUT/nvml/sampler.log"
python3 $S --output "$OUT/nvml/sigterm.jsonl" --interval 0.5 & SPID=$!; sleep 1.6; kill -TERM $SPID; wait $SPID; echo "sigterm rc=$?" >>"$OUT/nvml/sampler.log"
# the sampler's own cost: 1000 NVML samples back to back
python3 -c 'import time, subprocess, sys
t = time.time()
subprocess.run([sys.executable, "'$S'", "--output", "/tmp/cost.jsonl", "--interval", "0.0001", "--max-samples", "1000"], check=True)
print("1000 samples + start/stop in %.3f s" % (time.time() - t))' >>"$OUT/nvml/sampler.log" 2>&1
# --- nccl-tests, built against the NCCL that the torch wheel brings
NCCL_DIR=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__) if nvidia.nccl.__file__ else list(nvidia.nccl.__path__)[0])' 2>/dev/null)
echo "NCCL_DIR=$NCCL_DIR" >"$OUT/nccl/build.log"; ls -R "$NCCL_DIR" >>"$OUT/nccl/build.log" 2>&1
mkdir -p /tmp/ncclhome/lib && ln -sf "$NCCL_DIR/include" /tmp/ncclhome/include
for f in "$NCCL_DIR"/lib/libnccl.so*; do ln -sf "$f" /tmp/ncclhome/lib/; ln -sf "$f" /tmp/ncclhome/lib/libnccl.so; done
CUDA_HOME=$(dirname "$(dirname "$(command -v nvcc)")")
( cd .upstream/nccl-tests && timeout 400 make -j16 MPI=0 CUDA_HOME="$CUDA_HOME" NCCL_HOME=/tmp/ncclhome NVCC_GENCODE="-gencode=arch=compute_90,code=sm_90" >>"$OUT/nccl/build.log" 2>&1 ); echo "make rc=$?" >>"$OUT/nccl/build.log"
B=.upstream/nccl-tests/build
export LD_LIBRARY_PATH=/tmp/ncclhome/lib:${LD_LIBRARY_PATH:-}
run() { local name=$1; shift; timeout 120 "$@" >"$OUT/nccl/$name.log" 2>&1; echo "rc=$?" >>"$OUT/nccl/$name.rc"; }
run h200_all_reduce_check $B/all_reduce_perf -g 1 -b 8 -e 128M -f 4 -c 1
run h200_all_reduce_nocheck_json $B/all_reduce_perf -g 1 -b 8 -e 128M -f 4 -c 0 -J "$OUT/nccl/h200_all_reduce_nocheck.json"
run h200_alltoall_bf16 $B/alltoall_perf -g 1 -b 1K -e 16M -f 8 -d bfloat16
run h200_reduce_scatter_max_info env NCCL_DEBUG=INFO $B/reduce_scatter_perf -g 1 -b 1K -e 1M -f 32 -o max -d half
run h200_broadcast_all_json $B/broadcast_perf -g 1 -b 1K -e 1M -f 32 -d all -J "$OUT/nccl/h200_broadcast_all.json"
