"""Rank, world size and rendezvous of a process, whichever launcher started it.

torchrun and the DeepSpeed launcher (PDSH, ``--ssh_port 44222``) set RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR and MASTER_PORT. ``srun`` (and ``deepspeed --launcher slurm``) sets only SLURM_* variables:
then rank = SLURM_PROCID, world = SLURM_NTASKS, local rank = SLURM_LOCALID and the master is the first
host of ``scontrol show hostnames $SLURM_JOB_NODELIST``. A plain ``python -m`` is a world of one.
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MASTER_PORT = 29500


@dataclass(frozen=True)
class DistEnv:
    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int
    launcher: str  # torchrun-or-deepspeed | slurm | single


def first_slurm_host(nodelist: str) -> str:
    """First host of a Slurm node list, expanded by scontrol (argv list: nothing reaches a shell)."""
    result = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True,
                            check=True, timeout=30)
    return result.stdout.split()[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resolve(env: Mapping[str, str]) -> DistEnv:
    """The process's DistEnv from its environment (see the module docstring)."""
    if "RANK" in env and "WORLD_SIZE" in env:
        return DistEnv(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", "0")),
                       env.get("MASTER_ADDR", "127.0.0.1"), int(env.get("MASTER_PORT", DEFAULT_MASTER_PORT)),
                       "torchrun-or-deepspeed")
    if "SLURM_PROCID" in env and "SLURM_NTASKS" in env:
        master = env.get("MASTER_ADDR") or first_slurm_host(env["SLURM_JOB_NODELIST"])
        return DistEnv(int(env["SLURM_PROCID"]), int(env["SLURM_NTASKS"]), int(env.get("SLURM_LOCALID", "0")),
                       master, int(env.get("MASTER_PORT", DEFAULT_MASTER_PORT)), "slurm")
    return DistEnv(0, 1, 0, "127.0.0.1", int(env.get("MASTER_PORT", 0)) or _free_port(), "single")


def export(dist: DistEnv) -> None:
    """Write the variables torch.distributed's env:// rendezvous reads (the process's own environment)."""
    os.environ.update({
        "RANK": str(dist.rank), "WORLD_SIZE": str(dist.world_size), "LOCAL_RANK": str(dist.local_rank),
        "MASTER_ADDR": dist.master_addr, "MASTER_PORT": str(dist.master_port),
    })


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def loaded_library(soname: str = "libnccl.so.2", symbol: str = "ncclGetVersion") -> str | None:
    """The file of the already-loaded library that ``soname`` resolves to in this process, or None when none is.

    dlopen(soname, RTLD_NOLOAD) returns the first loaded object of that name - the one a library that needs it
    (torch's libtorch_cuda needs libnccl.so.2) is bound to - and dladdr of one of its symbols names its file. So
    with two copies in the process (torch preloads its bundled NCCL by path; LD_PRELOAD puts another first) this
    says which one torch calls.
    """
    try:
        handle = ctypes.CDLL(soname, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        address = ctypes.cast(getattr(handle, symbol), ctypes.c_void_p)
        info = _DlInfo()
        libdl = ctypes.CDLL(None)
        if not libdl.dladdr(address, ctypes.byref(info)) or not info.dli_fname:
            return None
        return os.path.realpath(info.dli_fname.decode())
    except (OSError, AttributeError):
        return None
