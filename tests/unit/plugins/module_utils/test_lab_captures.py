# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parser library on reports the real debug kernel printed in the lab VM.

Fixtures under tests/unit/fixtures/lab were captured from the lab (6.1.192+debug built by
debug_kernel_build, test modules kdebug_hung/kdebug_abba and the kernel's kmemleak-test);
each says so in its "# " header. Expectations follow the kernel's report and syzbot's titles.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io
import os

from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import collect
from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import parse_records, summarize
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import iter_lines
from ansible_collections.kdebug.kernel.plugins.module_utils.locks import parse_blocked_tasks, parse_held_locks

LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'lab')


def _lines(name):
    with open(os.path.join(LAB, name), 'rb') as handle:
        data = handle.read()
    body = b''.join(line for line in data.splitlines(True) if not line.startswith(b'# '))
    return list(iter_lines(io.BytesIO(body)))


def test_hung_task_with_its_held_lock():
    result = collect(_lines('hung_task_6.1_serial.log'))
    hung = [f for f in result['findings'] if f['type'] == 'hung_task']
    assert len(hung) == 1
    finding = hung[0]
    # syzkaller's hung-task rule skips every frame containing "wait" (waiting primitives),
    # which this capture's test functions (kdebug_waiter_*) do, and kthread/ret_from_fork:
    # no frame is left to blame, as syzbot would have it.
    assert finding['title'] == 'INFO: task hung'
    assert finding['function'] is None
    assert finding['task'] == 'kdebug_waiter'
    assert finding['pid'] == 962
    assert finding['count'] == 3
    assert [lock['name'] for lock in finding['locks']] == ['kdebug_hung_mutex']
    assert result['counts'] == {'hung_task': 3}  # occurrences: the detector printed it three times


def test_abba_lockdep_splat():
    result = collect(_lines('lockdep_abba_6.1_serial.log'))
    assert result['counts'] == {'lockdep': 1}
    finding = result['findings'][0]
    assert finding['title'] == 'possible deadlock in kdebug_abba_order_ba'
    assert finding['task'] == 'insmod'
    assert finding['pid'] == 1225
    assert not finding['corrupted']


def test_sysrq_show_locks_and_blocked_state():
    lines = [line.text for line in _lines('sysrq_dw_6.1_serial.log')]
    held = dict((t['task'], t) for t in parse_held_locks(lines))
    assert [lock['name'] for lock in held['kdebug_holder']['locks']] == ['kdebug_hung_mutex']
    assert [lock['name'] for lock in held['kdebug_waiter']['locks']] == ['kdebug_hung_mutex']
    blocked = [t['task'] for t in parse_blocked_tasks(lines)]
    assert 'kdebug_waiter' in blocked
    assert 'kdebug_holder' not in blocked


def _kmemleak(name):
    with open(os.path.join(LAB, name)) as handle:
        text = [line for line in handle if not line.startswith('# ')]
    return summarize(parse_records(text))


def test_kmemleak_test_unloaded_module():
    result = _kmemleak('kmemleak_test_unloaded_6.1_debugfs.txt')
    assert result['records'] == 23
    sizes = set()
    for finding in result['findings']:
        sizes.update(finding['sizes'])
        assert finding['comm'] == ['modprobe']
    assert {32, 1024, 2048, 4096} <= sizes
    assert sum(f['count'] for f in result['findings']) == 23


def test_kmemleak_raw_address_frames_are_kept():
    result = _kmemleak('kmemleak_test_loaded_6.1_debugfs.txt')
    frames = [frame for f in result['findings'] for frame in f['backtrace']]
    assert any(frame.startswith('0xffffffffc0') for frame in frames)


def _raw_lines(name):
    with open(os.path.join(LAB, name), 'rb') as handle:
        return [line for line in handle.read().splitlines(True) if not line.startswith(b'# ')]


def test_lab_hung_task_has_no_alternative_title_without_a_function():
    finding = collect(_lines('hung_task_6.1_serial.log'))['findings'][0]
    assert finding['alt_titles'] == []


def test_lab_lockdep_cut_at_every_line():
    """The real splat cut after each of its lines (a serial capture ending there): a finding
    not marked corrupted has the whole capture's title; from the acquire site on, the title is
    the whole one."""
    lines = _raw_lines('lockdep_abba_6.1_serial.log')
    full = collect(io.BytesIO(b''.join(lines)))['findings'][0]
    site = [i for i, line in enumerate(lines) if b'at: kdebug_abba_order_ba' in line][0]
    for i in range(len(lines)):
        findings = collect(io.BytesIO(b''.join(lines[:i])))['findings']
        for f in findings:
            assert f['corrupted'] or f['title'] == full['title'], (i, f['title'])
        if i > site:
            assert [f['title'] for f in findings] == [full['title']], i


def test_lab_hung_task_cut_mid_line():
    """The capture cut inside a frame line: the report is kept, marked corrupted."""
    lines = _raw_lines('hung_task_6.1_serial.log')
    frame = [i for i, line in enumerate(lines) if b'__schedule+' in line][0]
    cut = b''.join(lines[:frame]) + lines[frame][:len(lines[frame]) // 2]
    findings = collect(io.BytesIO(cut))['findings']
    assert [(f['type'], f['task'], f['corrupted']) for f in findings] == [('hung_task', 'kdebug_waiter', True)]


def test_lab_reports_interleaved_by_printing_context():
    """Two real reports printed at the same time by two contexts (CONFIG_PRINTK_CALLER ids
    added: the lab kernel prints none), interleaved line by line: both are read whole."""
    def tagged(name, caller):
        out = []
        for line in _raw_lines(name):
            text = line.decode('utf-8', 'replace').rstrip('\r\n')
            if text.startswith('[') and '] ' in text:
                ts, rest = text.split('] ', 1)
                out.append('%s][%6s] %s' % (ts, caller, rest))
        return out
    hung = tagged('hung_task_6.1_serial.log', 'T40')
    abba = tagged('lockdep_abba_6.1_serial.log', 'T1225')
    mixed = []
    for i in range(max(len(hung), len(abba))):
        mixed += abba[i:i + 1] + hung[i:i + 1]
    whole = dict((f['type'], f) for f in collect(hung + abba)['findings'])
    got = dict((f['type'], f) for f in collect(mixed)['findings'])
    assert sorted(got) == ['hung_task', 'lockdep']
    for kind in got:
        assert (got[kind]['title'], got[kind]['task'], got[kind]['corrupted']) == (
            whole[kind]['title'], whole[kind]['task'], whole[kind]['corrupted'])
    assert got['lockdep']['title'] == 'possible deadlock in kdebug_abba_order_ba'
