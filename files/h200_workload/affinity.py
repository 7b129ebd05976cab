"""CPU affinity of a rank, set when it starts: the cores of the NUMA node its GPU hangs off.

A rank that runs on the other socket's cores crosses the inter-socket link for every host<->device copy and every
CPU-side optimizer step (ZeRO-Offload). The launchers (srun, the DeepSpeed launcher, torch.distributed.run) do not
know which GPU a local rank will use, so the rank binds itself, before it starts any work, with what the kernel
says about the machine:

* GPUs: the NVIDIA PCI functions (vendor 0x10de, class 0x03xxxx) under /sys/bus/pci/devices, in PCI bus order - the
  order of NVML and nvidia-smi, and of CUDA with CUDA_DEVICE_ORDER=PCI_BUS_ID (on an HGX node CUDA's default order
  is the same); local rank k uses the k-th GPU of CUDA_VISIBLE_DEVICES, or GPU k;
* the GPU's NUMA node (``numa_node`` of its PCI device; where that is -1, as in a VM, the machine's only NUMA node
  if it has one) and that node's CPUs (``/sys/devices/system/node/nodeN/cpulist``), within the CPUs the process may
  use already (a cgroup or srun's own binding wins).

Every thread of the process gets the mask (sched_setaffinity of one thread changes only that thread). Where the
topology cannot be read - no GPU, a GPU named by UUID, no NUMA node (-1), no CPU in common - nothing is changed and
the record says why: ``{"status": "not bound", "reason": ...}``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

NVIDIA_VENDOR = "0x10de"


def parse_cpulist(text: str) -> set[int]:
    """``0-3,8,10-11`` -> {0, 1, 2, 3, 8, 10, 11}."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        low, _dash, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def format_cpulist(cpus: Iterable[int]) -> str:
    """{0, 1, 2, 3, 8} -> ``0-3,8``."""
    ranges: list[list[int]] = []
    for cpu in sorted(cpus):
        if ranges and cpu == ranges[-1][1] + 1:
            ranges[-1][1] = cpu
        else:
            ranges.append([cpu, cpu])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in ranges)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def nvidia_gpus(sysfs: Path) -> list[str]:
    """PCI addresses of the NVIDIA GPUs, in bus order."""
    devices = sysfs / "bus" / "pci" / "devices"
    found = []
    for device in sorted(devices.iterdir()) if devices.is_dir() else []:
        vendor, klass = _read(device / "vendor"), _read(device / "class") or ""
        if vendor == NVIDIA_VENDOR and klass.startswith("0x03"):
            found.append(device.name)
    return found


def plan(local_rank: int, env: Mapping[str, str], allowed: set[int], sysfs: Path) -> dict[str, Any]:
    """Which CPUs local rank ``local_rank`` should run on, and why; nothing is changed here."""
    record: dict[str, Any] = {"local_rank": local_rank, "gpu": None, "pci_bus_id": None, "numa_node": None,
                              "cpus": None, "status": "not bound", "reason": None}
    gpus = nvidia_gpus(sysfs)
    if not gpus:
        record["reason"] = "no NVIDIA GPU under %s/bus/pci/devices" % sysfs
        return record
    visible = [v.strip() for v in env.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    if visible and not all(v.isdigit() for v in visible):
        record["reason"] = ("CUDA_VISIBLE_DEVICES names GPUs by UUID (%s): their PCI order is not known"
                            % ",".join(visible))
        return record
    index = int(visible[local_rank]) if local_rank < len(visible) else local_rank
    if (visible and local_rank >= len(visible)) or index >= len(gpus):
        record["reason"] = "local rank %d has no GPU (%d GPUs, CUDA_VISIBLE_DEVICES=%s)" % (
            local_rank, len(gpus), env.get("CUDA_VISIBLE_DEVICES", "unset"))
        return record
    record.update(gpu=index, pci_bus_id=gpus[index])
    numa = _read(sysfs / "bus" / "pci" / "devices" / gpus[index] / "numa_node")
    if numa is None or not numa.lstrip("-").isdigit() or int(numa) < 0:
        # a PCI device reports -1 where the firmware gives no proximity (a VM): with one NUMA node it can only be that
        nodes = sorted(p.name[4:] for p in (sysfs / "devices" / "system" / "node").glob("node[0-9]*"))
        if len(nodes) != 1:
            record["reason"] = "GPU %d (%s) reports no NUMA node (%s) and the machine has %d" % (
                index, gpus[index], numa, len(nodes))
            return record
        numa = nodes[0]
        record["numa_source"] = "the machine's only NUMA node (the GPU reports %s)" % _read(
            sysfs / "bus" / "pci" / "devices" / gpus[index] / "numa_node")
    record["numa_node"] = int(numa)
    cpulist = _read(sysfs / "devices" / "system" / "node" / ("node%s" % numa) / "cpulist")
    if not cpulist:
        record["reason"] = "NUMA node %s lists no CPUs" % numa
        return record
    cpus = parse_cpulist(cpulist) & allowed
    if not cpus:
        record["reason"] = "NUMA node %s's CPUs (%s) are outside those this process may use (%s)" % (
            numa, cpulist, format_cpulist(allowed))
        return record
    record.update(cpus=format_cpulist(cpus), status="bound")
    return record


def bind(local_rank: int, env: Mapping[str, str] | None = None, sysfs: str | Path = "/sys",
         setaffinity: Callable[[int, set[int]], None] = os.sched_setaffinity,
         threads: Callable[[], list[int]] | None = None) -> dict[str, Any]:
    """Bind every thread of this process to its GPU's NUMA node (see the module docstring); the record of it."""
    environ = os.environ if env is None else env
    record = plan(local_rank, environ, set(os.sched_getaffinity(0)), Path(sysfs))
    record["host"] = socket.gethostname()
    if record["status"] == "bound":
        cpus = parse_cpulist(record["cpus"])
        tids = threads() if threads else [int(t) for t in os.listdir("/proc/self/task")]
        try:
            for tid in tids:
                setaffinity(tid, cpus)
        except OSError as exc:
            record.update(status="not bound", reason="sched_setaffinity: %s" % exc)
    return record
