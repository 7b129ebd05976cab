"""Launcher check for the virtual cluster: one gloo all_reduce across every rank.

Started by the DeepSpeed launcher (``deepspeed --hostfile H --ssh_port 44222``; it sets RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT) or by ``srun`` (only SLURM_* are set: rank = SLURM_PROCID, world =
SLURM_NTASKS, master = the first host of the job). Each rank contributes rank + 1; every rank prints one
JSON line with the sum it received, which must be world * (world + 1) / 2.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Mapping
from datetime import timedelta

import torch
import torch.distributed as dist


def rendezvous(env: Mapping[str, str]) -> tuple[int, int, str, str]:
    """(rank, world size, master address, master port) from the launcher's variables."""
    if "RANK" in env and "WORLD_SIZE" in env:
        return int(env["RANK"]), int(env["WORLD_SIZE"]), env["MASTER_ADDR"], env["MASTER_PORT"]
    hosts = subprocess.run(["scontrol", "show", "hostnames", env["SLURM_JOB_NODELIST"]],
                           capture_output=True, text=True, check=True, timeout=30).stdout.split()
    return int(env["SLURM_PROCID"]), int(env["SLURM_NTASKS"]), hosts[0], env.get("MASTER_PORT", "29511")


def main() -> None:
    rank, world, master_addr, master_port = rendezvous(os.environ)
    dist.init_process_group("gloo", init_method=f"tcp://{master_addr}:{master_port}", rank=rank,
                            world_size=world, timeout=timedelta(seconds=60))
    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value)
    print(json.dumps({"rank": rank, "world_size": world, "host": socket.gethostname(),
                      "sum": value.item(), "expected": world * (world + 1) / 2}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
