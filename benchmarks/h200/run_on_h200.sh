#!/usr/bin/env bash
# The H200 runs behind docs/performance.md, on the lent one- or two-GPU machine, as ansible-playbook runs of
# the collection against inventory/local-gpu.yml (the machine as a one-node cluster, ansible_connection=local;
# h200_gpus_per_node is the GPU count nvidia-smi lists).
#
# Usage: run_on_h200.sh STAGE...   (stages run in order, each under the time left before $DEADLINE_S)
#   verify    playbooks/verify.yml: the six roles' read-only checks against the real driver and machine
#   nccl      playbooks/site.yml with the nccl_build role only: NCCL and nccl-tests built from the sources
#             in .upstream/ (file:// URLs); the owners' NCCL first, then $NCCL_FALLBACK if that fails
#   example   benchmark.yml -e nodes=1: preflight, collectives (nccl-tests when built), SFT llama-1b tuned,
#             telemetry, counters, callback and report (the example report in docs/examples/)
#   sft1b     benchmark.yml phases sft,report: llama-1b tuned (the example's SFT phase alone)
#   seed      benchmark.yml phases sft,report: the seed preset on llama-1b and on llama2-7b
#   tuned7b   benchmark.yml phases sft,report: llama2-7b tuned, $TUNED7B_STEPS timed steps
#   overhead  the telemetry sampler's cost on SFT throughput (benchmarks/h200/telemetry_overhead.py)
#   gpusweep  benchmark.yml -e gpus=1,...,all: collectives to 8 GB and SFT llama-1b tuned on 1..all GPUs
#   multi7b   benchmark.yml phases sft,report on every GPU: llama2-7b tuned, then llama2-7b seed
#   multi13b  benchmark.yml phases sft,report on every GPU: llama2-13b tuned
#   latency   nccl-tests all_reduce 8 B to 1 MB on every GPU, NCCL's TUNING log on and off, 3 times each
#   seams     benchmark.yml phases sft,report on every GPU, llama-1b tuned, after the nccl stage: the ranks load the
#             NCCL nccl_build built (NCCL's version line in sft/<label>/nccl_loaded.json) and bind to their GPU's
#             NUMA node (summary.json "affinity")
#   hfpath    llama-1b trained from its shape and from the same shape saved in Hugging Face format
#             (benchmarks/h200/save_hf_checkpoint.py) and loaded by path, alternately, $HFPATH_PAIRS pairs
# Needs .whl/ (deepspeed, liger-kernel, ansible-core and the dependencies the image lacks: docs/performance.md)
# and, for nccl, .upstream/nccl-<version>-1.tar.gz and nccl-tests-<version>.tar.gz. Writes under $OUT.
set -uo pipefail
out=${OUT:-/tmp/h200-out}
mkdir -p "$out"
export LC_ALL=C.UTF-8
start=$(date +%s)
deadline=$((start + ${DEADLINE_S:-560}))
left() { echo $((deadline - $(date +%s))); }
# time for one stage: at most $1 seconds, never past the deadline (minus 15 s to pack the results)
budget() { local l=$(($(left) - 15)); [ "$1" -lt "$l" ] && echo "$1" || echo "$l"; }
log() { echo "[$(($(date +%s) - start)) s] $*" | tee -a "$out/stages.log"; }

if ! python3 -c 'import deepspeed, ansible' 2>/dev/null; then
  # Into the image's own environment, not a --target folder on PYTHONPATH: the playbook sets PYTHONPATH
  # for the workload, and the deepspeed launcher must still import deepspeed (seen failing on 2026-11-29).
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir .whl/*.whl || exit 1
fi
export ANSIBLE_CONFIG=$PWD/ansible.cfg
# DeepSpeed's CPU Adam is compiled at first use (the wheel is built with DS_BUILD_OPS=0); the build is
# packed at the end, so a later call can carry it (as .torch_extensions.tgz) and skip the compile (51 s).
export TORCH_EXTENSIONS_DIR=$PWD/.torch_extensions
if [ -f .torch_extensions.tgz ] && tar -xzf .torch_extensions.tgz; then
  # ninja rebuilds when a source is newer than the build it logged: the sources were just installed, so date
  # them back (this machine is thrown away after the session)
  find "$(python3 -c 'import deepspeed, os; print(os.path.dirname(deepspeed.__file__))')" -exec touch -d 2020-01-01 {} +
fi
mkdir -p .cache/collections/ansible_collections/spectrumx
ln -sfn ../../../.. .cache/collections/ansible_collections/spectrumx/h200_benchmark
[ -s "$out/nvidia-smi.txt" ] || nvidia-smi >"$out/nvidia-smi.txt" 2>&1
# The GPU machine has no RoCE fabric; preflight reads /etc/nccl.conf, so say so there. NVLink multicast stays
# off on these shared machines (device README), in nccl.conf and in every environment the playbook builds.
[ -e /etc/nccl.conf ] || printf '# GPU test machine: no RoCE NICs, NCCL defaults\nNCCL_NVLS_ENABLE=0\n' >/etc/nccl.conf
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
[ "$gpus" -ge 1 ] || gpus=1
# Root without sudo (the lent machine): the plays' become would call sudo; root needs none.
become=()
[ "$(id -u)" = 0 ] && ! command -v sudo >/dev/null && become=(-e ansible_become=false)
play() {  # play NAME SECONDS PLAYBOOK ARGS...: one ansible-playbook run, log in $out/NAME.log
  local name=$1 secs; secs=$(budget "$2"); shift 2
  if [ "$secs" -lt 30 ]; then log "$name: skipped, ${secs} s left"; return 124; fi
  log "$name: start (limit ${secs} s)"
  timeout "$secs" ansible-playbook -i inventory/local-gpu.yml "${become[@]}" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  log "$name: rc=$rc"
  tail -n 4 "$out/$name.log" | sed 's/^/    /'
  return $rc
}
# The results directory of every benchmark.yml run; packed at the end.
results=/tmp/results
nccl_version=${H200_NCCL_VERSION:-2.26.2}  # not NCCL_VERSION: CUDA images set that
nccl_tests_version=${NCCL_TESTS_VERSION:-2.19.6}
bench=(playbooks/benchmark.yml -e nodes=1 -e launcher=pdsh -e h200_preflight_fail_on_absent=false
       -e "h200_results_dir=$results" -e h200_sft_warmup_steps=1 -e "h200_gpus_per_node=$gpus"
       -e '{"h200_nccl_env": {"NCCL_NVLS_ENABLE": "0"}}')

build_nccl() {  # build_nccl VERSION SECONDS
  local cuda_home; cuda_home=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
  play "nccl_build-$1" "$2" playbooks/site.yml -e '{"h200_site_roles": ["nccl_build"]}' \
    -e "h200_nccl_version=$1" -e nccl_build_require_cuda=true -e "nccl_build_cuda_home=$cuda_home" \
    -e "nccl_build_source_url=file://$PWD/.upstream/nccl-$1-1.tar.gz" \
    -e "nccl_build_tests_version=$nccl_tests_version" \
    -e "nccl_build_tests_url=file://$PWD/.upstream/nccl-tests-$nccl_tests_version.tar.gz"
}

for stage in "$@"; do
  case $stage in
    verify) play verify 120 playbooks/verify.yml ;;
    nccl)
      if ! build_nccl "$nccl_version" "${NCCL_BUILD_S:-300}" && [ -n "${NCCL_FALLBACK:-}" ]; then
        grep -m 5 -E "error|Error" "$out/nccl_build-$nccl_version.log" | cut -c1-300 | tee -a "$out/stages.log"
        nccl_version=$NCCL_FALLBACK
        build_nccl "$nccl_version" "${NCCL_BUILD_S:-300}"
      fi
      ls -la "/opt/nccl/$nccl_version/nccl-tests" "/opt/nccl/$nccl_version/lib" >>"$out/stages.log" 2>&1 ;;
    example)
      play example 300 "${bench[@]}" -e "h200_nccl_version=$nccl_version" -e model=llama-1b -e preset=tuned \
        -e h200_sft_seq_len=4096 -e h200_sft_steps=5 \
        -e '{"h200_collectives": ["all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv"],
             "h200_nccl_tests_args": ["-b", "8", "-e", "1G", "-f", "4", "-g", "1", "-c", "1"],
             "h200_torch_collectives_args": ["--max-bytes", "64M", "--iters", "10", "--warmup-iters", "3"]}' ;;
    sft1b)  # the example's SFT phase alone: llama-1b tuned
      play sft-llama-1b 300 "${bench[@]}" -e phases=sft,report -e model=llama-1b -e preset=tuned \
        -e h200_sft_seq_len=4096 -e h200_sft_steps=5 ;;
    seed)
      play seed-llama-1b 150 "${bench[@]}" -e phases=sft,report -e model=llama-1b -e preset=seed \
        -e h200_sft_seq_len=512 -e h200_sft_steps=3
      play seed-llama2-7b 150 "${bench[@]}" -e phases=sft,report -e model=llama2-7b -e preset=seed \
        -e h200_sft_seq_len=512 -e h200_sft_steps=3 ;;
    tuned7b)
      play tuned-llama2-7b 560 "${bench[@]}" -e phases=sft,report -e model=llama2-7b -e preset=tuned \
        -e h200_sft_seq_len=4096 -e "h200_sft_steps=${TUNED7B_STEPS:-3}" ;;
    overhead)
      data=$(ls -d /var/tmp/h200_benchmark/data/*-4096 2>/dev/null | head -n 1)
      secs=$(budget 200); log "overhead: start (limit ${secs} s)"
      PYTHONPATH=$PWD/files timeout "$secs" python3 benchmarks/h200/telemetry_overhead.py \
        --data "$data" --out /tmp/overhead --steps 8 --warmup-steps 2 --block 2 >"$out/overhead.log" 2>&1
      log "overhead: rc=$?"
      tar -C /tmp/overhead -czf "$out/overhead.tgz" . 2>/dev/null ;;
    gpusweep)  # every GPU count 1, 2, 4, ... up to the machine's; collectives 8 B to 8 GB (x4 a step)
      sweep=1; k=2; while [ "$k" -le "$gpus" ]; do sweep="$sweep,$k"; k=$((k * 2)); done
      case ",$sweep," in *",$gpus,"*) ;; *) sweep="$sweep,$gpus" ;; esac
      play "gpusweep-g${sweep//,/-}" 420 "${bench[@]}" -e "h200_nccl_version=$nccl_version" -e "gpus=$sweep" \
        -e model=llama-1b -e preset=tuned -e h200_sft_seq_len=4096 -e h200_sft_steps=4 \
        -e '{"h200_nccl_tests_args": ["-b", "8", "-e", "8G", "-f", "4", "-g", "1", "-c", "1"]}' ;;
    multi7b)
      play "tuned-llama2-7b-g$gpus" 330 "${bench[@]}" -e phases=sft,report -e model=llama2-7b -e preset=tuned \
        -e h200_sft_seq_len=4096 -e "h200_sft_steps=${TUNED7B_STEPS:-3}"
      play "seed-llama2-7b-g$gpus" 240 "${bench[@]}" -e phases=sft,report -e model=llama2-7b -e preset=seed \
        -e h200_sft_seq_len=512 -e h200_sft_steps=2 ;;
    multi13b)
      play "tuned-llama2-13b-g$gpus" 560 "${bench[@]}" -e phases=sft,report -e model=llama2-13b -e preset=tuned \
        -e h200_sft_seq_len=4096 -e "h200_sft_steps=${TUNED13B_STEPS:-2}" ;;
    latency)  # does NCCL's TUNING log (the report's algorithm/protocol) change the small-message time?
      bin=/opt/nccl/$nccl_version/nccl-tests/all_reduce_perf
      for i in 1 2 3; do
        NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=TUNING LD_LIBRARY_PATH=/opt/nccl/$nccl_version/lib \
          "$bin" -b 8 -e 1M -f 4 -g "$gpus" -c 0 -n 50 >"$out/ar_TUNING_$i.log" 2>&1
        NCCL_DEBUG=WARN LD_LIBRARY_PATH=/opt/nccl/$nccl_version/lib \
          "$bin" -b 8 -e 1M -f 4 -g "$gpus" -c 0 -n 50 >"$out/ar_WARN_$i.log" 2>&1
      done
      tar -C "$out" -czf "$out/latency_logging.tgz" $(cd "$out" && ls ar_*.log) && rm -f "$out"/ar_*.log ;;
    seams)
      play "seams-llama-1b-g$gpus" 240 "${bench[@]}" -e "h200_nccl_version=$nccl_version" -e phases=sft,report \
        -e model=llama-1b -e preset=tuned -e h200_sft_seq_len=4096 -e h200_sft_steps=4
      for f in "$results"/*/sft/*/nccl_loaded.json; do log "$f: $(tr -d '\n ' < "$f" | cut -c1-600)"; done ;;
    hfpath)
      secs=$(budget 120); log "hfpath: save the checkpoint (limit ${secs} s)"
      timeout "$secs" python3 benchmarks/h200/save_hf_checkpoint.py --shape llama-1b --out /var/tmp/llama-1b-hf \
        >"$out/hf_checkpoint.json" 2>"$out/hf_checkpoint.log"
      log "hfpath: saved rc=$? $(cut -c1-300 "$out/hf_checkpoint.json")"
      for i in $(seq 1 "${HFPATH_PAIRS:-2}"); do
        play "hfpath-shape-$i" 200 "${bench[@]}" -e phases=sft,report -e model=llama-1b -e preset=tuned \
          -e h200_sft_seq_len=4096 -e h200_sft_steps=6
        play "hfpath-folder-$i" 200 "${bench[@]}" -e phases=sft,report -e model=/var/tmp/llama-1b-hf -e preset=tuned \
          -e h200_sft_seq_len=4096 -e h200_sft_steps=6
      done
      for f in "$results"/*/sft/n1/summary.json; do
        log "$f: $(python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(s.get("model"), s.get("model_source"), s.get("status"), s.get("tokens_per_s"), s.get("mfu"))' "$f")"
      done ;;
    *) log "unknown stage $stage (verify nccl example sft1b seed tuned7b overhead gpusweep multi7b multi13b latency seams hfpath)"
       exit 2 ;;
  esac
done
# Everything each run wrote (results/<run-id>/...), packed again after every call; and what the nodes wrote
# (metrics.jsonl, launch.log), which a run cut off by the time limit never brought to results/.
tar -C "$results" -czf "$out/results.tgz" . 2>/dev/null
tar -C /var/tmp/h200_benchmark --exclude=./data --exclude='*/workload' -czf "$out/node-dirs.tgz" . 2>/dev/null
[ -d .torch_extensions ] && tar -czf "$out/torch_extensions.tgz" .torch_extensions 2>/dev/null
log "done"
