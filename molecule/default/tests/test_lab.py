"""Lab proof on the real debug kernel (issues 2 and 3).

Runs after converge has installed and booted the debug kernel built by
debug_kernel_build. Loads the lab's test kernel modules and the kernel's own
kmemleak-test module, reads what the kernel printed from the host-side serial
log, and runs the collection's three modules against those real reports. Each
module's facts are saved under $KDEBUG_CACHE/lab/proof/ for the issue notes.

Order matters: the hung task comes before the ABBA module, because lockdep
turns itself off after its first report and a later hung task would carry no
lock list.
"""

import json
import os
import re
import time

import pytest

testinfra_hosts = ["all"]

REPORT_WAIT = 240  # seconds; TCG guests are slow


def _vars(host):
    return host.ansible.get_variables()


def _serial(host):
    with open(_vars(host)["kdebug_lab_serial_log"], "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def _wait_serial(host, pattern, start, timeout=REPORT_WAIT):
    """Wait until `pattern` appears in the serial log after byte offset `start`."""
    deadline = time.time() + timeout
    regex = re.compile(pattern)
    while time.time() < deadline:
        text = _serial(host)[start:]
        if regex.search(text):
            return text
        time.sleep(3)
    raise AssertionError("%r not in the serial log after %ds" % (pattern, timeout))


def _proof_dir():
    cache = os.environ.get("KDEBUG_CACHE") or os.path.expanduser("~/.cache/kdebug")
    path = os.path.join(cache, "lab", "proof")
    os.makedirs(path, exist_ok=True)
    return path


def _save(name, data):
    with open(os.path.join(_proof_dir(), name + ".json"), "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True, default=str)


def _module(host, name, args):
    result = host.ansible(name, args, become=True, check=False)
    assert not result.get("failed"), result
    return result


@pytest.fixture(scope="module")
def test_modules(host):
    """Copy the lab's test modules (built against the same tree) to the VM."""
    src = _vars(host)["kdebug_lab_test_modules_dir"]
    for name in ("kdebug_hung.ko", "kdebug_abba.ko"):
        host.ansible(
            "ansible.builtin.copy",
            "src=%s/%s dest=/root/%s mode=0644" % (src, name, name),
            become=True,
            check=False,
        )
    return "/root"


def test_runs_the_built_debug_kernel(host):
    release = host.check_output("uname -r")
    assert release.endswith("+debug")
    assert release == _vars(host)["kdebug_lab_debug_kernel_release"]
    assert host.package("linux-image-" + release).is_installed


def test_debug_features_are_live(host):
    with host.sudo():
        assert host.file("/proc/lockdep").exists
        assert host.run("echo scan > /sys/kernel/debug/kmemleak").rc == 0
        assert host.file("/proc/sysrq-trigger").exists
    cmdline = host.file("/proc/cmdline").content_string.split()
    for arg in ("kmemleak=on", "sysrq_always_enabled", "console=ttyS0,115200n8"):
        assert arg in cmdline


def test_hung_task_with_held_locks(host, test_modules):
    start = len(_serial(host))
    with host.sudo():
        cursor = _module(host, "kdebug.kernel.kernel_log", "")["ansible_facts"]["kernel_log"]["cursor"]
        old = host.check_output("cat /proc/sys/kernel/hung_task_timeout_secs")
        host.check_output("sysctl -w kernel.hung_task_timeout_secs=10")
        host.check_output("insmod %s/kdebug_hung.ko" % test_modules)
        try:
            text = _wait_serial(host, r"INFO: task kdebug_stuck:\d+ blocked for more than \d+ seconds", start)
            text = _wait_serial(host, r"kdebug_hung_mutex", start)
            sysrq = _module(host, "kdebug.kernel.sysrq", "keys=d,w")["ansible_facts"]["sysrq"]
            log = _module(host, "kdebug.kernel.kernel_log", "since=%s" % cursor)["ansible_facts"]["kernel_log"]
        finally:
            host.run("rmmod kdebug_hung")
            host.run("sysctl -w kernel.hung_task_timeout_secs=%s" % old)
    _save("sysrq", sysrq)
    _save("kernel_log_hung_task", log)
    assert "kdebug_holder" in text
    hung = [f for f in log["findings"] if f["type"] == "hung_task"]
    assert hung, log
    assert hung[0]["task"] == "kdebug_stuck"
    assert hung[0]["title"] == "INFO: task hung in kdebug_stuck_take"
    assert any("kdebug_hung_mutex" in str(lock) for lock in hung[0]["locks"]), hung[0]
    by_key = {result["key"]: result for result in sysrq["key_results"]}
    holders = [t for t in by_key["d"]["locks"] if t["task"] == "kdebug_holder"]
    assert holders and "kdebug_hung_mutex" in json.dumps(holders[0]["locks"]), by_key["d"]
    assert "kdebug_stuck" in [t["task"] for t in by_key["w"]["blocked_tasks"]], by_key["w"]


def test_abba_lockdep_report(host, test_modules):
    start = len(_serial(host))
    with host.sudo():
        cursor = _module(host, "kdebug.kernel.kernel_log", "")["ansible_facts"]["kernel_log"]["cursor"]
        host.check_output("insmod %s/kdebug_abba.ko" % test_modules)
        host.run("rmmod kdebug_abba")
        text = _wait_serial(host, r"possible circular locking dependency detected", start)
        log = _module(host, "kdebug.kernel.kernel_log", "since=%s" % cursor)["ansible_facts"]["kernel_log"]
    _save("kernel_log_lockdep", log)
    assert "kdebug_lock_a" in text and "kdebug_lock_b" in text
    found = [f for f in log["findings"] if f["type"] == "lockdep"]
    assert found, log
    assert found[0]["title"].startswith("possible deadlock in kdebug_abba")


def test_kmemleak_test_module_leaks(host):
    """The kernel's own kmemleak-test leaks kmalloc(32/1024/2048/4096), vmalloc(64) and
    list elements from its init (samples/kmemleak/kmemleak-test.c, kmemleak_test_init).

    Its init function is __init: the text is freed after loading, so the leak's
    frame is a raw address and the call site seen by kmemleak is do_one_initcall.
    """
    with host.sudo():
        host.check_output("modprobe kmemleak-test")
        host.check_output("rmmod kmemleak-test")
        facts = _module(host, "kdebug.kernel.kmemleak", "action=scan scans=3 scan_interval=5")["ansible_facts"]["kmemleak"]
    _save("kmemleak", facts)
    assert facts["available"] and facts["enabled"]
    assert facts["records"] > 0
    from_init = [f for f in facts["findings"] if "modprobe" in f["comm"] and any("do_one_initcall" in frame for frame in f["backtrace"])]
    assert from_init, facts["findings"]
    sizes = set()
    for finding in from_init:
        sizes.update(finding["sizes"])
    # kmemleak misses an object while a stale copy of its pointer sits on a stack or in a
    # register (its documented false negatives): in the lab one run reported one of the two
    # kmalloc(1024), another neither. So: most of what the module leaks, and nothing else.
    # Sizes are the slab object sizes: 512 for the ten 416-byte list elements orphaned by
    # rmmod, 192 for kmalloc(129), 4096 for a vmalloc(64) area.
    assert len({32, 1024, 2048, 4096} & sizes) >= 2, sizes
    assert sizes <= {32, 192, 512, 1024, 2048, 4096}, sizes
    assert sum(f["count"] for f in from_init) >= 8, from_init
