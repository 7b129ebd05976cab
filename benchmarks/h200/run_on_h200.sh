#!/usr/bin/env bash
# The H200 runs behind docs/performance.md, in one call of the lent one-GPU machine:
#  1. benchmark.yml on the machine as a one-node cluster (inventory/local-gpu.yml): preflight and the
#     environment record against the real driver, the collective benchmark, the SFT workload (llama-1b
#     shape, tuned preset, packed 4096-token rows), telemetry, counters, callback and report;
#  2. the telemetry sampler's cost on SFT throughput (benchmarks/h200/telemetry_overhead.py).
# Needs .whl/ with deepspeed, liger-kernel, ansible-core and their missing dependencies (docs/performance.md
# lists them). Writes under $OUT (default /tmp/h200-out).
set -uo pipefail
out=${OUT:-/tmp/h200-out}
mkdir -p "$out"
export LC_ALL=C.UTF-8
# Into the image's own environment, not a --target folder on PYTHONPATH: the playbook sets PYTHONPATH for
# the workload, and the deepspeed launcher must still import deepspeed (seen failing on 2026-11-29).
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir .whl/*.whl || exit 1
export ANSIBLE_CONFIG=$PWD/ansible.cfg
mkdir -p .cache/collections/ansible_collections/spectrumx
ln -sfn ../../../.. .cache/collections/ansible_collections/spectrumx/h200_benchmark
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
# A one-GPU machine has no RoCE fabric; preflight reads /etc/nccl.conf, so say so there.
[ -e /etc/nccl.conf ] || printf '# one-GPU test machine: no RoCE NICs, NCCL defaults\nNCCL_DEBUG=WARN\n' >/etc/nccl.conf
timeout "${PLAYBOOK_TIMEOUT:-200}" ansible-playbook -i inventory/local-gpu.yml playbooks/benchmark.yml \
  -e nodes=1 -e launcher=pdsh -e model=llama-1b -e preset=tuned \
  -e h200_sft_seq_len=4096 -e h200_sft_steps=6 -e h200_sft_warmup_steps=2 \
  -e h200_preflight_fail_on_absent=false -e h200_results_dir=/tmp/results \
  -e '{"h200_collectives": ["all_reduce"], "h200_torch_collectives_args": ["--max-bytes", "64M", "--iters", "10", "--warmup-iters", "3"]}' \
  >"$out/playbook.log" 2>&1
echo "playbook rc=$?" | tee -a "$out/playbook.log"
tar -C /tmp/results -czf "$out/results.tgz" . 2>/dev/null
data=$(ls -d /var/tmp/h200_benchmark/data/*-4096 2>/dev/null | head -n 1)
PYTHONPATH=$PWD/files timeout "${OVERHEAD_TIMEOUT:-110}" python3 benchmarks/h200/telemetry_overhead.py \
  --data "$data" --out /tmp/overhead --steps 8 --warmup-steps 2 --block 2 >"$out/overhead.log" 2>&1
echo "overhead rc=$?" | tee -a "$out/overhead.log"
tar -C /tmp/overhead -czf "$out/overhead.tgz" . 2>/dev/null
tail -n 25 "$out/playbook.log"; tail -n 20 "$out/overhead.log"
