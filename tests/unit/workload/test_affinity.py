"""A rank's CPU binding (h200_workload.affinity) on made-up sysfs trees shaped as an HGX node's: two NUMA nodes,
GPUs 0-3 on node 0 and 4-7 on node 1, and an NVSwitch/NIC beside them that is not a GPU."""

from pathlib import Path

import pytest
from h200_workload import affinity

GPU_BUSES = ["0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0",
             "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"]


def hgx_sysfs(root: Path, numa: dict[str, str] | None = None) -> Path:
    devices = root / "bus" / "pci" / "devices"
    for index, bus in enumerate(GPU_BUSES):
        dev = devices / bus
        dev.mkdir(parents=True)
        (dev / "vendor").write_text("0x10de\n")
        (dev / "class").write_text("0x030200\n")
        (dev / "numa_node").write_text((numa or {}).get(bus, "0" if index < 4 else "1") + "\n")
    for bus, vendor, klass in (("0000:07:00.0", "0x10de", "0x068000"), ("0000:19:00.0", "0x15b3", "0x020000")):
        dev = devices / bus
        dev.mkdir(parents=True)
        (dev / "vendor").write_text(vendor)
        (dev / "class").write_text(klass)
    for node, cpus in (("0", "0-55,112-167"), ("1", "56-111,168-223")):
        path = root / "devices" / "system" / "node" / ("node" + node)
        path.mkdir(parents=True)
        (path / "cpulist").write_text(cpus + "\n")
    return root


ALL = set(range(224))


def test_cpulists_round_trip():
    assert affinity.parse_cpulist("0-3,8,10-11\n") == {0, 1, 2, 3, 8, 10, 11}
    assert affinity.format_cpulist({11, 0, 1, 2, 3, 8, 10}) == "0-3,8,10-11"


def test_gpus_are_nvidia_display_controllers_in_bus_order(tmp_path):
    assert affinity.nvidia_gpus(hgx_sysfs(tmp_path)) == GPU_BUSES  # the NVSwitch (0x0680) and the NIC are left out


@pytest.mark.parametrize("local_rank, env, gpu, node, cpus", [
    (0, {}, 0, 0, "0-55,112-167"),
    (5, {}, 5, 1, "56-111,168-223"),
    # the GPU sweep hands a rank the k-th visible GPU
    (1, {"CUDA_VISIBLE_DEVICES": "4,6"}, 6, 1, "56-111,168-223"),
])
def test_each_rank_gets_its_gpus_numa_node(tmp_path, local_rank, env, gpu, node, cpus):
    record = affinity.plan(local_rank, env, ALL, hgx_sysfs(tmp_path))
    assert (record["status"], record["gpu"], record["numa_node"], record["cpus"]) == ("bound", gpu, node, cpus)
    assert record["pci_bus_id"] == GPU_BUSES[gpu]


def test_the_cpus_the_process_may_use_already_win(tmp_path):
    sysfs = hgx_sysfs(tmp_path)
    record = affinity.plan(0, {}, set(range(8, 16)), sysfs)
    assert record["cpus"] == "8-15"
    outside = affinity.plan(0, {}, set(range(60, 64)), sysfs)
    assert outside["status"] == "not bound"
    assert outside["reason"] == "NUMA node 0's CPUs (0-55,112-167) are outside those this process may use (60-63)"


@pytest.mark.parametrize("local_rank, env, numa, reason", [
    (0, {"CUDA_VISIBLE_DEVICES": "GPU-1a2b"}, None, "CUDA_VISIBLE_DEVICES names GPUs by UUID (GPU-1a2b)"),
    (2, {"CUDA_VISIBLE_DEVICES": "0,1"}, None, "local rank 2 has no GPU (8 GPUs, CUDA_VISIBLE_DEVICES=0,1)"),
    (8, {}, None, "local rank 8 has no GPU (8 GPUs, CUDA_VISIBLE_DEVICES=unset)"),
    (0, {}, {"0000:18:00.0": "-1"}, "GPU 0 (0000:18:00.0) reports no NUMA node (-1)"),
])
def test_an_unreadable_topology_binds_nothing_and_says_why(tmp_path, local_rank, env, numa, reason):
    record = affinity.plan(local_rank, env, ALL, hgx_sysfs(tmp_path, numa))
    assert record["status"] == "not bound" and record["cpus"] is None
    assert record["reason"].startswith(reason)


def test_no_gpu_is_a_logged_fallback(tmp_path):
    record = affinity.plan(0, {}, ALL, tmp_path)
    assert record["status"] == "not bound" and "no NVIDIA GPU under" in record["reason"]


def test_bind_sets_every_thread_and_records_it(tmp_path):
    calls = []
    record = affinity.bind(4, {}, hgx_sysfs(tmp_path), setaffinity=lambda tid, cpus: calls.append((tid, cpus)),
                           threads=lambda: [101, 102, 103])
    # the plan is made within the CPUs this test process may use, which may be fewer than the node's
    assert record["status"] in ("bound", "not bound")
    if record["status"] == "bound":
        expected = affinity.parse_cpulist(record["cpus"])
        assert calls == [(101, expected), (102, expected), (103, expected)]
    else:
        assert calls == [] and "outside those this process may use" in record["reason"]


def test_a_refused_binding_is_recorded_not_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(affinity.os, "sched_getaffinity", lambda pid: ALL)

    def refuse(tid, cpus):
        raise PermissionError(1, "Operation not permitted")

    sysfs = hgx_sysfs(tmp_path)
    record = affinity.bind(0, {}, sysfs, setaffinity=refuse, threads=lambda: [1])
    assert record["status"] == "not bound" and record["reason"].startswith("sched_setaffinity: ")
    bound = affinity.bind(0, {}, sysfs, setaffinity=lambda tid, cpus: None, threads=lambda: [1])
    assert bound["status"] == "bound" and bound["cpus"] == "0-55,112-167" and bound["host"]


def test_a_gpu_without_numa_node_on_a_one_node_machine_takes_that_node(tmp_path):
    # as the lent two-GPU VM reports it: numa_node -1 on both GPUs, one NUMA node with every CPU
    sysfs = hgx_sysfs(tmp_path, {bus: "-1" for bus in GPU_BUSES})
    import shutil
    shutil.rmtree(sysfs / "devices" / "system" / "node" / "node1")
    record = affinity.plan(1, {}, ALL, sysfs)
    assert (record["status"], record["numa_node"], record["cpus"]) == ("bound", 0, "0-55,112-167")
    assert record["numa_source"] == "the machine's only NUMA node (the GPU reports -1)"
