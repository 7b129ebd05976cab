"""node_facts checks on branches the recorded H200 outputs do not reach: named RoCE interfaces (up, down,
absent) beside RDMA ports, and GPUs whose ECC mode is off or not reported."""

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import node_facts as nf


@pytest.fixture
def sysfs(tmp_path):
    """A /sys of two Ethernet interfaces (eth0 up at 400 Gb/s, eth1 down) and two RDMA devices (mlx5_0 port 1
    ACTIVE, mlx5_1 without ports)."""
    for iface, state in (("eth0", "up"), ("eth1", "down")):
        folder = tmp_path / "sys" / "class" / "net" / iface
        folder.mkdir(parents=True)
        (folder / "operstate").write_text(state + "\n")
        (folder / "speed").write_text("400000\n")
    port = tmp_path / "sys" / "class" / "infiniband" / "mlx5_0" / "ports" / "1"
    port.mkdir(parents=True)
    (port / "state").write_text("4: ACTIVE\n")
    (tmp_path / "sys" / "class" / "infiniband" / "mlx5_1").mkdir()
    return str(tmp_path)


def test_named_interfaces_up_pass(sysfs):
    assert nf.check_nics(sysfs, ["eth0"], ["mlx5_0"]) == {
        "name": "nics", "status": "pass", "detail": "eth0 up 400000 Mb/s; mlx5_0/1 ACTIVE"}


def test_a_named_interface_down_fails_and_names_the_absent_ones_too(sysfs):
    assert nf.check_nics(sysfs, ["eth0", "eth1", "eth7"], ["mlx5_0", "mlx5_1"]) == {
        "name": "nics", "status": "fail", "detail": "eth1 is down; not present: eth7, mlx5_1"}


def test_a_named_interface_absent_is_absent_with_what_is_up(sysfs):
    assert nf.check_nics(sysfs, ["eth0", "eth7"], ["mlx5_0"]) == {
        "name": "nics", "status": "absent", "detail": "not present: eth7; eth0 up 400000 Mb/s; mlx5_0/1 ACTIVE"}


def test_interface_without_speed_file_shows_unknown_speed(sysfs, tmp_path):
    (tmp_path / "sys" / "class" / "net" / "eth0" / "speed").unlink()
    assert nf.check_nics(sysfs, ["eth0"], [])["detail"] == "eth0 up ? Mb/s"


def gpu(index, mode, errors="0"):
    return {"index": index, "ecc.mode.current": mode, "ecc.errors.uncorrected.volatile.total": errors}


def test_ecc_disabled_fails_and_unreported_mode_is_absent():
    assert nf.check_ecc([gpu("0", "Enabled"), gpu("1", "Disabled")], None) == {
        "name": "ecc", "status": "fail", "detail": "GPU 1 ECC Disabled"}
    assert nf.check_ecc([gpu("0", None, None), gpu("1", None, None)], None) == {
        "name": "ecc", "status": "absent", "detail": "the GPUs report no ECC mode"}
    # one GPU without a mode beside an enabled one: what can be read passes
    assert nf.check_ecc([gpu("0", "Enabled"), gpu("1", None, None)], None)["status"] == "pass"
    assert nf.check_ecc([gpu("0", "Enabled", "3")], None)["detail"] == "GPU 0 3 volatile uncorrectable ECC errors"


def test_driver_without_a_version_is_absent():
    assert nf.check_driver([{"driver_version": None}], None, "580.65.06") == {
        "name": "driver", "status": "absent", "detail": "nvidia-smi printed no driver version"}
