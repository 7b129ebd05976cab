"""Which NCCL the SFT ranks loaded: NCCL's own INFO lines as the launchers pass them on (nccl_output.loaded_nccl),
and the sft_nccl record that compares them with the NCCL nccl_build installed (run_dir)."""

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import nccl_output, run_dir

# As NCCL 2.28.9 prints them (src/init.cc showVersion, src/plugin/net.cc), behind the launchers' prefixes: the
# DeepSpeed launcher's PDSH ("hgx-0002: "), srun --label ("1: "), none for local ranks.
LOG = """\
[2026-11-30 06:01:02,000] [INFO] [runner.py:630:main] cmd = /opt/env/bin/python -u -m deepspeed.launcher.launch
hgx-0001:4101:4101 [0] NCCL INFO NCCL version 2.28.9+cuda13.0
hgx-0001:4101:4101 [0] NCCL INFO NET/Plugin: Could not find: libnccl-net.so.
hgx-0001:4101:4160 [0] NCCL INFO Assigned NET plugin IB to comm
hgx-0001:4102:4102 [1] NCCL INFO NCCL version 2.28.9+cuda13.0
hgx-0002: hgx-0002:5201:5201 [0] NCCL INFO NCCL version 2.27.5+cuda12.9
hgx-0002: hgx-0002:5201:5230 [0] NCCL INFO Successfully loaded external network plugin /opt/sharp/lib/libnccl-net.so
hgx-0002: hgx-0002:5201:5230 [0] NCCL INFO Assigned NET plugin IBext_v10 to comm
3: hgx-0003.cluster:77:77 [3] NCCL INFO Using network Socket
{"step": 1, "loss": 10.4}
"""


def test_version_network_and_plugin_per_host_from_ncclss_own_lines():
    loaded = nccl_output.loaded_nccl(LOG)
    assert loaded == {
        "hgx-0001": {"version": ["2.28.9+cuda13.0"], "network": ["IB"], "external_plugin": [], "processes": 2},
        "hgx-0002": {"version": ["2.27.5+cuda12.9"], "network": ["IBext_v10"],
                     "external_plugin": ["/opt/sharp/lib/libnccl-net.so"], "processes": 1},
        "hgx-0003.cluster": {"version": [], "network": ["Socket"], "external_plugin": [], "processes": 0},
    }
    assert nccl_output.loaded_nccl("no NCCL here\n") == {} and nccl_output.loaded_nccl(None) == {}


def test_the_record_says_per_node_whether_the_built_nccl_was_loaded():
    record = run_dir.build("sft_nccl", {
        "hosts": ["hgx-0001", "hgx-0002", "hgx-0003.cluster", "hgx-0004"], "device": "cuda",
        "preloaded": "/opt/nccl/2.28.9/lib/libnccl.so.2",
        "built": {"hgx-0001": "2.28.9", "hgx-0002": "2.28.9", "hgx-0003.cluster": "not present"},
        "loaded": nccl_output.loaded_nccl(LOG)})
    by_host = {n["host"]: n for n in record["nodes"]}
    assert by_host["hgx-0001"]["match"] is True and by_host["hgx-0001"]["network"] == ["IB"]
    assert by_host["hgx-0002"]["match"] is False  # torch's (or another) NCCL, not the built one
    assert by_host["hgx-0002"]["loaded"] == ["2.27.5+cuda12.9"]
    assert by_host["hgx-0003.cluster"]["match"] is None and by_host["hgx-0003.cluster"]["built"] is None
    assert by_host["hgx-0004"] == {"host": "hgx-0004", "hostname": None, "loaded": [], "network": [],
                                   "external_plugin": [], "library": [],
                                   "processes": 0, "built": None, "match": None}
    assert run_dir.path_of("/r", "sft_nccl", {}, label="n2") == "/r/sft/n2/nccl_loaded.json"


def test_a_node_whose_own_name_differs_from_the_inventorys_is_found_by_it():
    # the lent GPU machine is hgx-0001 in the inventory and "vm" to itself (and so in NCCL's lines)
    log = "vm:26833:26833 [0] NCCL INFO NCCL version 2.28.9+cuda13.0\n"
    record = run_dir.build("sft_nccl", {"hosts": ["hgx-0001"], "hostnames": {"hgx-0001": "vm"},
                                        "built": {"hgx-0001": "2.28.9"}, "loaded": nccl_output.loaded_nccl(log)})
    (node,) = record["nodes"]
    assert (node["hostname"], node["loaded"], node["match"]) == ("vm", ["2.28.9+cuda13.0"], True)


def test_the_same_version_from_torchs_bundled_copy_is_not_the_built_one():
    # torch 2.11 bundles NCCL 2.28.9 too: the version line alone cannot tell; the file torch calls can
    log = "vm:1:1 [0] NCCL INFO NCCL version 2.28.9+cuda13.0\nvm:2:2 [1] NCCL INFO NCCL version 2.28.9+cuda13.0\n"
    common = {"hosts": ["hgx-0001"], "hostnames": {"hgx-0001": "vm"}, "built": {"hgx-0001": "2.28.9"},
              "loaded": nccl_output.loaded_nccl(log)}
    built = run_dir.build("sft_nccl", dict(common, preloaded="/opt/nccl/2.28.9/lib/libnccl.so.2", libraries=[
        {"rank": 0, "host": "vm", "path": "/opt/nccl/2.28.9/lib/libnccl.so.2.28.9"},
        {"rank": 1, "host": "vm", "path": "/opt/nccl/2.28.9/lib/libnccl.so.2.28.9"},
        {"rank": 2, "host": "vm", "path": None}, "not a record"]))
    assert built["nodes"][0]["match"] is True
    assert built["nodes"][0]["library"] == ["/opt/nccl/2.28.9/lib/libnccl.so.2.28.9"]
    bundled = "/opt/venv/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2"
    torchs = run_dir.build("sft_nccl", dict(common, preloaded=None, libraries=[
        {"rank": 0, "host": "vm", "path": bundled}, {"rank": 1, "host": "vm", "path": bundled}]))
    assert torchs["nodes"][0]["match"] is False and torchs["nodes"][0]["library"] == [bundled]
