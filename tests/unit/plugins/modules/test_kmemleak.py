# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the kmemleak module, run in-process against a tmpdir standing in for
/sys/kernel/debug, /proc and /dev/kmsg. The kernel's side of /sys/kernel/debug/kmemleak
(what "scan" and "clear" do, and the errno a disabled kmemleak returns) is simulated by
FakeKmemleak, which replaces the module's write_command().
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import gzip
import os
import shutil

import pytest

from ansible_collections.kdebug.kernel.plugins.modules import kmemleak

from ansible_collections.kdebug.kernel.tests.unit.plugins.modules.utils import (
    fixture_path, run_module_with_stand_ins,
)

REPORT_61 = fixture_path('modules', 'kmemleak_6.1.txt')
REPORT_310 = fixture_path('modules', 'kmemleak_3.10.txt')
KMSG_SELFDISABLED = fixture_path('modules', 'kmsg_kmemleak_selfdisabled_6.1.kmsg')
KMSG_DEFAULT_OFF = fixture_path('modules', 'kmsg_kmemleak_default_off_6.1.kmsg')
KMSG_RUNNING = fixture_path('modules', 'kmsg_hung_task_6.1.kmsg')

CMDLINE_ON = 'BOOT_IMAGE=/vmlinuz-6.1.0-kdebug root=/dev/vda1 ro kmemleak=on console=ttyS0\n'
CMDLINE_PLAIN = 'BOOT_IMAGE=/vmlinuz-6.1.0-kdebug root=/dev/vda1 ro console=ttyS0\n'


class FakeKmemleak(object):
    """What mm/kmemleak.c kmemleak_write() does, on a regular file.

    enabled: "scan" makes the pending report visible; "clear" empties it.
    disabled: "scan" fails with error (EPERM on 6.x, EBUSY on older kernels), "clear" is
    accepted (6.x frees the leftover objects).
    """

    def __init__(self, path, report=None, enabled=True, error=errno.EPERM):
        self.path = path
        self.report = report
        self.enabled = enabled
        self.error = error
        self.writes = []
        with open(path, 'w'):
            pass

    def show_report(self):
        if self.report:
            shutil.copyfile(self.report, self.path)

    def write(self, path, word):
        assert path == self.path
        self.writes.append(word)
        if word == 'clear':
            with open(path, 'w'):
                pass
            return
        if not self.enabled:
            raise OSError(self.error, os.strerror(self.error))
        if word == 'scan':
            self.show_report()


class Host(object):
    """A tmpdir laid out like the bits of a host the module reads."""

    def __init__(self, tmp_path, monkeypatch):
        self.root = tmp_path
        self.monkeypatch = monkeypatch
        self.debugfs = tmp_path / 'sys' / 'kernel' / 'debug'
        self.debugfs.mkdir(parents=True)
        self.kmemleak = str(self.debugfs / 'kmemleak')
        self.proc = tmp_path / 'proc'
        self.proc.mkdir()
        self.boot = tmp_path / 'boot'
        self.boot.mkdir()
        self.saved = tmp_path / 'saved'
        self.saved.mkdir()
        self.kmsg = str(tmp_path / 'kmsg')
        self.mount_calls = []
        self.set_mounts(debugfs=True)
        self.set_cmdline(CMDLINE_ON)
        self.set_config(built='y', default_off='y')
        self.set_kmsg(KMSG_RUNNING)
        (self.proc / 'filesystems').write_text(u'nodev\tsysfs\nnodev\tdebugfs\n\text4\n')
        paths = dict(
            debugfs=str(self.debugfs),
            mounts=str(self.proc / 'mounts'),
            filesystems=str(self.proc / 'filesystems'),
            cmdline=str(self.proc / 'cmdline'),
            config_gz=str(self.proc / 'config.gz'),
            boot_config=str(self.boot / 'config-%s'),
            lockdown=str(tmp_path / 'lockdown'),
        )
        for key, value in paths.items():
            monkeypatch.setitem(kmemleak.PATHS, key, value)
        monkeypatch.setattr(kmemleak.time, 'sleep', self.sleep)
        self.sleeps = []
        self.fake = None

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    def set_mounts(self, debugfs):
        lines = [u'/dev/vda1 / ext4 rw,relatime 0 0', u'proc /proc proc rw 0 0']
        if debugfs:
            lines.append(u'debugfs %s debugfs rw,relatime 0 0' % self.debugfs)
        (self.root / 'proc' / 'mounts').write_text(u'\n'.join(lines) + u'\n')

    def set_cmdline(self, text):
        (self.proc / 'cmdline').write_text(u'%s' % text)

    def set_config(self, built, default_off):
        text = u''
        text += (u'CONFIG_DEBUG_KMEMLEAK=%s\n' % built) if built != 'n' else \
            u'# CONFIG_DEBUG_KMEMLEAK is not set\n'
        text += (u'CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF=y\n' if default_off == 'y' else
                 u'# CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF is not set\n')
        with gzip.open(str(self.proc / 'config.gz'), 'wb') as fobj:
            fobj.write(text.encode('ascii'))

    def set_kmsg(self, fixture):
        shutil.copyfile(fixture, self.kmsg)

    def kernel(self, report=REPORT_61, enabled=True, error=errno.EPERM, exists=True):
        if exists:
            self.fake = FakeKmemleak(self.kmemleak, report, enabled, error)
            self.monkeypatch.setattr(kmemleak, 'write_command', self.fake.write)
        else:
            self.monkeypatch.setattr(kmemleak, 'write_command', self.unexpected_write)
        return self.fake

    def unexpected_write(self, path, word):
        raise AssertionError('write_command(%r, %r) called' % (path, word))

    def run(self, check_mode=False, **args):
        args.setdefault('path', self.kmemleak)
        args.setdefault('kmsg_path', self.kmsg)
        return run_module_with_stand_ins(kmemleak, args, check_mode=check_mode)


@pytest.fixture
def host(tmp_path, monkeypatch):
    return Host(tmp_path, monkeypatch)


def finding_by_function(facts, function):
    found = [f for f in facts['findings'] if f['function'] == function]
    assert len(found) == 1, facts['findings']
    return found[0]


# --- scan ---------------------------------------------------------------------------------

def test_scan_twice_then_read_dedups_by_call_site(host):
    fake = host.kernel()
    result = host.run(scan_interval=3)
    assert not result['failed'], result
    assert result['changed'] is True
    assert fake.writes == ['scan', 'scan']
    assert host.sleeps == [3.0]  # between the two scans, not after the last
    facts = result['ansible_facts']['kmemleak']
    assert facts['available'] is True and facts['enabled'] is True
    assert facts['live'] is True and facts['scans_done'] == 2
    assert facts['reason'] is None and facts['reason_code'] is None
    assert facts['records'] == 3 and len(facts['findings']) == 2
    leaky = finding_by_function(facts, 'leaky_init')
    assert leaky['title'] == 'memory leak in leaky_init'
    assert leaky['count'] == 2 and leaky['bytes'] == 128 and leaky['sizes'] == [64]
    assert leaky['comm'] == ['modprobe']
    assert leaky['example']['size'] == 64 and leaky['example']['pid'] == 412
    assert leaky['example']['jiffies'] == 4294893152
    assert facts['truncated'] is False


def test_scan_count_and_interval_follow_options(host):
    fake = host.kernel()
    result = host.run(scans=3, scan_interval=0.5)
    assert not result['failed'], result
    assert fake.writes == ['scan'] * 3
    assert host.sleeps == [0.5, 0.5]
    assert result['ansible_facts']['kmemleak']['scans_done'] == 3


def test_scan_with_nothing_leaked(host):
    fake = host.kernel(report=None)
    result = host.run(scans=1)
    assert not result['failed'], result
    facts = result['ansible_facts']['kmemleak']
    assert fake.writes == ['scan']
    assert facts['records'] == 0 and facts['findings'] == []
    assert result['changed'] is True  # a scan is an action on the kernel


def test_ignore_drops_matching_records_but_counts_them(host):
    host.kernel()
    result = host.run(scans=1, ignore=['.*leaky_init'])
    facts = result['ansible_facts']['kmemleak']
    assert facts['records'] == 3 and facts['ignored'] == 2
    assert [f['function'] for f in facts['findings']] != []
    assert all(f['function'] != 'leaky_init' for f in facts['findings'])


def test_ignore_on_comm(host):
    host.kernel()
    facts = host.run(scans=1, ignore=['^modprobe$'])['ansible_facts']['kmemleak']
    assert all('modprobe' not in f['comm'] for f in facts['findings'])
    assert len(facts['findings']) == 1


def test_max_findings_truncates(host):
    host.kernel()
    facts = host.run(scans=1, max_findings=1)['ansible_facts']['kmemleak']
    assert len(facts['findings']) == 1 and facts['truncated'] is True


@pytest.mark.parametrize('args,words', [
    (dict(ignore=['(unclosed']), ['ignore[0]', 'regular expression']),
    (dict(scans=0), ['scans']),
    (dict(scan_interval=-1), ['scan_interval']),
    (dict(max_findings=0), ['max_findings']),
])
def test_bad_options_fail_clearly_before_touching_kmemleak(host, args, words):
    host.kernel(exists=True)
    fake = host.fake
    result = host.run(**args)
    assert result['failed']
    for word in words:
        assert word in result['msg']
    assert fake.writes == []


# --- kmemleak off ----------------------------------------------------------------------

def test_not_booted_with_kmemleak_on_default_off_config(host):
    host.kernel(enabled=False, error=errno.EPERM)
    host.set_cmdline(CMDLINE_PLAIN)
    host.set_config(built='y', default_off='y')
    host.set_kmsg(KMSG_DEFAULT_OFF)
    result = host.run()
    assert result['failed']
    facts = result['ansible_facts']['kmemleak']
    assert facts['enabled'] is False and facts['available'] is True
    assert facts['reason_code'] == 'not_enabled_at_boot'
    assert 'kmemleak=on' in result['msg']
    assert 'CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF=y' in result['msg']
    assert 'EPERM' in result['msg']
    assert facts['scans_done'] == 0
    assert host.fake.writes == ['scan']  # stopped at the first refusal


def test_not_booted_with_kmemleak_on_require_enabled_false_returns_facts(host):
    host.kernel(enabled=False)
    host.set_cmdline(CMDLINE_PLAIN)
    host.set_kmsg(KMSG_DEFAULT_OFF)
    result = host.run(require_enabled=False)
    assert not result['failed'], result
    facts = result['ansible_facts']['kmemleak']
    assert facts['enabled'] is False
    assert facts['reason_code'] == 'not_enabled_at_boot' and 'kmemleak=on' in facts['reason']
    assert result['changed'] is False


def test_older_kernels_refuse_with_ebusy(host):
    host.kernel(enabled=False, error=errno.EBUSY)
    host.set_cmdline(CMDLINE_PLAIN)
    host.set_config(built='y', default_off='y')
    result = host.run()
    assert result['failed']
    assert result['ansible_facts']['kmemleak']['reason_code'] == 'not_enabled_at_boot'
    assert 'EBUSY' in result['msg']


def test_disabled_at_runtime_after_allocation_failure(host):
    host.kernel(enabled=False)
    host.set_cmdline(CMDLINE_ON)
    host.set_kmsg(KMSG_SELFDISABLED)
    result = host.run()
    assert result['failed']
    facts = result['ansible_facts']['kmemleak']
    assert facts['reason_code'] == 'disabled_at_runtime'
    assert 'Cannot allocate a kmemleak_object structure' in facts['reason']
    assert 'reboot' in facts['reason']
    # the parser library's state notes about kmemleak are passed on
    assert any('Cannot allocate a kmemleak_object structure' in n for n in facts['notes'])
    assert any('Kernel memory leak detector disabled' in n for n in facts['notes'])


def test_disabled_on_command_line(host):
    host.kernel(enabled=False)
    host.set_cmdline(CMDLINE_PLAIN.strip() + ' kmemleak=off\n')
    result = host.run(require_enabled=False)
    facts = result['ansible_facts']['kmemleak']
    assert facts['reason_code'] == 'disabled_on_cmdline' and 'kmemleak=off' in facts['reason']


def test_disabled_reason_unknown_when_log_wrapped(host):
    host.kernel(enabled=False)
    host.set_cmdline(CMDLINE_ON)
    with open(host.kmsg, 'w') as fobj:
        fobj.write('6,90000,900000000,-;unrelated\n')
    facts = host.run(require_enabled=False)['ansible_facts']['kmemleak']
    assert facts['reason_code'] == 'disabled'
    assert 'serial console' in facts['reason']


def test_disabled_keeps_leftover_records_readable(host):
    # kmemleak_do_cleanup(): "Kmemleak disabled without freeing internal data" when it had
    # found leaks; reading still works and the records are returned.
    host.kernel(enabled=False)
    host.fake.show_report()
    host.set_kmsg(KMSG_SELFDISABLED)
    result = host.run(action='read')
    assert not result['failed'], result
    facts = result['ansible_facts']['kmemleak']
    assert facts['enabled'] is False and facts['reason_code'] == 'disabled_at_runtime'
    assert facts['records'] == 3
    assert result['changed'] is False and host.fake.writes == []


def test_open_refused_with_ebusy_on_3_10(host, monkeypatch):
    # 3.10 kmemleak_open() returned -EBUSY when kmemleak was disabled
    host.kernel(enabled=False, error=errno.EBUSY)
    host.set_cmdline(CMDLINE_PLAIN)
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == host.kmemleak:
            raise IOError(errno.EBUSY, 'Device or resource busy')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(kmemleak, 'open', fake_open, raising=False)
    result = host.run(action='read')
    assert result['failed']
    facts = result['ansible_facts']['kmemleak']
    assert facts['available'] is False and facts['enabled'] is False
    assert facts['reason_code'] == 'not_enabled_at_boot'


def test_lockdown_refuses_open(host, monkeypatch):
    host.kernel()
    (host.root / 'lockdown').write_text(u'none [integrity] confidentiality\n')
    monkeypatch.setattr(kmemleak.os, 'geteuid', lambda: 0)
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == host.kmemleak:
            raise IOError(errno.EPERM, 'Operation not permitted')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(kmemleak, 'open', fake_open, raising=False)
    result = host.run(action='read')
    assert result['failed']
    assert result['ansible_facts']['kmemleak']['reason_code'] == 'lockdown'
    assert 'locked down' in result['msg']


# --- missing kmemleak, debugfs ----------------------------------------------------------

def test_kernel_without_kmemleak(host):
    host.kernel(exists=False)
    host.set_config(built='n', default_off='n')
    result = host.run()
    assert result['failed']
    facts = result['ansible_facts']['kmemleak']
    assert facts['available'] is False and facts['reason_code'] == 'not_built'
    assert 'CONFIG_DEBUG_KMEMLEAK is not set' in result['msg']
    assert 'debug kernel' in result['msg']


def test_kernel_without_kmemleak_config_unreadable(host):
    host.kernel(exists=False)
    os.unlink(str(host.proc / 'config.gz'))
    facts = host.run(require_enabled=False)['ansible_facts']['kmemleak']
    assert facts['reason_code'] == 'not_built' and 'could not be read' in facts['reason']


def test_mounts_debugfs_when_not_mounted(host, monkeypatch):
    host.set_mounts(debugfs=False)
    fake = host.kernel()
    os.unlink(host.kmemleak)  # nothing there until debugfs is mounted

    def fake_mount(module, mountpoint):
        host.mount_calls.append(mountpoint)
        host.set_mounts(debugfs=True)
        open(host.kmemleak, 'w').close()
        return True, None

    monkeypatch.setattr(kmemleak, 'mount_debugfs', fake_mount)
    result = host.run(scans=1)
    assert not result['failed'], result
    assert host.mount_calls == [str(host.debugfs)]
    facts = result['ansible_facts']['kmemleak']
    assert facts['mounted_debugfs'] is True and facts['live'] is True
    assert fake.writes == ['scan'] and facts['records'] == 3


def test_read_after_mounting_debugfs_reports_changed(host, monkeypatch):
    host.set_mounts(debugfs=False)

    def fake_mount(module, mountpoint):
        host.set_mounts(debugfs=True)
        shutil.copyfile(REPORT_61, host.kmemleak)
        return True, None

    monkeypatch.setattr(kmemleak, 'mount_debugfs', fake_mount)
    result = host.run(action='read')
    assert not result['failed'], result
    assert result['changed'] is True  # the mount is a change
    assert result['ansible_facts']['kmemleak']['records'] == 3


def test_debugfs_not_mountable_explains_missing_debugfs(host, monkeypatch):
    host.set_mounts(debugfs=False)
    (host.proc / 'filesystems').write_text(u'nodev\tsysfs\n\text4\n')
    monkeypatch.setattr(kmemleak, 'mount_debugfs',
                        lambda module, mnt: (False, 'mount: unknown filesystem type debugfs'))
    monkeypatch.setattr(kmemleak.os, 'geteuid', lambda: 0)
    result = host.run()
    assert result['failed']
    facts = result['ansible_facts']['kmemleak']
    assert facts['reason_code'] == 'debugfs_not_mountable'
    assert 'CONFIG_DEBUG_FS' in result['msg'] and 'unknown filesystem type' in result['msg']


def test_debugfs_not_mountable_lockdown(host, monkeypatch):
    host.set_mounts(debugfs=False)
    (host.root / 'lockdown').write_text(u'none integrity [confidentiality]\n')
    monkeypatch.setattr(kmemleak, 'mount_debugfs',
                        lambda module, mnt: (False, 'permission denied'))
    monkeypatch.setattr(kmemleak.os, 'geteuid', lambda: 0)
    result = host.run(require_enabled=False)
    facts = result['ansible_facts']['kmemleak']
    assert facts['reason_code'] == 'debugfs_not_mountable'
    assert 'confidentiality' in facts['reason']


def test_mount_as_non_root_says_become(host, monkeypatch):
    host.set_mounts(debugfs=False)
    monkeypatch.setattr(kmemleak, 'mount_debugfs',
                        lambda module, mnt: (False, 'mount: only root can do that'))
    monkeypatch.setattr(kmemleak.os, 'geteuid', lambda: 1000)
    result = host.run()
    assert result['failed']
    assert result['ansible_facts']['kmemleak']['reason_code'] == 'not_root'
    assert 'become: true' in result['msg']


def test_mount_debugfs_false(host, monkeypatch):
    host.set_mounts(debugfs=False)
    monkeypatch.setattr(kmemleak, 'mount_debugfs',
                        lambda module, mnt: pytest.fail('must not mount'))
    result = host.run(mount_debugfs=False)
    assert result['failed']
    assert result['ansible_facts']['kmemleak']['reason_code'] == 'debugfs_not_mounted'
    assert 'mount_debugfs' in result['msg']


def test_check_mode_does_not_mount(host, monkeypatch):
    host.set_mounts(debugfs=False)
    monkeypatch.setattr(kmemleak, 'mount_debugfs',
                        lambda module, mnt: pytest.fail('must not mount in check mode'))
    result = host.run(check_mode=True)
    assert not result['failed'], result
    assert result['changed'] is True
    facts = result['ansible_facts']['kmemleak']
    assert any('would mount debugfs' in n for n in facts['notes'])


def test_not_root_cannot_look_into_debugfs(host, monkeypatch):
    host.kernel()
    monkeypatch.setattr(kmemleak, 'stat_errno', lambda path: errno.EACCES)
    monkeypatch.setattr(kmemleak.os, 'geteuid', lambda: 1000)
    result = host.run()
    assert result['failed']
    assert result['ansible_facts']['kmemleak']['reason_code'] == 'not_root'
    assert 'uid 1000' in result['msg'] and 'become: true' in result['msg']
    assert host.fake.writes == []


def test_not_root_write_refused(host, monkeypatch):
    fake = host.kernel()
    monkeypatch.setattr(kmemleak.os, 'geteuid', lambda: 1000)

    def refuse(path, word):
        fake.writes.append(word)
        raise OSError(errno.EACCES, 'Permission denied')

    monkeypatch.setattr(kmemleak, 'write_command', refuse)
    result = host.run()
    assert result['failed']
    assert result['ansible_facts']['kmemleak']['reason_code'] == 'not_root'
    assert 'EACCES' in result['msg']


# --- read ----------------------------------------------------------------------------

def test_read_saved_report_anywhere(host):
    host.kernel(exists=False)
    saved = str(host.saved / 'kmemleak.txt')
    shutil.copyfile(REPORT_61, saved)
    result = host.run(action='read', path=saved)
    assert not result['failed'], result
    assert result['changed'] is False
    facts = result['ansible_facts']['kmemleak']
    assert facts['live'] is False and facts['enabled'] is None and facts['available'] is True
    assert facts['records'] == 3 and facts['path'] == saved


def test_read_saved_3_10_report_gzipped(host):
    host.kernel(exists=False)
    saved = str(host.saved / 'kmemleak-rhel7.txt.gz')
    with open(REPORT_310, 'rb') as src:
        with gzip.open(saved, 'wb') as dst:
            dst.write(src.read())
    facts = host.run(action='read', path=saved)['ansible_facts']['kmemleak']
    assert facts['records'] == 1
    (finding,) = facts['findings']
    assert finding['function'] == 'xfs_buf_item_init'
    assert finding['title'] == 'memory leak in xfs_buf_item_init'
    assert finding['bytes'] == 1024 and finding['comm'] == ['dd']
    assert abs(finding['example']['age'] - 1845.32) < 1e-6


def test_read_truncated_gzip_report_fails_clearly(host):
    # the parser takes a read error for the end of the report; the module must not return
    # the records before the cut as if they were the whole report
    host.kernel(exists=False)
    whole = str(host.saved / 'whole.txt.gz')
    with open(REPORT_61, 'rb') as src:
        with gzip.open(whole, 'wb') as dst:
            dst.write(src.read() * 200)
    with open(whole, 'rb') as fobj:
        data = fobj.read()
    saved = str(host.saved / 'cut.txt.gz')
    with open(saved, 'wb') as fobj:
        fobj.write(data[:len(data) // 2])
    result = host.run(action='read', path=saved)
    assert result['failed'] and 'truncated gzip' in result['msg'] and saved in result['msg']


def _gzipped(path, data):
    with gzip.open(path, 'wb') as dst:
        dst.write(data)
    with open(path, 'rb') as fobj:
        return fobj.read()


@pytest.mark.parametrize('damage, words', [
    ('crc', 'corrupt gzip file'), ('not_gzip', 'is not a gzip file'), ('cut', 'truncated gzip file'),
    ('cut_trailer', 'truncated gzip file')])
def test_saved_report_that_cannot_be_read_fails_even_without_require_enabled(host, damage, words):
    """Issue 11, item 5: one rule for a saved report that cannot be read (a CRC mismatch and a
    .gz that is not gzip succeeded with 0 findings when require_enabled was false)."""
    host.kernel(exists=False)
    saved = str(host.saved / 'report.txt.gz')
    with open(REPORT_61, 'rb') as src:
        data = _gzipped(saved, src.read() * 50)
    if damage == 'crc':
        data = data[:-8] + bytes(bytearray([data[-8] ^ 0xff])) + data[-7:]
    elif damage == 'not_gzip':
        with open(REPORT_61, 'rb') as src:
            data = src.read()
    elif damage == 'cut':
        data = data[:len(data) // 2]
    else:
        data = data[:-4]
    with open(saved, 'wb') as fobj:
        fobj.write(data)
    for require in (True, False):
        result = host.run(action='read', path=saved, require_enabled=require)
        assert result['failed'], result
        assert words in result['msg'] and saved in result['msg'], result['msg']


def _no_hang(seconds=10):
    import signal

    def alarm(signum, frame):
        raise AssertionError('the module blocked for %d s' % seconds)
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)


def test_fifo_as_saved_report_is_refused_before_opening(host):
    """Issue 11, item 2: a FIFO given as path hung the task forever."""
    host.kernel(exists=False)
    fifo = str(host.saved / 'report.fifo')
    os.mkfifo(fifo)
    _no_hang()
    try:
        result = host.run(action='read', path=fifo, require_enabled=False)
    finally:
        import signal
        signal.alarm(0)
    assert result['failed'] and 'is a FIFO' in result['msg'] and fifo in result['msg'], result


def test_nul_byte_in_path_fails_clearly(host):
    """Issue 11, item 3: a NUL byte in path ended in a traceback (ValueError)."""
    host.kernel(exists=False)
    result = host.run(action='read', path=str(host.saved / 'a\x00b'))
    # ansible-core 2.21 logs the module's arguments to syslog first and fails on the NUL itself,
    # with its own message naming it, before the module runs; earlier releases reach the module
    assert result['failed'], result
    assert 'NUL byte' in result['msg'] or 'embedded null character' in result['msg'], result
    assert 'Traceback' not in result.get('exception', '') + result['msg'], result


def test_saved_report_root_cannot_read_is_not_about_debugfs(host, monkeypatch):
    """Issue 11, item 7: the message says what is true for the path given."""
    host.kernel(exists=False)
    saved = str(host.saved / 'kmemleak.txt')
    shutil.copyfile(REPORT_61, saved)
    monkeypatch.setattr(kmemleak.os, 'geteuid', lambda: 1000)
    from ansible_collections.kdebug.kernel.plugins.module_utils import kdebug_common
    monkeypatch.setattr(kdebug_common.os, 'geteuid', lambda: 1000)
    monkeypatch.setattr(kdebug_common.os, 'access', lambda path, mode: path != saved)
    real_open = kmemleak.open_input_file

    def refuse(path, *args):
        if path == saved:
            raise IOError(errno.EACCES, 'Permission denied', path)
        return real_open(path, *args)
    monkeypatch.setattr(kmemleak, 'open_input_file', refuse)
    result = host.run(action='read', path=saved, require_enabled=False)
    assert result['failed']
    assert 'debugfs' not in result['msg'] and 'uid 1000' in result['msg']
    assert 'may not read %s' % saved in result['msg'], result['msg']
    # a directory on the way that cannot be entered (stat fails with EACCES)
    monkeypatch.setattr(kmemleak, 'stat_errno', lambda path: errno.EACCES)
    monkeypatch.setattr(kdebug_common.os, 'access',
                        lambda path, mode: path != str(host.saved))
    result = host.run(action='read', path=saved, require_enabled=False)
    assert result['failed'] and 'debugfs' not in result['msg'], result['msg']
    assert 'may not enter the directory %s' % host.saved in result['msg'], result['msg']


def test_cr_only_saved_report_is_read_whole(host):
    """Issue 11, item 1: a report captured with CR-only line ends."""
    host.kernel(exists=False)
    saved = str(host.saved / 'serial-kmemleak.txt')
    with open(REPORT_61, 'rb') as src:
        data = b''.join(line for line in src if not line.startswith(b'#'))
    with open(saved, 'wb') as fobj:
        fobj.write(data.replace(b'\n', b'\r') * 1000)
    facts = host.run(action='read', path=saved)['ansible_facts']['kmemleak']
    assert facts['records'] == 3000 and facts['notes'] == []


def test_dropped_input_is_noted(host):
    host.kernel(exists=False)
    saved = str(host.saved / 'junk-and-report.txt')
    with open(REPORT_61, 'rb') as src:
        data = src.read()
    with open(saved, 'wb') as fobj:
        fobj.write(b'\x01' * 100000 + b'\n' + data)
    facts = host.run(action='read', path=saved)['ansible_facts']['kmemleak']
    assert facts['records'] == 3
    assert any('1 line(s) longer than 4096 bytes were cut' in n for n in facts['notes']), facts['notes']


class FailingRead(object):
    """A file whose read() fails with errno after the first chunk."""

    def __init__(self, path, err):
        self.fobj = open(path, 'rb')
        self.err = err
        self.reads = 0

    def read(self, size=-1):
        self.reads += 1
        if self.reads > 1:
            raise IOError(self.err, os.strerror(self.err))
        return self.fobj.read(min(size, 100) if size and size > 0 else 100)

    def close(self):
        self.fobj.close()


def test_read_error_on_live_report_is_explained(host, monkeypatch):
    host.kernel()
    host.fake.show_report()
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path == host.kmemleak:
            return FailingRead(path, errno.EIO)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(kmemleak, 'open', fake_open, raising=False)
    result = host.run(action='read')
    assert result['failed'], result
    facts = result['ansible_facts']['kmemleak']
    assert facts['available'] is False and facts['reason_code'] == 'unreadable'
    assert facts['reason'].startswith('reading %s' % host.kmemleak) and 'EIO' in facts['reason']
    assert facts['records'] == 0 and facts['findings'] == []


def test_read_live_guesses_enabled_from_log(host):
    host.kernel()
    host.fake.show_report()
    facts = host.run(action='read')['ansible_facts']['kmemleak']
    # kmsg_hung_task_6.1.kmsg has "kmemleak: Kernel memory leak detector initialized"
    assert facts['enabled'] is True and facts['records'] == 3
    assert host.fake.writes == []


def test_read_live_enabled_unknown(host):
    host.kernel()
    with open(host.kmsg, 'w') as fobj:
        fobj.write('6,90000,900000000,-;unrelated\n')
    host.set_cmdline(CMDLINE_ON)
    facts = host.run(action='read')['ansible_facts']['kmemleak']
    assert facts['enabled'] is None


def test_read_missing_saved_report_fails(host):
    host.kernel(exists=False)
    result = host.run(action='read', path=str(host.saved / 'nope.txt'))
    assert result['failed'] and 'does not exist' in result['msg']


@pytest.mark.parametrize('action', ['scan', 'clear'])
def test_scan_and_clear_refuse_files_outside_debugfs(host, action, monkeypatch):
    monkeypatch.setattr(kmemleak, 'write_command',
                        lambda path, word: pytest.fail('must not write to a saved report'))
    saved = str(host.saved / 'kmemleak.txt')
    shutil.copyfile(REPORT_61, saved)
    with open(saved, 'rb') as fobj:
        before = fobj.read()
    result = host.run(action=action, path=saved)
    assert result['failed'] and 'not on debugfs' in result['msg']
    with open(saved, 'rb') as fobj:
        assert fobj.read() == before


# --- clear -----------------------------------------------------------------------------

def test_clear_returns_what_it_cleared_and_is_idempotent(host):
    fake = host.kernel()
    fake.show_report()
    first = host.run(action='clear')
    assert not first['failed'], first
    assert first['changed'] is True and fake.writes == ['clear']
    assert first['ansible_facts']['kmemleak']['records'] == 3
    second = host.run(action='clear')
    assert second['changed'] is False
    assert second['ansible_facts']['kmemleak']['records'] == 0


def test_clear_check_mode(host):
    fake = host.kernel()
    fake.show_report()
    result = host.run(action='clear', check_mode=True)
    assert result['changed'] is True and fake.writes == []
    facts = result['ansible_facts']['kmemleak']
    assert facts['records'] == 3
    assert any('would write "clear"' in n for n in facts['notes'])
    fake2 = host.kernel(report=None)
    result = host.run(action='clear', check_mode=True)
    assert result['changed'] is False and fake2.writes == []


def test_clear_failure_is_an_error(host, monkeypatch):
    host.kernel().show_report()

    def broken(path, word):
        raise OSError(errno.EIO, 'Input/output error')

    monkeypatch.setattr(kmemleak, 'write_command', broken)
    result = host.run(action='clear')
    assert result['failed'] and 'EIO' in result['msg']


# --- check mode scan ---------------------------------------------------------------------

def test_scan_check_mode_reads_only(host):
    fake = host.kernel()
    fake.show_report()
    result = host.run(check_mode=True)
    assert not result['failed'], result
    assert fake.writes == [] and host.sleeps == []
    assert result['changed'] is True
    facts = result['ansible_facts']['kmemleak']
    assert facts['scans_done'] == 0 and facts['records'] == 3
    assert any('would write "scan"' in n for n in facts['notes'])


def test_path_is_a_directory(host):
    host.kernel(exists=False)
    result = host.run(action='read', path=str(host.saved))
    assert result['failed'] and 'directory' in result['msg']
