# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RoCE / InfiniBand counters: snapshot of /sys and ``ethtool -S``, and the difference of two snapshots.

Counter names are the Linux kernel's: ``/sys/class/infiniband/DEV/ports/N/counters/*`` (IB core,
``drivers/infiniband/core/sysfs.c``: ``port_xmit_data``, ``port_rcv_data`` in units of 4 bytes,
``port_xmit_packets``, ``port_rcv_errors``, ``port_xmit_discards``, ...) and
``.../hw_counters/*`` (mlx5 driver, ``drivers/infiniband/hw/mlx5/counters.c``: ``np_cnp_sent``,
``rp_cnp_handled``, ``np_ecn_marked_roce_packets``, ``out_of_sequence``, ``packet_seq_err``,
``roce_adp_retrans``, ...). Pause (PFC) frames are Ethernet counters and come from ``ethtool -S``
(mlx5e: ``rx_prio3_pause``, ``tx_pause_ctrl_phy``, ...).

A snapshot's ``values`` is flat: ``"mlx5_0/1/hw_counters/np_cnp_sent"`` and
``"ethtool/eth2/rx_prio3_pause"``. A counter that does not exist is missing from ``values`` and
named in ``absent``; it is never reported as 0. So is a counter file that cannot be read or does not
hold a non-negative integer (the reason names the file). Bytes that are not UTF-8 are replaced and
named, with the file's path, in ``input_warnings``. Every value is an integer: the results are strict JSON.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

IB_CLASS = os.path.join("sys", "class", "infiniband")
COUNTER_DIRS = ("counters", "hw_counters")
# Ethtool counters kept by default: pause/PFC, ECN, CNP, sequence errors, drops for lack of buffer.
DEFAULT_ETHTOOL_PATTERNS = ("pause", "pfc", "ecn", "cnp", "out_of_sequence", "out_of_buffer", "discard")
# port_xmit_data / port_rcv_data count 4-byte words (IBA PortCounters); bytes = value x 4.
DATA_WORD_BYTES = 4
# What the report reads, summed over every port; each is absent when no port has the counter.
TOTALS = (
    ("tx_bytes", ("counters/port_xmit_data",), DATA_WORD_BYTES),
    ("rx_bytes", ("counters/port_rcv_data",), DATA_WORD_BYTES),
    ("rx_errors", ("counters/port_rcv_errors",), 1),
    ("tx_discards", ("counters/port_xmit_discards",), 1),
    ("link_downed", ("counters/link_downed",), 1),
    ("ecn_marked_packets", ("hw_counters/np_ecn_marked_roce_packets",), 1),
    ("cnp_sent", ("hw_counters/np_cnp_sent",), 1),
    ("cnp_handled", ("hw_counters/rp_cnp_handled",), 1),
    ("out_of_sequence", ("hw_counters/out_of_sequence",), 1),
    ("packet_seq_err", ("hw_counters/packet_seq_err",), 1),
    ("retransmits", ("hw_counters/roce_adp_retrans",), 1),
    ("local_ack_timeout_err", ("hw_counters/local_ack_timeout_err",), 1),
    ("out_of_buffer", ("hw_counters/out_of_buffer",), 1),
)
NOT_COUNTERS = ("lifespan",)  # hw_counters/lifespan is the counters' refresh period (ms), a setting
_ETHTOOL_PAUSE = re.compile(r"^(rx|tx)_(prio\d+_pause|pause_ctrl_phy|pfc)")
_UINT32 = 1 << 32
_SATURATED32 = _UINT32 - 1


class CounterError(ValueError):
    """Bad input to the counter functions (named in the message)."""


def decode_text(data, what, warnings):
    """Text of ``data`` (bytes, or str that may hold ``surrogateescape``d bytes); bytes that are not UTF-8 are
    replaced and named, with ``what``, in ``warnings``."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
            return data
        except UnicodeEncodeError:
            data = data.encode("utf-8", "surrogatepass")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        warnings.append("%s: bytes that are not UTF-8 replaced (the first at byte %d)" % (what, exc.start))
        return data.decode("utf-8", "replace")


def _read(path, warnings):
    """``(text, error)``: the stripped content of a sysfs file, or None and why it could not be read."""
    try:
        with open(path, "rb") as handle:
            return decode_text(handle.read(), path, warnings).strip(), None
    except (IOError, OSError) as exc:
        return None, exc.strerror or str(exc)


def _counter_value(text):
    """A counter's value: a non-negative integer of at most 30 digits (a longer one is damage), else None."""
    if text is None or len(text) > 30:
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value if value >= 0 else None


def _listdir(path, warnings):
    """Sorted names in ``path`` (None when it cannot be listed); a name that is not UTF-8 is left out and named:
    the kernel names devices and counters in ASCII, and such a name could not be written as JSON."""
    try:
        names = sorted(os.listdir(path))
    except (IOError, OSError):
        return None
    kept = []
    for name in names:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            warnings.append("%s: entry %r is not UTF-8, left out" % (path, shown))
            continue
        kept.append(name)
    return kept


def read_sysfs(sysfs_root="/"):
    """Read every counter of every RDMA device port under ``sysfs_root``.

    Returns ``{"values", "ports", "absent", "input_warnings"}``: flat counter values (int), the ports with
    their state, what was not there or not readable (``{"what", "reason"}``), and the damage read around.
    """
    base = os.path.join(sysfs_root, IB_CLASS)
    values, ports, absent, warnings = {}, [], [], []
    snapshot = {"values": values, "ports": ports, "absent": absent, "input_warnings": warnings}
    listed = _listdir(base, warnings) if os.path.isdir(base) else None
    devices = None if listed is None else [d for d in listed if not d.startswith(".")]
    if not devices:
        reason = "%s does not exist" % base if devices is None else "%s has no RDMA devices" % base
        absent.append({"what": "rdma devices", "reason": reason})
        return snapshot
    for device in devices:
        port_names = _listdir(os.path.join(base, device, "ports"), warnings) or []
        for port in port_names:
            port_dir = os.path.join(base, device, "ports", port)
            entry = {"device": device, "port": port}
            for attribute in ("state", "phys_state", "link_layer", "rate"):
                entry[attribute] = _read(os.path.join(port_dir, attribute), warnings)[0]
            ports.append(entry)
            for counter_dir in COUNTER_DIRS:
                names = _listdir(os.path.join(port_dir, counter_dir), warnings)
                if names is None:
                    absent.append({"what": "%s/%s/%s" % (device, port, counter_dir), "reason": "directory not present"})
                    continue
                for name in names:
                    if name in NOT_COUNTERS:
                        continue
                    key = "%s/%s/%s/%s" % (device, port, counter_dir, name)
                    path = os.path.join(port_dir, counter_dir, name)
                    text, error = _read(path, warnings)
                    value = _counter_value(text)
                    if value is not None:
                        values[key] = value
                    elif error is not None:
                        absent.append({"what": key, "reason": "cannot read %s: %s" % (path, error)})
                    else:
                        absent.append({"what": key, "reason": "%s holds %r, not a counter value" % (path, text[:40])})
    return snapshot


def snapshot_sysfs(sysfs_root="/"):
    """``(values, ports, absent)`` of :func:`read_sysfs` (which also returns ``input_warnings``)."""
    snapshot = read_sysfs(sysfs_root)
    return snapshot["values"], snapshot["ports"], snapshot["absent"]


def parse_ethtool_stats(text):
    """``ethtool -S IFACE`` output -> ``{name: int}`` (the ``NIC statistics:`` header is skipped; a value that is
    not a non-negative integer is not a counter: ethtool prints unsigned 64-bit values)."""
    stats = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition(":")
        if not sep:
            continue
        value = _counter_value(value.strip())
        if value is not None:
            stats[name.strip()] = value
    return stats


def select_ethtool(stats, interface, patterns=DEFAULT_ETHTOOL_PATTERNS):
    """Keep the ethtool counters whose name contains one of ``patterns``, keyed ``ethtool/IFACE/NAME``."""
    if isinstance(patterns, str) or not all(isinstance(p, str) for p in patterns):
        raise CounterError("ethtool_patterns must be a list of strings, got %r" % (patterns,))
    return dict(
        ("ethtool/%s/%s" % (interface, name), value)
        for name, value in stats.items()
        if any(pattern in name for pattern in patterns)
    )


def counter_delta(name, before, after):
    """``(delta, note)`` for one counter: note is None, "wrapped", "saturated" or "reset".

    Legacy 32-bit IB port counters stop at 2^32-1 (saturated: the delta is unknown). A 32-bit
    counter that wrapped is told apart from a reset (driver reload, ``perfquery -x -R``) by where it
    was before: in the upper half of the 32-bit range it wrapped; anywhere else it was reset, and
    the delta is unknown (null), not negative.
    """
    for label, value in (("before", before), ("after", after)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CounterError("counter %s: %s value must be a non-negative integer, got %r" % (name, label, value))
    if after == _SATURATED32 and not name.startswith("ethtool/"):
        return None, "saturated"
    if after >= before:
        return after - before, None
    if _UINT32 // 2 <= before < _UINT32:
        return after + _UINT32 - before, "wrapped"
    return None, "reset"


def diff(before, after):
    """Difference of two snapshots' ``values``.

    Returns ``{"delta": {name: int|None}, "wrapped": [...], "reset": [...], "saturated": [...],
    "absent": [{"what", "reason"}]}``; a counter present in only one snapshot is absent, not 0.
    """
    for label, snapshot in (("before", before), ("after", after)):
        if not isinstance(snapshot, dict):
            raise CounterError(
                "%s must be a snapshot's values (a mapping of counter name to integer), got %r"
                % (label, type(snapshot).__name__)
            )
    result = {"delta": {}, "wrapped": [], "reset": [], "saturated": [], "absent": []}
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            missing = "before" if name not in before else "after"
            result["absent"].append({"what": name, "reason": "not present in the %s snapshot" % missing})
            continue
        delta, note = counter_delta(name, before[name], after[name])
        result["delta"][name] = delta
        if note:
            result[note].append(name)
    return result


def totals(delta):
    """Sum the report's counters over every port: ``({name: int|None}, absent)``.

    A total is null and named in ``absent`` when no port has that counter; a total with any port's
    delta unknown (reset/saturated) is null too, with the reason.
    """
    result, absent = {}, []
    for total_name, suffixes, scale in TOTALS:
        keys = [k for k in delta if any(k.endswith("/" + suffix) for suffix in suffixes)]
        if not keys:
            result[total_name] = None
            absent.append({"what": total_name, "reason": "no port has %s" % " or ".join(suffixes)})
            continue
        unknown = [k for k in keys if delta[k] is None]
        if unknown:
            result[total_name] = None
            absent.append({"what": total_name, "reason": "delta unknown (reset or saturated): %s" % ", ".join(unknown)})
            continue
        result[total_name] = sum(delta[k] for k in keys) * scale
    pause_keys = [k for k in delta if k.startswith("ethtool/") and _ETHTOOL_PAUSE.match(k.rsplit("/", 1)[-1])]
    pause_keys = [k for k in pause_keys if not k.endswith("_duration") and "transition" not in k]
    if pause_keys and all(delta[k] is not None for k in pause_keys):
        result["pause_frames"] = sum(delta[k] for k in pause_keys)
    else:
        result["pause_frames"] = None
        absent.append(
            {
                "what": "pause_frames",
                "reason": "no ethtool pause/PFC frame counter was read"
                if not pause_keys
                else "delta unknown for a pause counter",
            }
        )
    return result, absent
