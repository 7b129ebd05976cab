"""gpu_telemetry's stop fallbacks and start refusals. A stand-in sampler process (a test double: a Python
process whose command line names the output path, as the real sampler's does) ignores the stop file, so the
module must go on to SIGTERM, and with SIGTERM caught and ignored, to SIGKILL."""

import os
import subprocess
import sys
import textwrap
import time

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.modules import gpu_telemetry
from module_harness import run_module

# Records each SIGTERM it gets; with exit_on_term it exits on it, else it keeps running (only SIGKILL ends it).
SAMPLER_TEST_DOUBLE = textwrap.dedent("""
    import signal, sys, time
    output, seen, exit_on_term = sys.argv[1], sys.argv[2], sys.argv[3] == "exit"
    def on_term(signum, frame):
        with open(seen, "a") as handle:
            handle.write("SIGTERM\\n")
        if exit_on_term:
            sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
    open(seen + ".ready", "w").close()
    while True:
        time.sleep(0.05)
""")


def start_test_double(tmp_path, exit_on_term):
    out = str(tmp_path / "telemetry.jsonl")
    seen = tmp_path / "signals.txt"
    proc = subprocess.Popen([sys.executable, "-c", SAMPLER_TEST_DOUBLE, out, str(seen),
                             "exit" if exit_on_term else "stay"])
    deadline = time.monotonic() + 60
    while not os.path.exists(str(seen) + ".ready"):  # its handler is installed
        assert time.monotonic() < deadline and proc.poll() is None, "the sampler test double did not start"
        time.sleep(0.02)
    with open(out + ".pid", "w") as handle:
        handle.write("%d\n" % proc.pid)
    assert gpu_telemetry.sampler_pid(out) == proc.pid
    return out, seen, proc


def start_and_stop(monkeypatch, tmp_path, exit_on_term):
    """The stand-in sampler started, then state=stopped with a 1 s stop-file wait: (out, seen, proc, result)."""
    out, seen, proc = start_test_double(tmp_path, exit_on_term)
    try:
        failed, result = run_module(monkeypatch, gpu_telemetry.main,
                                    {"state": "stopped", "output_path": out, "stop_timeout": 1})
    finally:
        proc.kill()
    assert not failed and result["running"] is False, result
    return out, seen, proc, result


def test_a_sampler_that_ignores_the_stop_file_is_stopped_by_sigterm(monkeypatch, tmp_path):
    out, seen, proc, result = start_and_stop(monkeypatch, tmp_path, exit_on_term=True)
    assert result["changed"] is True and seen.read_text() == "SIGTERM\n"
    assert not os.path.exists("/proc/%d" % proc.pid)
    assert not os.path.exists(out + ".pid") and not os.path.exists(out + ".stop")
    # no samples file: the summary says so instead of reporting zero samples as measured
    assert any("does not exist" in a["reason"] for a in result["summary"]["absent"])


def test_a_sampler_that_ignores_sigterm_is_killed(monkeypatch, tmp_path):
    out, seen, proc, _result = start_and_stop(monkeypatch, tmp_path, exit_on_term=False)
    assert seen.read_text() == "SIGTERM\n"  # it got SIGTERM, stayed, and was ended by SIGKILL
    assert not os.path.exists("/proc/%d" % proc.pid) and gpu_telemetry.sampler_pid(out) is None


def test_stop_in_check_mode_leaves_the_sampler_running(monkeypatch, tmp_path):
    out, seen, proc = start_test_double(tmp_path, exit_on_term=True)
    try:
        failed, result = run_module(monkeypatch, gpu_telemetry.main, {"state": "stopped", "output_path": out},
                                    check_mode=True)
        assert not failed and result["changed"] is True and result["running"] is True
        assert proc.poll() is None and not seen.exists()
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def sampler(tmp_path):
    path = tmp_path / "telemetry.py"
    path.write_text("import sys\nsys.exit(3)\n")  # a sampler test double that fails at once
    return str(path)


def test_start_refuses_bad_input_before_starting_anything(monkeypatch, tmp_path, sampler):
    out = str(tmp_path / "t.jsonl")
    cases = [
        ({"sampler": str(tmp_path / "none.py")}, "sampler %s does not exist on the node" % (tmp_path / "none.py")),
        ({"sampler": sampler, "interval": 0}, "interval must be a positive number of seconds, got 0.0"),
        ({"sampler": sampler, "output_path": str(tmp_path / "no" / "t.jsonl")},
         "the directory of output_path %s does not exist" % (tmp_path / "no" / "t.jsonl")),
    ]
    for args, message in cases:
        failed, result = run_module(monkeypatch, gpu_telemetry.main, dict({"state": "started", "output_path": out},
                                                                          **args))
        assert failed and result["msg"] == message
    assert not os.path.exists(out + ".pid")


def test_start_in_check_mode_starts_nothing(monkeypatch, tmp_path, sampler):
    out = str(tmp_path / "t.jsonl")
    failed, result = run_module(monkeypatch, gpu_telemetry.main,
                                {"state": "started", "output_path": out, "sampler": sampler}, check_mode=True)
    assert not failed and result["changed"] is True and result["running"] is False
    assert result["msg"] == "check mode: sampler not started" and not os.path.exists(out + ".pid")


def test_a_sampler_that_exits_at_once_fails_the_start_and_an_old_stop_file_is_removed(monkeypatch, tmp_path,
                                                                                         sampler):
    out = str(tmp_path / "t.jsonl")
    open(out + ".stop", "w").close()  # left by an earlier phase
    failed, result = run_module(monkeypatch, gpu_telemetry.main,
                                {"state": "started", "output_path": out, "sampler": sampler,
                                 "python": sys.executable})
    assert failed and result["msg"] == "the sampler exited at once with status 3; see %s.log" % out
    assert not os.path.exists(out + ".stop")
