"""The filter plugins as the roles call them: each wraps a module_utils function, and a bad value becomes an
AnsibleFilterError with the same message (not a Python traceback in the play)."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.spectrumx.h200_benchmark.plugins.filter import launch as launch_filters
from ansible_collections.spectrumx.h200_benchmark.plugins.filter import node_selection as selection_filters
from ansible_collections.spectrumx.h200_benchmark.plugins.filter import roce_qos as qos_filters
from ansible_collections.spectrumx.h200_benchmark.plugins.filter import run_records as record_filters
from ansible_collections.spectrumx.h200_benchmark.plugins.filter import sources as source_filters

LAUNCH = launch_filters.FilterModule().filters()
SELECTION = selection_filters.FilterModule().filters()
QOS = qos_filters.FilterModule().filters()
RECORDS = record_filters.FilterModule().filters()
SOURCES = source_filters.FilterModule().filters()
ALIASES = {"node001": "hgx-0001", "node002": "hgx-0002", "node003": "hgx-0003"}


def test_launch_argv_under_pdsh_passes_the_ssh_port_to_the_deepspeed_launcher():
    argv = LAUNCH["launch_argv"]("pdsh", ["a", "b"], 8, python="/opt/py", hostfile="/h", ssh_port=44222,
                                 master_port=29501)
    assert argv[:7] == ["/opt/py", "-m", "deepspeed.launcher.runner", "--hostfile", "/h", "--ssh_port", "44222"]
    assert argv[-1] == "--module"
    assert LAUNCH["launch_argv"]("slurm", ["a"], 1, python="/opt/py")[-2:] == ["/opt/py", "-m"]
    with pytest.raises(AnsibleFilterError, match="launcher 'mpi' is not one of slurm, pdsh"):
        LAUNCH["launch_argv"]("mpi", ["a"], 1)


def test_nccl_tests_launcher_per_launcher():
    assert LAUNCH["nccl_tests_launcher"]("pdsh", ["a"], 8) == []  # one process drives every GPU with -g
    mpirun = LAUNCH["nccl_tests_launcher"]("pdsh", ["a", "b"], 2, ssh_port=44222, env_names=["NCCL_DEBUG"])
    assert mpirun[mpirun.index("plm_rsh_args") + 1] == "-p 44222" and mpirun[-2:] == ["-x", "NCCL_DEBUG"]
    srun = LAUNCH["nccl_tests_launcher"]("slurm", ["a", "b"], 8, gpus_per_node=8, srun_options={"qos": "high"})
    assert srun[0] == "srun" and "--gpus-per-node=8" in srun and srun[-1] == "--qos=high"
    with pytest.raises(AnsibleFilterError, match="h200_srun_options is not accepted: 'shell' is not one of"):
        LAUNCH["nccl_tests_launcher"]("slurm", ["a", "b"], 8, srun_options={"shell": "x"})
    assert LAUNCH["srun_options_error"]({"partition": "gpu"}) == ""


def test_node_counts_filters_reject_with_the_message_and_accept_a_sweep():
    assert SELECTION["node_counts"]("1,2", ALIASES) == [1, 2]
    assert SELECTION["node_counts_error"]("1,2", ALIASES) == ""
    message = SELECTION["node_counts_error"]("4", ALIASES)
    assert message.startswith("nodes='4' is not accepted: give a whole number from 1 to 3")
    with pytest.raises(AnsibleFilterError, match="nodes='4' is not accepted"):
        SELECTION["node_counts"]("4", ALIASES)
    # the inventory's hosts bound the count
    bounded = SELECTION["node_counts_error"]("2", ALIASES, ["hgx-0001"])
    assert bounded.startswith("nodes='2' is not accepted: give a whole number from 1 to 1")


def test_gpu_counts_filters():
    assert SELECTION["gpu_counts"]("1,2,4", 8) == [1, 2, 4]
    assert SELECTION["gpu_counts_error"]("1,2,4", 8) == ""
    message = SELECTION["gpu_counts_error"]("16", 8)
    assert message.startswith("gpus='16' is not accepted: give a whole number from 1 to 8")
    with pytest.raises(AnsibleFilterError, match="gpus='16' is not accepted"):
        SELECTION["gpu_counts"]("16", 8)


def test_host_list_filters():
    assert SELECTION["select_hosts"](ALIASES, 2) == ["hgx-0001", "hgx-0002"]
    assert SELECTION["node_alias"](ALIASES, "hgx-0003") == "node003"
    with pytest.raises(AnsibleFilterError, match="host 'hgx-0009' is not in the alias map h200_node_aliases"):
        SELECTION["node_alias"](ALIASES, "hgx-0009")
    assert SELECTION["deepspeed_hostfile"](["a", "b"], 8) == "a slots=8\nb slots=8\n"
    assert SELECTION["slurm_nodelist"](["a", "b"]) == "a,b"
    addresses = {"hgx-0001": "10.0.0.1", "hgx-0002": "10.0.0.2", "hgx-0003": "10.0.0.3"}
    assert SELECTION["etc_hosts_lines"](ALIASES, addresses)[0] == "10.0.0.1 hgx-0001 node001"
    with pytest.raises(AnsibleFilterError, match=r"hgx-0002 \(node002\) has no IP address"):
        SELECTION["etc_hosts_lines"](ALIASES, {"hgx-0001": "10.0.0.1"})
    hostvars = {h: {"ansible_host": a} for h, a in addresses.items()}
    assert SELECTION["node_alias_lines"](ALIASES, hostvars, {"hgx-0003": "10.9.9.9"})[-1] == "10.9.9.9 hgx-0003 node003"
    # a mapped host that is neither in the inventory nor given an address: the whole block is refused, naming it
    with pytest.raises(AnsibleFilterError, match=r"hgx-0003 \(node003\) has no IP address: got None"):
        SELECTION["node_alias_lines"](ALIASES, {h: v for h, v in hostvars.items() if h != "hgx-0003"})
    checks = SELECTION["node_alias_checks"](["10.0.0.1 hgx-0001 node001", "10.0.0.2 hgx-0002 node002"],
                                            ["10.0.0.1       node001 hgx-0001", ""])
    assert [(c["name"], c["status"]) for c in checks] == [("alias node001", "pass"), ("alias node002", "fail")]
    assert checks[1]["detail"] == "node002 resolves to nothing, expected 10.0.0.2"
    configs = SELECTION["sweep_configs"]([1, 2], [], 8, 8)
    assert [(c["nodes"], c["label"]) for c in configs] == [(1, "n1"), (2, "n2")]


def test_roce_qos_filters():
    assert QOS["roce_pfc_argument"](3) == "0,0,0,1,0,0,0,0"
    assert QOS["roce_traffic_class"](26) == 106
    with pytest.raises(AnsibleFilterError, match="priority"):
        QOS["roce_pfc_argument"](9)


def test_run_record_filters_are_the_functions_the_roles_name():
    assert set(RECORDS) == {"json_records", "last_json_record", "json_object", "setting_errors", "recorded_phases",
                            "telemetry_label", "collective_line", "loaded_nccl"}
    assert RECORDS["json_object"]('{"status": "ok"}') == {"status": "ok"}
    assert RECORDS["telemetry_label"]("sft", "n2") == "sft-n2"


def test_source_filters_are_the_functions_the_roles_name():
    assert set(SOURCES) == {"model_kind", "source_errors", "hub_cache_name", "sft_paths"}
    assert SOURCES["model_kind"]("meta-llama/Llama-2-7b-hf", ["tiny"]) == "hub"
    assert SOURCES["model_kind"]("tiny", ["tiny"]) == "shape"
    assert SOURCES["hub_cache_name"]("meta-llama/Llama-2-7b-hf") == "models--meta-llama--Llama-2-7b-hf"
