# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the kernel_log module: files, a regular file standing in for /dev/kmsg,
and dmesg/journalctl replaced by a fake run_command.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import gzip
import shutil

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kdebug.kernel.plugins.modules import kernel_log
from ansible_collections.kdebug.kernel.tests.unit.plugins.modules.utils import (
    fixture_lines, fixture_path, run_module, run_module_with_stand_ins,
)

HUNG_KMSG = fixture_path('modules', 'kmsg_hung_task_6.1.kmsg')
BOOT_A = '0f3c5e0a-0d6b-4c43-9a0e-4f2a1d8b9c11'
BOOT_B = '7d1e2f3a-4b5c-4d6e-8f70-a1b2c3d4e5f6'

# the same report a second time, 120 s later (the hung task detector repeats itself)
REPEAT = [line.replace(b',2456', b',3656').replace(b';INFO: task dd:3560 blocked for more '
                                                   b'than 122', b';INFO: task dd:3560 '
                                                   b'blocked for more than 245')
          for line in fixture_lines('modules', 'kmsg_hung_task_6.1.kmsg')
          if b',12' in line[:8]]


def renumber(lines, offset):
    out = []
    for line in lines:
        if line[:1].isdigit():
            level, seq, rest = line.split(b',', 2)
            line = b','.join([level, str(int(seq) + offset).encode('ascii'), rest])
        out.append(line)
    return out


class Live(object):
    def __init__(self, tmp_path):
        self.kmsg = tmp_path / 'kmsg'
        # a real /dev/kmsg has no comment lines
        self.kmsg.write_bytes(b''.join(fixture_lines('modules', 'kmsg_hung_task_6.1.kmsg')))
        self.boot_id = tmp_path / 'boot_id'
        self.boot_id.write_text(u'%s\n' % BOOT_A)

    def append(self, lines):
        with open(str(self.kmsg), 'ab') as fobj:
            fobj.write(b''.join(lines))

    def run(self, check_mode=False, **args):
        args.setdefault('kmsg_path', str(self.kmsg))
        args.setdefault('boot_id_path', str(self.boot_id))
        return run_module_with_stand_ins(kernel_log, args, check_mode=check_mode)


@pytest.fixture
def live(tmp_path):
    return Live(tmp_path)


def notes_text(facts):
    for note in facts['notes']:
        assert set(note) >= {'note', 'kind', 'line', 'ts', 'count'}, note
    return [note['note'] for note in facts['notes']]


def facts_of(result):
    assert not result['failed'], result
    return result['ansible_facts']['kernel_log']


# --- live /dev/kmsg ------------------------------------------------------------------

def test_live_kmsg_finds_hung_task_and_returns_cursor(live):
    result = live.run()
    facts = facts_of(result)
    assert result['changed'] is False
    assert facts['source'] == str(live.kmsg)
    assert facts['boot_id'] == BOOT_A and facts['rebooted'] is False
    assert facts['cursor'] == 'kmsg:%s:1223:245.679031' % BOOT_A
    assert facts['counts'].get('hung_task') == 1
    hung = [f for f in facts['findings'] if f['type'] == 'hung_task']
    assert len(hung) == 1
    assert hung[0]['task'] == 'dd' and hung[0]['pid'] == 3560
    assert hung[0]['title'] == 'INFO: task hung in xfs_file_buffered_write'
    assert hung[0]['source'] == str(live.kmsg)
    # dictionary lines (" SUBSYSTEM=...") are not log lines
    assert facts['lines_read'] == len([line for line in fixture_lines('modules',
                                                                      'kmsg_hung_task_6.1.kmsg')
                                       if not line.startswith(b' ')])


def test_since_with_nothing_new_keeps_cursor(live):
    first = facts_of(live.run())
    again = facts_of(live.run(since=first['cursor']))
    assert again['lines_read'] == 0 and again['findings'] == []
    assert again['cursor'] == first['cursor']


def test_since_new_records_move_cursor(live):
    first = facts_of(live.run())
    new = renumber(REPEAT, 1000)
    live.append(new)
    second = facts_of(live.run(since=first['cursor']))
    assert second['lines_read'] == len(new)
    assert second['cursor'].split(':')[2] == '2223'
    hung = [f for f in second['findings'] if f['type'] == 'hung_task']
    assert len(hung) == 1 and hung[0]['count'] == 1


def test_cursor_from_another_boot_reads_everything_and_says_so(live):
    result = live.run(since='kmsg:%s:99999:99999.0' % BOOT_B)
    facts = facts_of(result)
    assert facts['rebooted'] is True
    assert facts['counts'].get('hung_task') == 1
    assert any('rebooted' in n for n in notes_text(facts))
    assert facts['cursor'].startswith('kmsg:%s:1223:' % BOOT_A)


def test_records_lost_between_cursor_and_oldest_record(live):
    live.kmsg.write_bytes(b''.join(renumber([b'6,500,1000,-;a\n', b'6,501,2000,-;b\n'], 0)))
    facts = facts_of(live.run(since='kmsg:%s:400:0.000400' % BOOT_A))
    assert facts['lines_read'] == 2
    assert any('99 record(s)' in n for n in notes_text(facts))


def test_epipe_while_reading_is_noted(live, monkeypatch):
    from ansible_collections.kdebug.kernel.plugins.module_utils import kdebug_common
    import errno
    real = kdebug_common.os.read
    state = dict(n=0)

    def fake_read(fd, size):
        state['n'] += 1
        if state['n'] == 1:
            raise OSError(errno.EPIPE, 'Broken pipe')
        return real(fd, size)

    monkeypatch.setattr(kdebug_common.os, 'read', fake_read)
    facts = facts_of(live.run())
    assert any('EPIPE' in n for n in notes_text(facts))
    assert facts['counts'].get('hung_task') == 1


def test_types_filter(live):
    facts = facts_of(live.run(types=['lockdep']))
    assert facts['findings'] == []
    assert facts['lines_read'] > 0


def test_unknown_type_fails(live):
    result = live.run(types=['deadlock'])
    assert result['failed'] and 'types' in result['msg']


def test_check_mode_is_the_same_read(live):
    normal = facts_of(live.run())
    checked = live.run(check_mode=True)
    assert checked['changed'] is False
    assert facts_of(checked)['cursor'] == normal['cursor']
    assert facts_of(checked)['counts'] == normal['counts']


def test_excerpt_is_capped(live):
    facts = facts_of(live.run(excerpt_lines=2))
    for finding in facts['findings']:
        excerpt = finding['excerpt']
        lines = excerpt if isinstance(excerpt, list) else excerpt.splitlines()
        assert len(lines) <= 2


def test_max_findings(live):
    live.append(renumber([b'4,1300,300000000,-;WARNING: CPU: 1 PID: 77 at fs/xfs/xfs_buf.c:1234 '
                          b'xfs_buf_free+0x1f/0x80 [xfs]\n'], 0))
    all_facts = facts_of(live.run())
    assert len(all_facts['findings']) >= 2
    facts = facts_of(live.run(max_findings=1))
    assert len(facts['findings']) == 1 and facts['truncated'] is True


@pytest.mark.parametrize('since,word', [
    ('garbage', 'cursor'),
    ('file:10', 'file cursor'),
])
def test_bad_since(live, since, word):
    result = live.run(since=since)
    assert result['failed'] and word in result['msg']


# --- fallbacks -------------------------------------------------------------------------

DMESG_OUT = b''.join(
    b'[%s] %s\n' % (b'%12.6f' % (int(line.split(b',')[2]) / 1e6), line.split(b';', 1)[1].rstrip(b'\n'))
    for line in fixture_lines('modules', 'kmsg_hung_task_6.1.kmsg') if line[:1].isdigit())


class FakeCommands(object):
    def __init__(self, monkeypatch, outputs):
        self.outputs = outputs
        self.calls = []
        monkeypatch.setattr(AnsibleModule, 'get_bin_path', self.get_bin_path)
        monkeypatch.setattr(AnsibleModule, 'run_command', self.run_command)

    def get_bin_path(self, name, *args, **kwargs):
        return '/usr/bin/' + name if name in self.outputs else None

    def run_command(self, args, **kwargs):
        self.calls.append(list(args))
        assert kwargs.get('encoding', 'x') is None
        return self.outputs[args[0].rsplit('/', 1)[1]]


def test_falls_back_to_dmesg_when_kmsg_unreadable(live, tmp_path, monkeypatch):
    cmds = FakeCommands(monkeypatch, dict(dmesg=(0, DMESG_OUT, b'')))
    facts = facts_of(live.run(kmsg_path=str(tmp_path / 'missing')))
    assert facts['source'] == 'dmesg' and cmds.calls == [['/usr/bin/dmesg']]
    assert facts['counts'].get('hung_task') == 1
    seq = facts['cursor'].split(':')[2]
    assert seq == '-' and facts['cursor'].endswith(':245.679031')


def test_dmesg_applies_cursor_by_time(live, tmp_path, monkeypatch):
    FakeCommands(monkeypatch, dict(dmesg=(0, DMESG_OUT, b'')))
    facts = facts_of(live.run(kmsg_path=str(tmp_path / 'missing'),
                              since='kmsg:%s:1199:245.000000' % BOOT_A))
    assert facts['counts'].get('hung_task') == 1
    assert facts['lines_read'] == DMESG_OUT.count(b'\n') - 5  # 5 lines before 245 s
    assert any('timestamp' in n for n in notes_text(facts))


def test_lines_without_timestamp_go_with_the_line_before(live, tmp_path, monkeypatch):
    out = (b'[   10.000000] old line\n'
           b'    old continuation\n'
           b'[   20.000000] new line\n'
           b'    new continuation\n')
    FakeCommands(monkeypatch, dict(dmesg=(0, out, b'')))
    facts = facts_of(live.run(kmsg_path=str(tmp_path / 'missing'),
                              since='kmsg:%s:-:15.000000' % BOOT_A))
    assert facts['lines_read'] == 2
    assert facts['cursor'] == 'kmsg:%s:-:20.000000' % BOOT_A


def test_all_sources_failing_is_explained(live, tmp_path, monkeypatch):
    FakeCommands(monkeypatch, dict(
        dmesg=(1, b'', b'dmesg: read kernel buffer failed: Operation not permitted\n'),
        journalctl=(1, b'', b'No journal files were found.\n')))
    monkeypatch.setattr(kernel_log.os, 'geteuid', lambda: 1000)
    result = live.run(kmsg_path=str(tmp_path / 'missing'))
    assert result['failed']
    assert 'ENOENT' in result['msg'] and 'Operation not permitted' in result['msg']
    assert 'become: true' in result['msg']


def test_source_journal(live, monkeypatch):
    journal = (b'-- Logs begin at Mon 2026-01-05 10:00:00 UTC. --\n'
               b'[  245.678901] lab kernel: INFO: task dd:3560 blocked for more than 122 seconds.\n'
               b'[  245.678915] lab kernel: "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" '
               b'disables this message.\n')
    cmds = FakeCommands(monkeypatch, dict(journalctl=(0, journal, b'')))
    facts = facts_of(live.run(source='journal'))
    assert cmds.calls[0][1:4] == ['-k', '-b', '0']
    assert facts['source'] == 'journalctl -k -b 0'
    assert facts['lines_read'] == 2


def test_previous_boot_from_journal(live, monkeypatch):
    journal = (b'[  245.678901] lab kernel: INFO: task dd:3560 blocked for more than 122 seconds.\n'
               b'[  245.678915] lab kernel: "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" '
               b'disables this message.\n'
               b'[  300.000000] lab kernel: Kernel panic - not syncing: hung_task: blocked tasks\n')
    cmds = FakeCommands(monkeypatch, dict(journalctl=(0, journal, b'')))
    facts = facts_of(live.run(boot='previous'))
    assert cmds.calls[0][1:4] == ['-k', '-b', '-1']
    assert facts['cursor'] is None and facts['source'] == 'journalctl -k -b -1'
    assert facts['counts'].get('panic') == 1


def test_previous_boot_without_persistent_journal(live, monkeypatch):
    FakeCommands(monkeypatch, dict(journalctl=(
        1, b'', b'Specifying boot ID or boot offset has no effect, no persistent journal was '
                b'found.\n')))
    result = live.run(boot='previous')
    assert result['failed']
    assert 'no persistent journal was found' in result['msg']
    assert '/var/log/journal' in result['msg']


def test_previous_boot_no_journalctl(live, monkeypatch):
    FakeCommands(monkeypatch, dict())
    result = live.run(boot='previous')
    assert result['failed'] and 'journalctl' in result['msg'] and 'serial console' in result['msg']


def test_previous_boot_and_since_conflict(live):
    result = live.run(boot='previous', since='kmsg:%s:1:1.0' % BOOT_A)
    assert result['failed'] and 'boot: previous' in result['msg']


# --- files -----------------------------------------------------------------------------

def test_files_in_order_with_file_cursor(tmp_path):
    capture = tmp_path / 'serial.txt'
    shutil.copyfile(HUNG_KMSG, str(capture))
    first = facts_of(run_module(kernel_log, dict(path=[str(capture)])))
    assert first['counts'].get('hung_task') == 1
    assert first['boot_id'] is None
    assert first['cursor'] == 'file:%d' % capture.stat().st_size
    assert first['source'] == str(capture)
    with open(str(capture), 'ab') as fobj:
        fobj.write(b''.join(renumber(REPEAT, 1000)))
    second = facts_of(run_module(kernel_log, dict(path=[str(capture)], since=first['cursor'])))
    assert second['lines_read'] == len(REPEAT)
    assert second['counts'].get('hung_task') == 1
    assert second['cursor'] == 'file:%d' % capture.stat().st_size


def test_file_cursor_past_end_rereads_with_note(tmp_path):
    capture = tmp_path / 'serial.txt'
    shutil.copyfile(HUNG_KMSG, str(capture))
    facts = facts_of(run_module(kernel_log, dict(path=[str(capture)], since='file:99999999')))
    assert facts['counts'].get('hung_task') == 1
    assert any('shorter than the cursor' in n for n in notes_text(facts))


def test_gzip_file_and_two_files(tmp_path):
    gz = tmp_path / 'old.log.gz'
    with open(HUNG_KMSG, 'rb') as src:
        with gzip.open(str(gz), 'wb') as dst:
            dst.write(src.read())
    plain = tmp_path / 'new.log'
    plain.write_bytes(b'[  500.000000] WARNING: CPU: 0 PID: 1 at kernel/foo.c:10 foo_bar+0x1/0x2\n')
    facts = facts_of(run_module(kernel_log, dict(path=[str(gz), str(plain)])))
    assert facts['counts'].get('hung_task') == 1
    sources = set(f['source'] for f in facts['findings'])
    assert str(gz) in sources
    assert facts['cursor'].startswith('file:') and len(facts['cursor'].split(',')) == 2
    # a gz cursor works too
    again = facts_of(run_module(kernel_log, dict(path=[str(gz), str(plain)],
                                                 since=facts['cursor'])))
    assert again['lines_read'] == 0


# Both ways the module parses a file: from its start with the parser's streaming path
# (FindingCollector.feed_stream), from a cursor offset line by line (iter_lines + feed).
BOTH_PATHS_FIXTURES = [
    ('lab', 'hung_task_6.1_serial.log'),        # CRLF, as the serial console writes it
    ('lab', 'lockdep_abba_6.1_serial.log'),     # CRLF
    ('lab', 'kmemleak_test_unloaded_6.1_debugfs.txt'),
    ('modules', 'kmsg_hung_task_6.1.kmsg'),     # /dev/kmsg records with dictionary lines
    ('parsers', 'serial_capture.log'),           # CRLF, lone CRs, user-space output
    ('parsers', 'oom_rhel7.log'),
    ('parsers', 'kmemleak_log_verbose.log'),
]


def variants(data):
    return [
        ('as_captured', data),
        ('crlf', data.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')),
        ('cut_mid_line', data[:len(data) * 2 // 3]),
    ]


def without_source(facts):
    facts = dict(facts)
    facts['findings'] = [dict(f, source=None) for f in facts['findings']]
    for key in ('cursor', 'source'):
        del facts[key]
    return facts


@pytest.mark.parametrize('fixture', BOTH_PATHS_FIXTURES, ids=lambda f: f[1])
def test_file_from_start_and_from_cursor_give_the_same_findings(tmp_path, fixture):
    with open(fixture_path(*fixture), 'rb') as fobj:
        original = fobj.read()
    for name, data in variants(original):
        whole = tmp_path / ('%s.log' % name)
        whole.write_bytes(data)
        fast = facts_of(run_module(kernel_log, dict(path=[str(whole)])))
        # the same bytes after a line that an earlier call already read
        prefix = b'[    0.000000] Linux version 6.1.192+debug\r\n'
        later = tmp_path / ('%s.later.log' % name)
        later.write_bytes(prefix + data)
        slow = facts_of(run_module(kernel_log, dict(path=[str(later)],
                                                    since='file:%d' % len(prefix))))
        assert fast['findings'], (fixture, name)  # the comparison is about something
        assert without_source(slow) == without_source(fast), (fixture, name)
        complete = data.rfind(b'\n') + 1
        assert fast['cursor'] == 'file:%d' % complete
        assert slow['cursor'] == 'file:%d' % (len(prefix) + complete)
        # lines of the file, not pieces: a CRLF end is not one more (empty) line
        assert fast['lines_read'] == data.count(b'\n') + (0 if data.endswith(b'\n') else 1)


def test_crlf_kmemleak_records_after_a_cursor_keep_their_backtrace(tmp_path):
    # a serial capture has CRLF line ends; read line by line from a cursor, each CRLF once
    # made an empty line that cut every inline kmemleak record after its header
    report = b''.join(fixture_lines('modules', 'kmemleak_6.1.txt')).replace(b'\n', b'\r\n')
    capture = tmp_path / 'serial.txt'
    capture.write_bytes(b'boot\r\n' + report)
    facts = facts_of(run_module(kernel_log, dict(path=[str(capture)], since='file:6')))
    leaks = [f for f in facts['findings'] if f['type'] == 'memory_leak']
    assert sorted(f['title'] for f in leaks) == ['memory leak in leaky_init',
                                                 'memory leak in netdev_name_node_alt_create']
    assert sum(f['count'] for f in leaks) == 3  # the fixture's three records
    assert not any(f['corrupted'] for f in leaks), leaks
    assert all(u'' not in f['excerpt'].split(u'\n') for f in leaks), leaks


def test_truncated_gzip_file_fails_clearly(tmp_path):
    whole = tmp_path / 'whole.log.gz'
    with open(HUNG_KMSG, 'rb') as src:
        with gzip.open(str(whole), 'wb') as dst:
            dst.write(src.read() * 200)
    data = whole.read_bytes()
    cut = tmp_path / 'cut.log.gz'
    cut.write_bytes(data[:len(data) // 2])
    for since in (None, 'file:10'):
        args = dict(path=[str(cut)])
        if since:
            args['since'] = since
        result = run_module(kernel_log, args)
        assert result['failed'], (since, result)
        assert 'path[0]' in result['msg'] and 'truncated gzip' in result['msg'], since


def test_missing_file(tmp_path):
    result = run_module(kernel_log, dict(path=[str(tmp_path / 'nope.txt')]))
    assert result['failed'] and 'path[0]' in result['msg'] and 'does not exist' in result['msg']


def test_path_conflicts(tmp_path):
    capture = tmp_path / 'serial.txt'
    capture.write_bytes(b'x\n')
    result = run_module(kernel_log, dict(path=[str(capture)], boot='previous'))
    assert result['failed'] and 'mutually exclusive' in result['msg']
    result = run_module(kernel_log, dict(path=[str(capture)], since='kmsg:%s:1:1.0' % BOOT_A))
    assert result['failed'] and 'live-log cursor' in result['msg']
    result = run_module(kernel_log, dict(path=[str(capture)], since='file:1,2'))
    assert result['failed'] and '2 file offset(s)' in result['msg']
    result = run_module(kernel_log, dict(path=[]))
    assert result['failed'] and 'empty' in result['msg']


def _hung_6x_report():
    return b''.join(line for line in open(fixture_path('parsers', 'hung_task_6x.log'), 'rb')
                    if not line.startswith(b'#'))


def test_cr_only_capture_loses_no_report(tmp_path):
    """Issue 11, item 1: a 2 MB capture with CR-only line ends; before, the module found 20 of
    the 1260 hung-task reports of this input (the parser cut the one 2 MB "line")."""
    report = _hung_6x_report()
    lf = tmp_path / 'lf.log'
    lf.write_bytes(report * 420)
    capture = tmp_path / 'cr.log'
    capture.write_bytes((report * 420).replace(b'\n', b'\r'))
    assert capture.stat().st_size > 2 * 1024 * 1024
    whole = facts_of(run_module(kernel_log, dict(path=[str(lf)])))
    facts = facts_of(run_module(kernel_log, dict(path=[str(capture)])))
    assert whole['counts']['hung_task'] == 1260
    assert facts['counts'] == whole['counts']
    assert facts['lines_read'] == whole['lines_read'] == report.count(b'\n') * 420
    # a CR at the end may still get its LF: the cursor stays before that last line
    last = report.rstrip(b'\n').rsplit(b'\n', 1)[-1]
    assert facts['cursor'] == 'file:%d' % (capture.stat().st_size - len(last) - 1)
    assert [n['kind'] for n in facts['notes']] == [n['kind'] for n in whole['notes']]
    # from a cursor (line by line), and a progress meter's CRs before a report
    meter = b''.join(b'%3d%%\r' % (i % 100) for i in range(4000))
    capture.write_bytes(b'boot\n' + meter + report)
    facts = facts_of(run_module(kernel_log, dict(path=[str(capture)], since='file:5')))
    assert facts['counts'] == {'hung_task': 3}


def test_dropped_input_is_noted(tmp_path):
    capture = tmp_path / 'serial.log'
    capture.write_bytes(b'\x01' * 100000 + b'\n' + _hung_6x_report())
    facts = facts_of(run_module(kernel_log, dict(path=[str(capture)])))
    assert facts['counts'] == {'hung_task': 3}
    (note,) = [n for n in facts['notes'] if n['kind'] == 'lines_cut']
    assert '1 line(s) longer than 4096 bytes were cut' in note['note']
    assert '%d bytes dropped' % (100000 - 4096) in note['note']


def test_fifo_path_is_refused_before_opening(tmp_path):
    """Issue 11, item 2: a FIFO given as path hung the task forever."""
    import os
    import signal
    capture = tmp_path / 'serial.log'
    capture.write_bytes(b'x\n')
    fifo = str(tmp_path / 'fifo')
    os.mkfifo(fifo)

    def alarm(signum, frame):
        raise AssertionError('the module blocked')
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(10)
    try:
        result = run_module(kernel_log, dict(path=[str(capture), fifo]))
    finally:
        signal.alarm(0)
    assert result['failed'] and result['msg'].startswith('path[1] %s is a FIFO' % fifo), result


def test_nul_byte_in_path_fails_clearly(tmp_path):
    """Issue 11, item 3: a NUL byte in path ended in a traceback (ValueError)."""
    result = run_module(kernel_log, dict(path=[str(tmp_path / 'a\x00b')]))
    assert result['failed'] and 'path[0]' in result['msg'] and 'NUL byte' in result['msg'], result


@pytest.mark.parametrize('damage, words', [('crc', 'corrupt gzip file'), ('not_gzip', 'is not a gzip file'),
                                           ('cut_trailer', 'truncated gzip file')])
def test_bad_gzip_files_are_described_the_same_everywhere(tmp_path, damage, words):
    """Issue 11, item 5 (kernel_log reads .gz files through the same helper)."""
    path = tmp_path / 'serial.log.gz'
    with gzip.open(str(path), 'wb') as dst:
        dst.write(_hung_6x_report() * 50)
    data = path.read_bytes()
    if damage == 'crc':
        data = data[:-8] + bytes(bytearray([data[-8] ^ 0xff])) + data[-7:]
    elif damage == 'not_gzip':
        data = _hung_6x_report()
    else:
        data = data[:-4]
    path.write_bytes(data)
    result = run_module(kernel_log, dict(path=[str(path)]))
    assert result['failed'] and result['msg'].startswith('path[0] %s %s' % (path, words[:0])), result
    assert words in result['msg'], result['msg']


def test_kmsg_escapes_are_decoded(live):
    """Issue 11, item 8: /dev/kmsg escapes a backslash (and every unprintable byte) as \\xNN
    (kernel/printk/printk.c:msg_add_ext_text); a task named with a backslash is named as the
    kernel printed it."""
    data = live.kmsg.read_bytes().replace(b'task dd:3560', b'task d\\x5cd:3560')
    data = data.replace(b'task:dd ', b'task:d\\x5cd ').replace(b'held by dd/3560', b'held by d\\x5cd/3560')
    live.kmsg.write_bytes(data)
    facts = facts_of(live.run())
    (hung,) = [f for f in facts['findings'] if f['type'] == 'hung_task']
    assert hung['task'] == 'd\\d' and hung['pid'] == 3560
    assert hung['locks'], hung


def test_live_log_lines_cut_are_noted(live):
    live.append([b'6,1300,250000000,-;' + b'x' * 10000 + b'\n'])
    facts = facts_of(live.run())
    (note,) = [n for n in facts['notes'] if n['kind'] == 'lines_cut']
    assert '1 line(s) longer than 4096 bytes were cut' in note['note'] and str(live.kmsg) in note['note']


def test_dev_kmsg_as_path_is_refused_with_a_hint():
    result = run_module(kernel_log, dict(path=['/dev/kmsg']))
    assert result['failed'] and 'omit path to read the live log' in result['msg'], result
    result = run_module(kernel_log, dict(path=['/dev/null']))
    assert result['failed'] and result['msg'].startswith('path[0] /dev/null is a character device'), result


# --- documentation --------------------------------------------------------------------

def _documented(block):
    return set((block.get('contains') or {}).keys())


def test_every_returned_key_is_documented(tmp_path):
    """RETURN names every key kernel_log returns, down to the findings' keys (alt_titles,
    details, excerpt_truncated included): a key added to the parser fails here until it is
    documented."""
    import yaml
    doc = yaml.safe_load(kernel_log.RETURN)['ansible_facts']['contains']['kernel_log']
    capture = tmp_path / 'console.log'
    # a hung task (alt_titles, details.seconds) whose excerpt excerpt_lines cuts
    shutil.copy(fixture_path('parsers', 'hung_task_6x.log'), str(capture))
    facts = facts_of(run_module(kernel_log, dict(path=[str(capture)], excerpt_lines=2)))
    assert set(facts) == _documented(doc)
    finding_doc = _documented(doc['contains']['findings'])
    assert facts['findings']
    for finding in facts['findings']:
        assert set(finding) <= finding_doc, set(finding) - finding_doc
    seen = set().union(*(set(f) for f in facts['findings']))
    assert {'alt_titles', 'details', 'excerpt_truncated'} <= seen
    assert seen == finding_doc
    assert any(f['alt_titles'] for f in facts['findings'])
