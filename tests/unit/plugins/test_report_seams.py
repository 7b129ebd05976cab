"""What the report says of the seams between site.yml and benchmark.yml: the NCCL each node's SFT ranks loaded
against the one nccl_build installed, and the ranks' CPU binding."""

from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report
from ansible_collections.spectrumx.h200_benchmark.plugins.plugin_utils import report_render as render

ENV = {"gpus": "[]", "driver": "580.159.04", "python_packages.torch.cuda.nccl": "2.27.5"}


def hardware_rows(sft_runs):
    summary = {"hosts_checked": {"hgx-0001": {"env": ENV}, "hgx-0002": {"env": ENV}}, "sft_runs": sft_runs}
    lines = render._hardware(summary)
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])}


def test_the_nccl_the_ranks_loaded_is_a_row_naming_the_node_that_differs():
    nodes = [{"host": "hgx-0001", "loaded": ["2.28.9+cuda13.0"], "network": ["IB"], "built": "2.28.9", "match": True},
             {"host": "hgx-0002", "loaded": ["2.27.5+cuda12.9"], "network": ["IB"], "built": "2.28.9", "match": False}]
    rows = hardware_rows([{"label": "n2", "nccl_loaded": nodes}])
    value, nodes_cell = rows["NCCL the SFT ranks loaded (version line)"]
    assert value in ("2.28.9+cuda13.0 via IB, nccl_build's", "2.27.5+cuda12.9 via IB, NOT nccl_build's 2.28.9")
    assert "hgx-000" in nodes_cell and "nccl_build" in nodes_cell  # the other node is named with its value


def test_without_a_version_line_the_row_says_not_recorded():
    rows = hardware_rows([{"label": "n1", "nccl_loaded": [{"host": "hgx-0001", "loaded": [], "built": None}]}])
    assert rows["NCCL the SFT ranks loaded (version line)"][0] == "not recorded"


def test_cpu_binding_counts_ranks_and_names_those_not_bound():
    records = [{"rank": 0, "host": "hgx-0001", "status": "bound", "numa_node": 0},
               {"rank": 1, "host": "hgx-0001", "status": "bound", "numa_node": 1},
               {"rank": 2, "host": "hgx-0002", "status": "not bound",
                "reason": "GPU 0 (0000:18:00.0) reports no NUMA node (-1)"}]
    binding = report.cpu_binding(records)
    assert binding == {"ranks": 3, "bound": 2, "numa_nodes": [0, 1],
                       "not_bound": ["rank 2 on hgx-0002: GPU 0 (0000:18:00.0) reports no NUMA node (-1)"]}
    line = render._cpu_binding({"label": "n2", "cpu_binding": binding})[1]
    assert line == ("CPU binding (n2): 2 of 3 ranks bound to their GPU's NUMA node (NUMA nodes 0, 1); not bound: "
                    "rank 2 on hgx-0002: GPU 0 (0000:18:00.0) reports no NUMA node (-1).")
    assert report.cpu_binding(None) is None and render._cpu_binding({"label": "n1", "cpu_binding": None}) == []


def test_cpu_binding_of_every_rank_names_no_exception():
    binding = report.cpu_binding([{"rank": r, "host": "hgx-0001", "status": "bound", "numa_node": 0} for r in (0, 1)])
    assert render._cpu_binding({"label": "n1", "cpu_binding": binding}) == [
        "", "CPU binding (n1): 2 of 2 ranks bound to their GPU's NUMA node (NUMA nodes 0)."]


def test_gpu_sweep_without_points_says_why():
    lines = render._gpu_sweep({"reason": "no 1-GPU configuration succeeded", "points": []})
    assert lines[-2:] == ["n/a (no 1-GPU configuration succeeded)", ""] and not [ln for ln in lines if "|" in ln]
