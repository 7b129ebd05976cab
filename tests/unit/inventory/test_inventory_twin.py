"""The virtual cluster's inventory is the real one's twin (docs/virtual-cluster.md, "The twin of
inventory/hosts.yml"): same groups and hosts, and every variable that differs is one the docs list. The checker
is also run on a doctored copy, to show that it fails on a variable outside the list."""

import copy
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DOC = os.path.join(ROOT, "docs", "virtual-cluster.md")


def load(name):
    with open(os.path.join(ROOT, "inventory", name)) as handle:
        return yaml.safe_load(handle)


def documented_variables():
    """The backticked variable of each row between the twin-variables markers of the docs page."""
    with open(DOC) as handle:
        text = handle.read()
    block = re.search(r"<!-- twin-variables .*?-->(.*?)<!-- /twin-variables -->", text, re.S)
    assert block, "docs/virtual-cluster.md has no twin-variables table"
    names = re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \|", block.group(1), re.M)
    assert names, "the twin-variables table lists no variable"
    return set(names)


def host_vars(inventory):
    """Per host: its group memberships and its variables as Ansible merges inventory-file vars (all < child
    group < host; the file's groups here are one level below all)."""
    top = inventory["all"]
    out = {}
    for group, body in (top.get("children") or {}).items():
        for host, hvars in ((body or {}).get("hosts") or {}).items():
            entry = out.setdefault(host, {"groups": set(), "vars": dict(top.get("vars") or {})})
            entry["groups"].add(group)
            entry["vars"].update((body or {}).get("vars") or {})
            entry["vars"].update(hvars or {})
    return out


def undocumented_differences(real, twin, allowed):
    """Problems: a host or group membership that differs, or a variable that differs and is not allowed."""
    problems = []
    real_hosts, twin_hosts = host_vars(real), host_vars(twin)
    if set(real_hosts) != set(twin_hosts):
        problems.append("hosts differ: %s" % sorted(set(real_hosts) ^ set(twin_hosts)))
    for host in sorted(set(real_hosts) & set(twin_hosts)):
        if real_hosts[host]["groups"] != twin_hosts[host]["groups"]:
            problems.append("%s: groups %s vs %s" % (host, sorted(real_hosts[host]["groups"]),
                                                      sorted(twin_hosts[host]["groups"])))
        a, b = real_hosts[host]["vars"], twin_hosts[host]["vars"]
        for name in sorted(set(a) | set(b)):
            if a.get(name, KeyError) != b.get(name, KeyError) and name not in allowed:
                problems.append("%s: %s differs (%r vs %r) and is not in docs/virtual-cluster.md's list"
                                % (host, name, a.get(name), b.get(name)))
    return problems


def test_the_virtual_inventory_differs_only_by_documented_variables():
    assert undocumented_differences(load("hosts.yml"), load("virtual.yml"), documented_variables()) == []


@pytest.mark.parametrize("where", ["all", "gpu_nodes", "host"])
def test_a_variable_outside_the_list_is_caught(where):
    twin = copy.deepcopy(load("virtual.yml"))
    if where == "all":
        twin["all"]["vars"]["h200_python"] = "/opt/h200/venv/bin/python"
    elif where == "gpu_nodes":
        twin["all"]["children"]["gpu_nodes"]["vars"]["h200_site_roles"] = ["drivers"]
    else:
        twin["all"]["children"]["gpu_nodes"]["hosts"]["hgx-0003"]["ansible_port"] = 22
    problems = undocumented_differences(load("hosts.yml"), twin, documented_variables())
    assert problems and all("is not in docs/virtual-cluster.md's list" in p for p in problems), problems
    name = {"all": "h200_python", "gpu_nodes": "h200_site_roles", "host": "ansible_port"}[where]
    assert any(": %s differs" % name in p for p in problems)


def test_the_twins_package_pins_are_the_workloads():
    with open(os.path.join(ROOT, "requirements", "workload.txt")) as handle:
        pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", handle.read(), re.M))
    twin = load("virtual.yml")["all"]["vars"]
    packages = dict(p.split("==") for p in twin["conda_torch_packages"] + twin["conda_pip_packages"])
    assert packages == {name: pins[name] for name in packages}, (packages, pins)
    assert {"torch", "deepspeed", "transformers"} <= set(packages)
