"""Launch command lines (module_utils/launch.py): what each launcher gets, and the site's srun options."""

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import launch

HOSTS = ["hgx-0001", "hgx-0002"]


def test_srun_with_the_sites_options_in_a_fixed_order():
    argv = launch.python_module("slurm", HOSTS, 8, gpus_per_node=8, python="/opt/env/bin/python", job_name="h200-sft-r",
                                srun_options={"time": "02:00:00", "partition": "gpu", "exclusive": True,
                                              "account": "ops"})
    assert argv == ["srun", "-N", "2", "--nodelist=hgx-0001,hgx-0002", "--ntasks-per-node=8", "--label",
                    "--job-name=h200-sft-r", "--gpus-per-node=8", "--account=ops", "--exclusive", "--partition=gpu",
                    "--time=02:00:00", "/opt/env/bin/python", "-m"]
    # a CPU inventory (0 GPUs) asks Slurm for no GPU; exclusive false adds nothing
    assert launch.srun(HOSTS[:1], 1, 0, options={"exclusive": False}) == [
        "srun", "-N", "1", "--nodelist=hgx-0001", "--ntasks-per-node=1", "--label"]


def test_deepspeed_over_pdsh_between_nodes_and_on_one():
    # the environment's interpreter runs the launcher (not a `deepspeed` script found on PATH)
    assert launch.python_module("pdsh", HOSTS, 8, python="/opt/env/bin/python", master_port=29500,
                                hostfile="/run/hostfile", ssh_port=44222) == [
        "/opt/env/bin/python", "-m", "deepspeed.launcher.runner", "--hostfile", "/run/hostfile", "--ssh_port", "44222",
        "--master_addr", "hgx-0001", "--master_port", "29500", "--module"]
    assert launch.python_module("pdsh", HOSTS[:1], 2, python="/opt/env/bin/python", master_port=29500) == [
        "/opt/env/bin/python", "-m", "deepspeed.launcher.runner", "--num_gpus", "2", "--master_port", "29500",
        "--module"]
    with pytest.raises(launch.LaunchError, match="hostfile"):
        launch.python_module("pdsh", HOSTS, 8)


def test_torchrun_on_one_node_and_mpirun_between_nodes():
    assert launch.python_module("pdsh", HOSTS[:1], 4, python="python3", one_node="torchrun") == [
        "python3", "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "4", "-m"]
    # between nodes the collective benchmark still goes through the DeepSpeed launcher
    assert launch.python_module("pdsh", HOSTS, 1, hostfile="h", one_node="torchrun")[:3] == [
        "python3", "-m", "deepspeed.launcher.runner"]
    assert launch.mpirun(HOSTS, 8, 44222, ["NCCL_DEBUG", "LD_LIBRARY_PATH"]) == [
        "mpirun", "--allow-run-as-root", "-np", "16", "-H", "hgx-0001:8,hgx-0002:8", "--mca", "plm_rsh_args",
        "-p 44222", "--tag-output", "-x", "LD_LIBRARY_PATH", "-x", "NCCL_DEBUG"]


def test_unknown_launcher_is_refused():
    with pytest.raises(launch.LaunchError, match="'mpi' is not one of slurm, pdsh"):
        launch.python_module("mpi", HOSTS, 8)


@pytest.mark.parametrize("options, message", [
    ({"partiton": "gpu"}, "'partiton' is not one of account, constraint, exclusive, partition, qos, reservation, time"),
    ({"partition": "gpu; rm -rf /"}, "partition='gpu; rm -rf /' is not a single word"),
    ({"time": "1 day"}, "time='1 day' is not a single word"),
    ({"exclusive": "yes"}, "exclusive must be true or false"),
    ({"account": ["a"]}, "account=['a'] is not a single word"),
    (["--partition=gpu"], "must be a mapping"),
])
def test_bad_srun_options_are_named_before_anything_runs(options, message):
    error = launch.srun_options_error(options)
    assert error.startswith("h200_srun_options") and message in error
    with pytest.raises(launch.LaunchError, match="h200_srun_options"):
        launch.srun(HOSTS, 8, options=options)


def test_no_srun_options_is_accepted():
    assert launch.srun_options_error({}) == "" and launch.srun_options_error(None) == ""
    assert launch.srun_options_error({"partition": "gpu", "time": "2-00:00:00", "qos": "high"}) == ""
