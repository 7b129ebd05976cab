"""node_facts on outputs recorded on the project's H200 (tests/unit/data/nvml/h200_commands/), played back
by a test double of run_command, and on the recorded-shape /sys trees of tests/unit/data/sysfs/."""

import os

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import node_facts as nf
from ansible_collections.spectrumx.h200_benchmark.plugins.modules import node_facts as module
from doubles import recorded_command
from module_harness import run_module

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
H200 = os.path.join(DATA, "nvml", "h200_commands")


def recorded(name):
    with open(os.path.join(H200, name)) as handle:
        return handle.read()


# The GPU query as recorded, under the field names node_facts asks: nvidia-smi takes clocks_throttle_reasons.*
# and clocks_event_reasons.* for the same columns (the latter is the newer name), in the order given.
GPU_QUERY = tuple(arg.replace("clocks_event_reasons.", "clocks_throttle_reasons.")
                  for arg in recorded_command("query_gpu_event"))
PROBE_PYTHON = "/opt/conda/bin/python"


def h200_run_test_double(overrides=None):
    """run_command test double: answers the exact commands recorded on the H200 with their outputs (keyed by the
    whole argv, so a changed question gets no answer); the same program asked anything else fails as a program
    does on arguments it rejects, and programs absent there raise OSError."""
    outputs = {
        GPU_QUERY: (0, recorded("query_gpu_event.txt"), ""),
        ("nvidia-smi",): (0, recorded("nvidia-smi.txt"), ""),
        ("nvcc", "--version"): (0, recorded("nvcc.txt"), ""),
        (PROBE_PYTHON, "-c", nf.PYTHON_PROBE): (
            0,
            '{"torch": "2.11.0", "deepspeed": null, "transformers": "5.17.0", '
            '"flash-attn": null, "nvidia-ml-py": "13.610.43", "torch.version.cuda": "13.0", '
            '"torch.cuda.nccl": "2.28.9"}\n',
            "",
        ),
    }
    outputs.update(overrides or {})
    calls = []

    def run(argv):
        calls.append(argv)
        if tuple(argv) in outputs:
            return outputs[tuple(argv)]
        if any(key[0] == argv[0] for key in outputs):
            return 2, "", "test double: %s was not recorded with these arguments: %r" % (argv[0], argv[1:])
        raise OSError(2, "No such file or directory: %r" % argv[0])

    run.calls = calls
    return run


def test_the_test_double_answers_only_the_recorded_question():
    run = h200_run_test_double()
    assert run(list(GPU_QUERY))[0] == 0
    assert run(["nvidia-smi", "--query-gpu=index,name", "--format=csv,noheader,nounits"])[0] == 2
    assert GPU_QUERY[1] == "--query-gpu=" + ",".join(nf.GPU_FIELDS)  # what node_facts asks is what was recorded


def test_parsers_on_recorded_outputs():
    gpu = nf.parse_smi_csv(recorded("query_gpu_event.txt"), nf.GPU_FIELDS)[0]
    assert gpu["name"] == "NVIDIA H200" and gpu["vbios_version"] == "96.00.A5.00.1A"
    assert (
        gpu["ecc.errors.uncorrected.volatile.total"] == "0"
        and gpu["clocks_throttle_reasons.hw_slowdown"] == "Not Active"
    )
    assert nf.parse_smi_banner(recorded("nvidia-smi.txt")) == {"driver": "580.159.04", "cuda_driver_api": "13.0"}
    assert nf.parse_nvcc(recorded("nvcc.txt")) == "13.0.88"
    assert nf.parse_nccl_header("#define NCCL_MAJOR 2\n#define NCCL_MINOR 28\n#define NCCL_PATCH 9\n") == "2.28.9"
    assert nf.smi_value(" [N/A] ") is None and nf.smi_value("[Not Supported]") is None
    with pytest.raises(nf.NodeFactsError, match="printed 3 columns where 18"):
        nf.parse_smi_csv("a, b, c\n", nf.GPU_FIELDS)
    assert nf.version_tuple("580.159.04") > nf.version_tuple("580.65.06")
    with pytest.raises(nf.NodeFactsError, match="not a dotted version"):
        nf.version_tuple("latest")


def test_environment_of_the_h200():
    env = nf.gather_environment(h200_run_test_double(), os.path.join(DATA, "sysfs", "empty"), "/opt/conda/bin/python")
    assert env["driver"] == "580.159.04" and env["cuda_driver_api"] == "13.0" and env["cuda_toolkit"] == "13.0.88"
    assert env["gpus"] == [
        {
            "index": 0,
            "model": "NVIDIA H200",
            "vbios": "96.00.A5.00.1A",
            "pci_bus_id": "00000000:00:06.0",
            "memory_mib": 143771,
        }
    ]
    assert env["python_packages"]["torch"] == "2.11.0" and env["python_packages"]["torch.cuda.nccl"] == "2.28.9"
    assert env["python_packages"]["deepspeed"] == nf.NOT_PRESENT
    for key in ("ofed", "slurm", "nccl_header", "nccl_library", "kernel", "os"):
        assert env[key] == nf.NOT_PRESENT  # absent on the H200 (and no /proc in the recorded tree)
    absent = {a["what"] for a in env["absent"]}
    assert {"ofed", "slurm", "rdma_devices", "python package deepspeed", "python package flash-attn"} <= absent
    assert env["rdma_devices"] == []


def test_environment_with_rdma_nics_slurm_and_ofed():
    run = h200_run_test_double(
        {
            ("ofed_info", "-s"): (0, "MLNX_OFED_LINUX-24.10-1.1.4.0:\n", ""),
            ("sinfo", "--version"): (0, "slurm 22.05.8\n", ""),
            ("ethtool", "-i", "eth2"): (
                0,
                "driver: mlx5_core\nversion: 24.10-1.1.4\nfirmware-version: 28.39.1002 (MT_0000000838)\n"
                "bus-info: 0000:1a:00.0\n",
                "",
            ),
        }
    )
    env = nf.gather_environment(run, os.path.join(DATA, "sysfs", "connectx7_before"), None, ["eth2"])
    assert env["ofed"] == "MLNX_OFED_LINUX-24.10-1.1.4.0" and env["slurm"] == "22.05.8"
    assert env["nics"] == [
        {
            "interface": "eth2",
            "driver": "mlx5_core",
            "firmware": "28.39.1002 (MT_0000000838)",
            "bus_info": "0000:1a:00.0",
        }
    ]
    assert [(d["name"], d["fw_ver"], d["netdevs"]) for d in env["rdma_devices"]] == [
        ("mlx5_0", "28.39.1002", ["eth2"]),
        ("mlx5_1", "28.39.1002", ["eth3"]),
    ]
    assert {"what": "python_packages", "reason": "no workload python interpreter given"} in env["absent"]


def checks(result):
    return dict((c["name"], c) for c in result["checks"])


def test_preflight_on_the_h200(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "nccl.conf").write_text("# written by roce_qos\nNCCL_IB_TC=106\nNCCL_IB_GID_INDEX=3\n")
    result = nf.run_preflight(
        h200_run_test_double(),
        str(tmp_path),
        expected_gpus=1,
        min_driver="570.0",
        nccl_conf_keys=["NCCL_IB_TC", "NCCL_IB_GID_INDEX"],
        disk_path="/",
        min_free_gb=0,
    )
    by_name = checks(result)
    assert [c["name"] for c in result["checks"]] == list(nf.CHECK_NAMES)
    assert by_name["gpus"]["status"] == "pass" and by_name["driver"]["status"] == "pass"
    assert by_name["clocks"]["status"] == "pass" and by_name["ecc"]["status"] == "pass"
    assert by_name["nccl_conf"] == {
        "name": "nccl_conf",
        "status": "pass",
        "detail": "/etc/nccl.conf: NCCL_IB_TC=106, NCCL_IB_GID_INDEX=3",
    }
    assert by_name["nics"]["status"] == "absent"  # no RDMA NIC on the test H200
    assert result["ok"] is False  # absent fails the node by default ...
    relaxed = nf.run_preflight(
        h200_run_test_double(),
        str(tmp_path),
        expected_gpus=1,
        min_driver="570.0",
        disk_path="/",
        min_free_gb=0,
        fail_on_absent=False,
    )
    assert relaxed["ok"] is True  # ... and not where absent hardware is accepted


def test_preflight_failures_are_named(tmp_path):
    row = recorded("query_gpu_event.txt").replace("0, 345, 1980", "2, 345, 1980")  # 2 uncorrectable ECC errors
    row = row.replace("0x0000000000000001, Not Active, Not Active", "0x0000000000000041, Not Active, Active")
    run = h200_run_test_double({GPU_QUERY: (0, row, "")})
    result = nf.run_preflight(
        run,
        str(tmp_path),
        expected_gpus=8,
        min_driver="590.0",
        nccl_conf_keys=["NCCL_IB_HCA"],
        disk_path="/",
        min_free_gb=10**9,
    )
    by_name = checks(result)
    assert by_name["gpus"] == {"name": "gpus", "status": "fail", "detail": "1 GPU(s) (NVIDIA H200), expected 8"}
    assert by_name["driver"]["status"] == "fail" and "minimum 590.0" in by_name["driver"]["detail"]
    assert by_name["ecc"]["detail"] == "GPU 0 2 volatile uncorrectable ECC errors"
    assert by_name["clocks"]["status"] == "fail" and "hw_thermal_slowdown" in by_name["clocks"]["detail"]
    assert by_name["nccl_conf"]["status"] == "fail" and "does not exist" in by_name["nccl_conf"]["detail"]
    assert by_name["free_disk"]["status"] == "fail"
    assert result["ok"] is False


def test_preflight_without_gpu_says_absent():
    def no_nvidia_smi(argv):
        raise OSError(2, "No such file or directory")

    result = nf.run_preflight(
        no_nvidia_smi,
        os.path.join(DATA, "sysfs", "connectx7_before"),
        min_free_gb=0,
        disk_path="/",
        fail_on_absent=False,
        nccl_conf_path="/etc/none.conf",
    )
    by_name = checks(result)
    assert {by_name[n]["status"] for n in ("gpus", "driver", "clocks", "ecc")} == {"absent"}
    assert by_name["nics"] == {"name": "nics", "status": "pass", "detail": "mlx5_0/1 ACTIVE; mlx5_1/1 ACTIVE"}
    down = nf.check_nics(os.path.join(DATA, "sysfs", "no_hw_counters"), [], [])
    assert down == {"name": "nics", "status": "fail", "detail": "mlx5_0/1 is 1: DOWN"}
    assert nf.check_nics("/", ["eth9"], [])["status"] == "absent"


def test_module_validates_input_before_reading(monkeypatch):
    def must_not_run(self, *args, **kwargs):
        raise AssertionError("nothing may be run before the input is validated")

    monkeypatch.setattr(module.AnsibleModule, "run_command", must_not_run)
    failed, result = run_module(monkeypatch, module.main, {"min_driver": "newest"})
    assert failed and result["msg"].startswith("min_driver: 'newest' is not a dotted version")
    failed, result = run_module(monkeypatch, module.main, {"interfaces": ["$(reboot)"]})
    assert failed and "interfaces: '$(reboot)'" in result["msg"]
    failed, result = run_module(monkeypatch, module.main, {"gather": ["everything"]})
    assert failed and "gather" in result["msg"] and "environment" in result["msg"]


def test_module_runs_commands_with_lc_all_c(monkeypatch):
    seen = []

    def run_command_test_double(self, argv, environ_update=None, handle_exceptions=True, **kwargs):
        seen.append((argv[0], environ_update, handle_exceptions))
        raise OSError(2, "No such file or directory")

    monkeypatch.setattr(module.AnsibleModule, "run_command", run_command_test_double)
    failed, result = run_module(
        monkeypatch, module.main, {"gather": ["preflight"], "min_free_gb": 0, "fail_on_absent": False}, check_mode=True
    )
    assert not failed and result["changed"] is False and "environment" not in result
    assert checks(result["preflight"])["gpus"]["status"] == "absent"
    assert seen and all(env == {"LC_ALL": "C"} and handled is False for _name, env, handled in seen)


@pytest.mark.parametrize(("hca", "status", "detail"), [
    ("mlx5_0:1,mlx5_1:1", "pass", "NCCL_IB_HCA=mlx5_0:1,mlx5_1:1"),
    ("=mlx5_0:1,mlx5_4:1", "fail", "NCCL_IB_HCA names mlx5_4, not under /sys/class/infiniband"),
    ("^mlx5_9", "pass", "NCCL_IB_HCA=^mlx5_9"),  # an exclusion list names devices that may be absent
])
def test_nccl_conf_hcas_must_exist_on_the_node(tmp_path, hca, status, detail):
    for dev in ("mlx5_0", "mlx5_1"):
        (tmp_path / "sys" / "class" / "infiniband" / dev).mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "nccl.conf").write_text("NCCL_IB_HCA=%s\nNCCL_IB_TC=106\n" % hca)
    check = nf.check_nccl_conf(str(tmp_path), "/etc/nccl.conf", ["NCCL_IB_HCA", "NCCL_IB_TC"])
    assert check["status"] == status and detail in check["detail"]


def test_environment_records_the_built_nccl_and_its_network_plugin(tmp_path):
    lib = tmp_path / "opt" / "nccl" / "2.28.9" / "lib"
    lib.mkdir(parents=True)
    for name in ("libnccl.so", "libnccl.so.2", "libnccl.so.2.28.9", "libnccl-net.so"):
        (lib / name).write_text("test double\n")
    env = nf.gather_environment(h200_run_test_double(), str(tmp_path), None, (), "/opt/nccl/2.28.9")
    assert env["nccl_built"] == "2.28.9" and env["nccl_net_plugin"] == "libnccl-net.so"
    bare = nf.gather_environment(h200_run_test_double(), str(tmp_path), None, (), "/opt/nccl/2.26.2")
    assert bare["nccl_built"] == "not present" and bare["nccl_net_plugin"] == "not present"
    assert {"what": "nccl_built", "reason": "no libnccl.so.X.Y.Z in /opt/nccl/2.26.2/lib"} in bare["absent"]


def test_environment_of_a_node_without_gpu_with_a_bare_nccl_header_and_failing_probes(tmp_path):
    """No GPU answers, nccl.h without a versioned library, a workload interpreter that prints no JSON and an
    interface ethtool cannot describe: each is named in absent with what was tried."""
    (tmp_path / "usr" / "include").mkdir(parents=True)
    (tmp_path / "usr" / "include" / "nccl.h").write_text(
        "#define NCCL_MAJOR 2\n#define NCCL_MINOR 26\n#define NCCL_PATCH 2\n")
    no_gpu = {GPU_QUERY: (9, "", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."),
              ("nvidia-smi",): (9, "", "NVIDIA-SMI has failed"),
              (PROBE_PYTHON, "-c", nf.PYTHON_PROBE): (0, "Traceback: not JSON\n", ""),
              ("ethtool", "-i", "eth2"): (71, "", "Cannot get driver information: Operation not supported\n")}
    env = nf.gather_environment(h200_run_test_double(no_gpu), str(tmp_path), PROBE_PYTHON, ["eth2"])
    absent = {a["what"]: a["reason"] for a in env["absent"]}
    assert env["gpus"] == [] and "couldn't communicate with the NVIDIA driver" in absent["gpus"]
    assert env["nccl_header"] == "2.26.2" and env["nccl_library"] == nf.NOT_PRESENT
    assert "nccl_header" not in absent and absent["nccl_library"].startswith("no libnccl.so.X.Y.Z in /")
    assert "python_packages" in absent
    assert env["nics"] == [{"interface": "eth2", "driver": nf.NOT_PRESENT, "firmware": nf.NOT_PRESENT,
                            "bus_info": nf.NOT_PRESENT}]
    assert absent["nic eth2"] == "ethtool -i eth2: Cannot get driver information: Operation not supported"


def test_nccl_conf_lacking_keys_and_an_unreadable_disk_path_fail(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "nccl.conf").write_text("NCCL_IB_TC=106\n")
    assert nf.check_nccl_conf(str(tmp_path), "/etc/nccl.conf", ["NCCL_IB_TC", "NCCL_IB_GID_INDEX"]) == {
        "name": "nccl_conf", "status": "fail", "detail": "/etc/nccl.conf lacks NCCL_IB_GID_INDEX"}
    disk = nf.check_free_disk(str(tmp_path), "/scratch", 500)
    assert disk["status"] == "fail" and disk["detail"].startswith("/scratch: [Errno 2] No such file or directory")
