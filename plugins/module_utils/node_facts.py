# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node environment record and preflight checks.

The parsing functions are pure. ``gather_environment`` and ``run_preflight`` read the node through
two things handed to them, so tests can play recorded outputs back: ``run(argv) -> (rc, stdout,
stderr)`` (the module passes ``AnsibleModule.run_command`` with ``LC_ALL=C``; a missing program is
rc 127 or an OSError) and ``root`` (the file-system root, "/" on a node).

Everything absent is said to be so: an environment value is the string ``"not present"`` (with the
reason under ``absent``), and a preflight check has status ``absent``. Nothing is ever invented.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

NOT_PRESENT = "not present"
# nvidia-smi --query-gpu fields of the environment record and the preflight, in this order.
GPU_FIELDS = (
    "index",
    "name",
    "uuid",
    "pci.bus_id",
    "driver_version",
    "vbios_version",
    "memory.total",
    "ecc.mode.current",
    "ecc.errors.uncorrected.volatile.total",
    "clocks.sm",
    "clocks.max.sm",
    "persistence_mode",
    "clocks_throttle_reasons.active",
    "clocks_throttle_reasons.hw_slowdown",
    "clocks_throttle_reasons.hw_thermal_slowdown",
    "clocks_throttle_reasons.hw_power_brake_slowdown",
    "clocks_throttle_reasons.sw_thermal_slowdown",
    "clocks_throttle_reasons.sw_power_cap",
)
# Throttle reasons that fail the clocks check: the GPU is held down by hardware or heat while idle.
SLOWDOWN_FIELDS = (
    "clocks_throttle_reasons.hw_slowdown",
    "clocks_throttle_reasons.hw_thermal_slowdown",
    "clocks_throttle_reasons.hw_power_brake_slowdown",
    "clocks_throttle_reasons.sw_thermal_slowdown",
)
PYTHON_PACKAGES = ("torch", "deepspeed", "transformers", "flash-attn", "nvidia-ml-py")
# Distribution name -> module the workload imports; preflight imports those that are pinned.
WORKLOAD_IMPORTS = {"torch": "torch", "deepspeed": "deepspeed", "transformers": "transformers",
                    "flash-attn": "flash_attn"}
# Run with the workload's interpreter: versions by distribution name, the import of each module named, torch's
# CUDA and NCCL. The JSON is the last line of stdout (an import may print above it).
_PYTHON_PROBE = r"""
import json
try:
    from importlib import metadata
except ImportError:
    metadata = None
out = {"imports": {}}
for name in %r:
    try:
        out[name] = metadata.version(name)
    except Exception:
        out[name] = None
for name in %r:
    try:
        __import__(name)
        out["imports"][name] = ""
    except BaseException as exc:
        out["imports"][name] = ("%%s: %%s" %% (type(exc).__name__, exc))[-300:] or type(exc).__name__
try:
    import torch
    out["torch.version.cuda"] = torch.version.cuda
    try:
        out["torch.cuda.nccl"] = ".".join(str(p) for p in torch.cuda.nccl.version())
    except Exception:
        out["torch.cuda.nccl"] = None
except Exception:
    pass
print(json.dumps(out))
"""


def python_probe(names=PYTHON_PACKAGES, imports=()):
    """The probe's source: versions of ``names``, then ``import`` of each module of ``imports``."""
    return _PYTHON_PROBE % (tuple(names), tuple(imports))


PYTHON_PROBE = python_probe()
NCCL_HEADERS = ("usr/include/nccl.h", "usr/local/include/nccl.h", "usr/local/cuda/include/nccl.h")
NCCL_LIB_DIRS = (
    "usr/lib/x86_64-linux-gnu",
    "usr/lib/aarch64-linux-gnu",
    "usr/lib64",
    "usr/local/lib",
    "usr/local/cuda/lib64",
)
CHECK_NAMES = ("gpus", "driver", "nics", "nccl_conf", "clocks", "ecc", "free_disk")
# Added by the module after them: the interpreter the benchmark runs and the packages it imports.
ENV_CHECK_NAMES = ("python", "packages")


class NodeFactsError(ValueError):
    """Bad input (named in the message)."""


def smi_value(text):
    """A cell of nvidia-smi CSV output, or None for [N/A], [Not Supported], N/A and empty cells."""
    text = text.strip()
    if not text or text in ("N/A", "[N/A]", "[Not Supported]", "Not Supported", "[Unknown Error]"):
        return None
    return text


def parse_smi_csv(text, fields):
    """``nvidia-smi --query-gpu=... --format=csv,noheader,nounits`` -> one dict per GPU."""
    gpus = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != len(fields):
            raise NodeFactsError(
                "nvidia-smi printed %d columns where %d were asked for: %r" % (len(cells), len(fields), line)
            )
        gpus.append(dict((field, smi_value(cell)) for field, cell in zip(fields, cells, strict=False)))
    return gpus


def parse_smi_banner(text):
    """Driver and CUDA (driver API) versions from the banner of plain ``nvidia-smi``."""
    driver = re.search(r"Driver Version:\s*([0-9.]+)", text)
    cuda = re.search(r"CUDA Version:\s*([0-9.]+)", text)
    return {"driver": driver.group(1) if driver else None, "cuda_driver_api": cuda.group(1) if cuda else None}


def parse_nvcc(text):
    """``nvcc --version`` -> ``"13.0.88"`` (from ``V13.0.88``) or the release number."""
    match = re.search(r"release [0-9.]+, V([0-9.]+)", text) or re.search(r"release ([0-9.]+)", text)
    return match.group(1) if match else None


def parse_nccl_header(text):
    """NCCL version from ``nccl.h`` (``#define NCCL_MAJOR 2`` ...)."""
    parts = [re.search(r"#define\s+NCCL_%s\s+(\d+)" % key, text) for key in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(p.group(1) for p in parts) if all(parts) else None


def parse_first_version(text, pattern=r"(\d+(?:\.\d+)+)"):
    match = re.search(pattern, text or "")
    return match.group(1) if match else None


def parse_ethtool_i(text):
    """``ethtool -i IFACE`` -> ``{"driver", "version", "firmware-version", "bus-info"}``."""
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("driver", "version", "firmware-version", "bus-info"):
            info[key.strip()] = value.strip()
    return info


def version_tuple(text):
    """``"580.159.04"`` -> ``(580, 159, 4)``; raises NodeFactsError when not a dotted number."""
    if not re.match(r"^\d+(\.\d+)*$", str(text).strip()):
        raise NodeFactsError("%r is not a dotted version number such as 580.65.06" % (text,))
    return tuple(int(part) for part in str(text).strip().split("."))


def _read(root, path):
    try:
        with open(os.path.join(root, path)) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def _listdir(root, path):
    try:
        return sorted(name for name in os.listdir(os.path.join(root, path)) if not name.startswith("."))
    except (IOError, OSError):
        return []


def _run(run, argv):
    """``(rc, out, err)``, with a missing program as rc 127 (whatever way ``run`` reports it)."""
    try:
        return run(argv)
    except (IOError, OSError) as exc:
        return 127, "", str(exc)


def query_gpus(run):
    """GPU rows of nvidia-smi, or ``(None, reason)`` when nvidia-smi is missing or fails."""
    rc, out, err = _run(run, ["nvidia-smi", "--query-gpu=" + ",".join(GPU_FIELDS), "--format=csv,noheader,nounits"])
    if rc != 0:
        return None, "nvidia-smi: %s" % ((err or out).strip() or "exit status %d" % rc)
    return parse_smi_csv(out, GPU_FIELDS), None


def rdma_devices(root):
    """RDMA devices under /sys/class/infiniband with firmware, board, ports and net devices."""
    devices = []
    base = "sys/class/infiniband"
    for name in _listdir(root, base):
        ports = []
        for port in _listdir(root, "%s/%s/ports" % (base, name)):
            port_dir = "%s/%s/ports/%s" % (base, name, port)
            ports.append(
                {
                    "port": port,
                    "state": _read(root, port_dir + "/state"),
                    "phys_state": _read(root, port_dir + "/phys_state"),
                    "link_layer": _read(root, port_dir + "/link_layer"),
                    "rate": _read(root, port_dir + "/rate"),
                }
            )
        devices.append(
            {
                "name": name,
                "fw_ver": _read(root, "%s/%s/fw_ver" % (base, name)),
                "hca_type": _read(root, "%s/%s/hca_type" % (base, name)),
                "board_id": _read(root, "%s/%s/board_id" % (base, name)),
                "netdevs": _listdir(root, "%s/%s/device/net" % (base, name)),
                "ports": ports,
            }
        )
    return devices


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _value_or_absent(env, absent, key, value, reason):
    if value in (None, ""):
        env[key] = NOT_PRESENT
        absent.append({"what": key, "reason": reason})
    else:
        env[key] = value


def _nccl_library_version(root, folders):
    """The version of the first libnccl.so.X.Y.Z in ``folders`` (relative to ``root``), or None."""
    for folder in folders:
        for name in _listdir(root, folder):
            if re.match(r"^libnccl\.so\.\d+\.\d+\.\d+$", name):
                return parse_first_version(name[len("libnccl.so."):])
    return None


def _nccl_build(env, absent, root, nccl_home):
    """The NCCL that nccl_build installed in ``nccl_home`` (what nccl-tests runs), and the NCCL network plugins
    (libnccl-net*.so: the SHARP/IB plugins) beside it or in the system library folders."""
    folders = list(NCCL_LIB_DIRS) + ([os.path.join(nccl_home.lstrip("/"), "lib")] if nccl_home else [])
    built = _nccl_library_version(root, folders[-1:]) if nccl_home else None
    env["nccl_built"] = built or NOT_PRESENT
    if not built:
        absent.append({"what": "nccl_built", "reason": "no libnccl.so.X.Y.Z in %s/lib" % nccl_home
                       if nccl_home else "no nccl_home given"})
    plugins = sorted({n for d in folders for n in _listdir(root, d) if re.match(r"^libnccl-net[\w.-]*\.so", n)})
    env["nccl_net_plugin"] = ", ".join(plugins) if plugins else NOT_PRESENT
    if not plugins:
        absent.append({"what": "nccl_net_plugin", "reason": "no libnccl-net*.so in %s"
                       % ", ".join("/" + d for d in folders)})


def gather_environment(run, root="/", python=None, interfaces=(), nccl_home=None, pins=None):
    """The environment record of a node (see the module's RETURN for the keys); ``pins`` (distribution name ->
    version) are looked up, and those the workload imports are imported, with ``python``."""
    env, absent = {}, []
    _value_or_absent(
        env, absent, "kernel", _read(root, "proc/sys/kernel/osrelease"), "/proc/sys/kernel/osrelease unreadable"
    )
    # the name the node's programs see (NCCL's log lines carry it), which need not be the inventory's
    _value_or_absent(
        env, absent, "hostname", _read(root, "proc/sys/kernel/hostname"), "/proc/sys/kernel/hostname unreadable"
    )
    os_release = _read(root, "etc/os-release") or ""
    pretty = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', os_release, re.M)
    _value_or_absent(env, absent, "os", pretty.group(1) if pretty else None, "/etc/os-release has no PRETTY_NAME")

    gpus, reason = query_gpus(run)
    rc, banner, _err = _run(run, ["nvidia-smi"])
    versions = parse_smi_banner(banner) if rc == 0 else {"driver": None, "cuda_driver_api": None}
    _value_or_absent(env, absent, "driver", versions["driver"], reason or "nvidia-smi printed no driver version")
    _value_or_absent(
        env, absent, "cuda_driver_api", versions["cuda_driver_api"], reason or "nvidia-smi printed no CUDA version"
    )
    env["gpus"] = [
        {
            "index": _int(g["index"]),
            "model": g["name"],
            "vbios": g["vbios_version"],
            "pci_bus_id": g["pci.bus_id"],
            "memory_mib": _int(g["memory.total"]),
        }
        for g in gpus or []
    ]
    if gpus is None:
        absent.append({"what": "gpus", "reason": reason})

    rc, out, err = _run(run, ["nvcc", "--version"])
    _value_or_absent(
        env, absent, "cuda_toolkit", parse_nvcc(out) if rc == 0 else None, "nvcc: %s" % (err.strip() or "not found")
    )

    header = next((h for h in NCCL_HEADERS if _read(root, h)), None)
    env["nccl_header"] = parse_nccl_header(_read(root, header)) if header else NOT_PRESENT
    library = _nccl_library_version(root, NCCL_LIB_DIRS)
    env["nccl_library"] = library or NOT_PRESENT
    if not header:
        absent.append({"what": "nccl_header", "reason": "no nccl.h in %s" % ", ".join("/" + h for h in NCCL_HEADERS)})
    if not library:
        absent.append(
            {"what": "nccl_library", "reason": "no libnccl.so.X.Y.Z in %s" % ", ".join("/" + d for d in NCCL_LIB_DIRS)}
        )

    _nccl_build(env, absent, root, nccl_home)

    rc, out, err = _run(run, ["ofed_info", "-s"])
    ofed = out.strip().splitlines()[0].rstrip(":") if rc == 0 and out.strip() else None
    _value_or_absent(env, absent, "ofed", ofed, "ofed_info: %s" % ((err or out).strip() or "not found"))

    slurm = None
    for argv in (["sinfo", "--version"], ["slurmd", "-V"]):
        rc, out, _err = _run(run, argv)
        if rc == 0 and parse_first_version(out):
            slurm = parse_first_version(out)
            break
    _value_or_absent(env, absent, "slurm", slurm, "neither sinfo --version nor slurmd -V answered")

    env["python_packages"] = {}
    env["python_imports"] = {}
    env["python_pinned"] = {}
    if python:
        pins = dict((normal_name(k), str(v)) for k, v in (pins or {}).items())
        names = list(PYTHON_PACKAGES) + sorted(set(pins) - set(PYTHON_PACKAGES))
        imports = [WORKLOAD_IMPORTS[n] for n in sorted(pins) if n in WORKLOAD_IMPORTS]
        rc, out, err = _run(run, [python, "-c", python_probe(names, imports)])
        try:
            found = json.loads(out.strip().splitlines()[-1]) if rc == 0 and out.strip() else None
        except ValueError:
            found = None
        if not isinstance(found, dict):
            found = None
            absent.append(
                {"what": "python_packages", "reason": "%s failed: %s" % (python, (err or out).strip()[-300:])}
            )
        for name in (*PYTHON_PACKAGES, "torch.version.cuda", "torch.cuda.nccl"):
            value = (found or {}).get(name)
            env["python_packages"][name] = value if value else NOT_PRESENT
            if found is not None and not value:
                absent.append({"what": "python package %s" % name, "reason": "not installed for %s" % python})
        if found is not None:
            env["python_imports"] = dict((found.get("imports") or {}).items())
            env["python_pinned"] = dict((n, {"pinned": v, "found": found.get(n) or NOT_PRESENT})
                                        for n, v in pins.items())
    else:
        absent.append({"what": "python_packages", "reason": "no workload python interpreter given"})

    env["rdma_devices"] = rdma_devices(root)
    if not env["rdma_devices"]:
        absent.append({"what": "rdma_devices", "reason": "/sys/class/infiniband has no devices"})
    env["nics"] = []
    for iface in interfaces:
        rc, out, err = _run(run, ["ethtool", "-i", iface])
        info = parse_ethtool_i(out) if rc == 0 else {}
        env["nics"].append(
            {
                "interface": iface,
                "driver": info.get("driver", NOT_PRESENT),
                "firmware": info.get("firmware-version", NOT_PRESENT),
                "bus_info": info.get("bus-info", NOT_PRESENT),
            }
        )
        if rc != 0:
            absent.append(
                {"what": "nic %s" % iface, "reason": "ethtool -i %s: %s" % (iface, (err or out).strip() or "failed")}
            )
    env["absent"] = absent
    return env


def normal_name(name):
    """A distribution name as PEP 503 compares it (``Flash_Attn`` -> ``flash-attn``)."""
    return re.sub(r"[-_.]+", "-", str(name)).lower()


def resolve_python(root, python, env_record_path):
    """The interpreter the benchmark runs on this node and the package pins to check it against.

    ``python`` (h200_python) wins when set; otherwise the ``python`` and ``pins`` of the record the conda role
    wrote at ``env_record_path``. Returns ``{"path", "source", "pins", "error"}``; ``path`` is None (and
    ``error`` says why) when neither gives an interpreter.
    """
    record, reason = None, ""
    text = _read(root, env_record_path.lstrip("/")) if env_record_path else None
    if text is None:
        reason = ("%s (the conda role's record) is absent" % env_record_path if env_record_path
                  else "no record of the conda role given")
    else:
        try:
            record = json.loads(text)
        except ValueError as exc:
            reason = "%s is not JSON: %s" % (env_record_path, exc)
        if record is not None and not (isinstance(record, dict) and isinstance(record.get("python"), str)
                                       and record["python"].startswith("/")):
            record, reason = None, "%s names no interpreter (no absolute path under the key python)" % env_record_path
    pins = dict((record or {}).get("pins") or {}) if isinstance((record or {}).get("pins"), dict) else {}
    if python:
        return {"path": python, "source": "h200_python", "pins": pins if record else {}, "error": ""}
    if record:
        return {"path": record["python"], "source": "conda role record %s" % env_record_path, "pins": pins,
                "error": ""}
    return {"path": None, "source": "", "pins": {}, "error": "%s; run playbooks/site.yml (the conda role) on this "
            "node, or set h200_python" % reason}


def check_python(resolved):
    """Check ``python``: the interpreter was found (resolve_python) and answered the probe."""
    if not resolved["path"]:
        return _check("python", "fail", "no interpreter for the workload: " + resolved["error"])
    return _check("python", "pass", "%s (from %s)" % (resolved["path"], resolved["source"]))


def check_packages(env, pins, source):
    """Check ``packages``: each pinned package at its version (a local label such as +cpu or +cu121 matches,
    PEP 440), and torch, deepspeed, transformers, flash-attn imported where pinned."""
    if not pins:
        return _check("packages", "skipped", "no pins to check: h200_package_pins is empty and no conda role record "
                      "gave any; versions are recorded in the environment record")
    pinned = env.get("python_pinned") or {}
    if not pinned:
        return _check("packages", "fail", "the interpreter did not answer the package probe (see environment.absent)")
    problems, good = [], []
    for name in sorted(pinned):
        want, have = pinned[name]["pinned"], pinned[name]["found"]
        if have == NOT_PRESENT:
            problems.append("%s: not installed, pinned %s" % (name, want))
        elif have.split("+")[0] != want:
            problems.append("%s: found %s, pinned %s" % (name, have, want))
        else:
            good.append("%s %s" % (name, have))
    for module, error in sorted((env.get("python_imports") or {}).items()):
        if error:
            problems.append("import %s failed: %s" % (module, error))
    if problems:
        return _check("packages", "fail", "; ".join(problems) + " (pins from %s)" % source)
    return _check("packages", "pass", "%s; imported %s (pins from %s)" % (
        ", ".join(good), ", ".join(sorted(env.get("python_imports") or {})) or "nothing", source))


def _check(name, status, detail):
    return {"name": name, "status": status, "detail": detail}


def check_gpus(gpus, reason, expected):
    if gpus is None:
        return _check("gpus", "absent", "no NVIDIA GPU visible (%s)" % reason)
    models = sorted(set(g["name"] or "?" for g in gpus))
    detail = "%d GPU(s) (%s), expected %d" % (len(gpus), ", ".join(models), expected)
    return _check("gpus", "pass" if len(gpus) == expected else "fail", detail)


def check_driver(gpus, reason, minimum):
    if not gpus:
        return _check("driver", "absent", "no NVIDIA driver answered (%s)" % (reason or "no GPU"))
    versions = sorted(set(g["driver_version"] for g in gpus if g["driver_version"]))
    if not versions:
        return _check("driver", "absent", "nvidia-smi printed no driver version")
    low = [v for v in versions if version_tuple(v) < version_tuple(minimum)]
    detail = "driver %s, minimum %s" % (", ".join(versions), minimum)
    return _check("driver", "fail" if low else "pass", detail)


def check_clocks(gpus, reason):
    if not gpus:
        return _check("clocks", "absent", "no GPU to read clocks from (%s)" % (reason or "no GPU"))
    held = []
    for gpu in gpus:
        active = [f.rsplit(".", 1)[-1] for f in SLOWDOWN_FIELDS if gpu.get(f) == "Active"]
        if active:
            held.append("GPU %s: %s" % (gpu["index"], ", ".join(active)))
    clocks = ", ".join("GPU %s %s/%s MHz" % (g["index"], g["clocks.sm"], g["clocks.max.sm"]) for g in gpus)
    if held:
        return _check("clocks", "fail", "clocks held down: %s (%s)" % ("; ".join(held), clocks))
    return _check("clocks", "pass", "no hardware or thermal slowdown active (%s)" % clocks)


def check_ecc(gpus, reason):
    if not gpus:
        return _check("ecc", "absent", "no GPU to read ECC from (%s)" % (reason or "no GPU"))
    problems, unknown = [], []
    for gpu in gpus:
        if gpu["ecc.mode.current"] is None:
            unknown.append(gpu["index"])
        elif gpu["ecc.mode.current"] != "Enabled":
            problems.append("GPU %s ECC %s" % (gpu["index"], gpu["ecc.mode.current"]))
        errors = gpu["ecc.errors.uncorrected.volatile.total"]
        if errors not in (None, "0"):
            problems.append("GPU %s %s volatile uncorrectable ECC errors" % (gpu["index"], errors))
    if problems:
        return _check("ecc", "fail", "; ".join(problems))
    if len(unknown) == len(gpus):
        return _check("ecc", "absent", "the GPUs report no ECC mode")
    return _check("ecc", "pass", "ECC enabled, 0 volatile uncorrectable errors")


def check_nics(root, interfaces, ib_devices):
    """Link state of the given RoCE interfaces (/sys/class/net) and RDMA ports (/sys/class/infiniband)."""
    if not interfaces and not ib_devices:
        devices = rdma_devices(root)
        if not devices:
            return _check("nics", "absent", "no RoCE interface given and /sys/class/infiniband has no devices")
        ib_devices = [d["name"] for d in devices]
    failed, missing, good = [], [], []
    for iface in interfaces:
        state = _read(root, "sys/class/net/%s/operstate" % iface)
        if state is None:
            missing.append(iface)
        elif state != "up":
            failed.append("%s is %s" % (iface, state))
        else:
            speed = _read(root, "sys/class/net/%s/speed" % iface)
            good.append("%s up %s Mb/s" % (iface, speed or "?"))
    for device in ib_devices:
        ports = _listdir(root, "sys/class/infiniband/%s/ports" % device)
        if not ports:
            missing.append(device)
        for port in ports:
            state = _read(root, "sys/class/infiniband/%s/ports/%s/state" % (device, port)) or "?"
            if "ACTIVE" not in state:
                failed.append("%s/%s is %s" % (device, port, state))
            else:
                good.append("%s/%s ACTIVE" % (device, port))
    if failed:
        return _check("nics", "fail", "; ".join(failed + (["not present: %s" % ", ".join(missing)] if missing else [])))
    if missing:
        return _check(
            "nics", "absent", "not present: %s%s" % (", ".join(missing), "; " + "; ".join(good) if good else "")
        )
    return _check("nics", "pass", "; ".join(good))


def parse_nccl_conf(text):
    """``KEY=VALUE`` lines of /etc/nccl.conf (comments and blank lines skipped)."""
    conf = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _sep, value = line.partition("=")
            conf[key.strip()] = value.strip()
    return conf


def check_nccl_conf(root, path, keys):
    text = _read(root, path.lstrip("/"))
    if text is None:
        return _check("nccl_conf", "fail", "%s does not exist (the roce_qos role writes it)" % path)
    conf = parse_nccl_conf(text)
    missing = [k for k in keys if k not in conf]
    if missing:
        return _check("nccl_conf", "fail", "%s lacks %s" % (path, ", ".join(missing)))
    # NCCL_IB_HCA=[^|=]mlx5_0:1,mlx5_1:1 names RDMA devices: each must exist on this node (a ^ list excludes)
    hca = conf.get("NCCL_IB_HCA", "")
    if hca and not hca.startswith("^"):
        names = [part.split(":")[0] for part in hca.lstrip("=").split(",") if part.strip()]
        gone = [n for n in names if not os.path.isdir(os.path.join(root, "sys", "class", "infiniband", n))]
        if gone:
            return _check("nccl_conf", "fail", "%s: NCCL_IB_HCA names %s, not under /sys/class/infiniband on this node"
                          % (path, ", ".join(gone)))
    shown = ", ".join("%s=%s" % (k, conf[k]) for k in keys) or "%d settings" % len(conf)
    return _check("nccl_conf", "pass", "%s: %s" % (path, shown))


def check_free_disk(root, path, min_gb):
    try:
        stat = os.statvfs(os.path.join(root, path.lstrip("/")))
    except (IOError, OSError) as exc:
        return _check("free_disk", "fail", "%s: %s" % (path, exc))
    free_gb = stat.f_bavail * stat.f_frsize / 1e9
    status = "pass" if free_gb >= min_gb else "fail"
    return _check("free_disk", status, "%.1f GB free on %s, minimum %s GB" % (free_gb, path, min_gb))


def run_preflight(
    run,
    root="/",
    expected_gpus=8,
    min_driver="535.0",
    interfaces=(),
    ib_devices=(),
    nccl_conf_path="/etc/nccl.conf",
    nccl_conf_keys=(),
    disk_path="/",
    min_free_gb=50.0,
    fail_on_absent=True,
):
    """All preflight checks; ``ok`` is false when one fails, or is absent and ``fail_on_absent``."""
    version_tuple(min_driver)  # a bad minimum is an error before anything is read
    gpus, reason = query_gpus(run)
    checks = [
        check_gpus(gpus, reason, expected_gpus),
        check_driver(gpus, reason, min_driver),
        check_nics(root, interfaces, ib_devices),
        check_nccl_conf(root, nccl_conf_path, nccl_conf_keys),
        check_clocks(gpus, reason),
        check_ecc(gpus, reason),
        check_free_disk(root, disk_path, min_free_gb),
    ]
    bad = ("fail", "absent") if fail_on_absent else ("fail",)
    return {"ok": not any(c["status"] in bad for c in checks), "checks": checks}
