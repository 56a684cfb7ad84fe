"""debug_kernel role: the state converge leaves on the lab VM (issue 4).

converge applies the role with boot_once true, so the VM runs the debug kernel built by
debug_kernel_build once, from the role's own GRUB entry, with the debug arguments on that entry
only, while the previous kernel stays the default. side_effect.yml proves the fallback, the
default mode and the revert after this. Runs before test_lab.py (file order), which loads test
modules and turns lockdep off with its reports.
"""

import json
import re

testinfra_hosts = ["all"]

ARGS = ["kmemleak=on", "sysrq_always_enabled", "console=ttyS0,115200n8"]


def _vars(host):
    return host.ansible.get_variables()


def _release(host):
    return _vars(host)["kdebug_lab_debug_kernel_release"]


def test_runs_the_debug_kernel(host):
    running = host.check_output("uname -r")
    assert running.endswith("+debug")
    assert running == _release(host)


def test_every_argument_on_the_command_line(host):
    words = host.file("/proc/cmdline").content_string.split()
    missing = [a for a in ARGS if a not in words]
    assert not missing, "missing from /proc/cmdline: %s (%s)" % (missing, " ".join(words))
    # ttyS0 is the last console=, so it is /dev/console
    consoles = [w for w in words if w.startswith("console=")]
    assert consoles[-1] == "console=ttyS0,115200n8"


def test_arguments_only_on_the_debug_entry(host):
    with host.sudo():
        cfg = host.file("/boot/grub/grub.cfg").content_string
    entry_id = None
    with_args = []
    for line in cfg.splitlines():
        m = re.match(r"\s*menuentry .*\$menuentry_id_option '([^']+)'", line)
        if m:
            entry_id = m.group(1)
        elif re.match(r"\s*linux\s", line) and "kmemleak=on" in line.split():
            with_args.append(entry_id)
    assert with_args == ["kdebug-" + _release(host)]


def test_boot_once_keeps_the_previous_default(host):
    with host.sudo():
        env = host.check_output("grub-editenv /boot/grub/grubenv list").splitlines()
    saved = [line.split("=", 1)[1] for line in env if line.startswith("saved_entry=")]
    # grub-reboot's next_entry was used up by the boot into the debug kernel
    assert not [line for line in env if line.startswith("next_entry=") and line != "next_entry="]
    assert saved and not saved[0].startswith("kdebug-"), env


def test_kmemleak_scan_accepted(host):
    with host.sudo():
        assert host.file("/sys/kernel/debug/kmemleak").exists
        # a disabled kmemleak refuses the write (EPERM/EBUSY); an enabled one scans (slow under TCG)
        res = host.run("sh -c 'echo scan > /sys/kernel/debug/kmemleak'")
    assert res.rc == 0, res.stderr


def test_lockdep_present(host):
    assert host.file("/proc/lockdep").exists


def test_sysctl_values(host):
    assert host.file("/etc/sysctl.d/90-kdebug.conf").exists
    assert host.file("/proc/sys/kernel/sysrq").content_string.strip() == "1"
    assert host.file("/proc/sys/kernel/hung_task_timeout_secs").content_string.strip() == "30"
    assert host.file("/proc/sys/kernel/hung_task_warnings").content_string.strip() == "-1"
    assert host.file("/proc/sys/kernel/printk").content_string.split()[0] == "7"


def test_persistent_journal_and_debugfs(host):
    assert host.file("/var/log/journal").is_directory
    assert host.mount_point("/sys/kernel/debug").filesystem == "debugfs"


def test_record_of_the_previous_default(host):
    with host.sudo():
        record = json.loads(host.file("/etc/ansible/facts.d/kdebug_debug_kernel.fact").content_string)
    assert record["debug"]["release"] == _release(host)
    assert record["debug"]["entry_ref"] == "kdebug-" + _release(host)
    assert not record["previous"]["release"].endswith("+debug")
