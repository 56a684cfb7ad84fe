# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the sysrq module against a tmpdir standing in for /proc/sys/kernel/sysrq,
/proc/sysrq-trigger and /dev/kmsg (a regular file). FakeKernel wraps the module's
write_trigger(): after the real write to the stand-in trigger file it appends what the kernel
would print for that key (fixture files written from drivers/tty/sysrq.c and friends) to the
stand-in /dev/kmsg, between the module's own begin and end markers.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os

import pytest

from ansible_collections.kdebug.kernel.plugins.modules import sysrq
from ansible_collections.kdebug.kernel.tests.unit.plugins.modules.utils import (
    fixture_lines, run_module, run_module_with_stand_ins,
)

OUTPUT = {
    'd': 'sysrq_d_lockdep_6.1.kmsg',
    'w': 'sysrq_w_6.1.kmsg',
}
PREEXISTING = [b'6,4990,911000000,-;virtio_net virtio1 enp0s3: link up\n',
               b' SUBSYSTEM=virtio\n',
               b'6,4991,911000100,-;sysrq: Show Memory\n']


class FakeKernel(object):
    def __init__(self, tmp_path, monkeypatch, sysrq_value=16):
        self.sysrq = tmp_path / 'sysrq'
        self.sysrq.write_text(u'%d\n' % sysrq_value)
        self.trigger = tmp_path / 'sysrq-trigger'
        self.trigger.write_text(u'')
        self.kmsg = tmp_path / 'kmsg'
        self.kmsg.write_bytes(b''.join(PREEXISTING))
        self.output = dict(OUTPUT)
        self.triggered = []
        self.sysrq_during = []
        self.real_trigger = sysrq.write_trigger
        monkeypatch.setattr(sysrq, 'write_trigger', self.write_trigger)
        self.monkeypatch = monkeypatch

    def write_trigger(self, path, key):
        self.real_trigger(path, key)
        self.triggered.append(key)
        self.sysrq_during.append(self.sysrq.read_text().strip())
        name = self.output.get(key)
        lines = fixture_lines('modules', name) if name else \
            [b'6,7000,940000000,-;sysrq: %s\n' % sysrq.SYSRQ_KEYS[key][0].encode('ascii')]
        with open(str(self.kmsg), 'ab') as fobj:
            fobj.write(b''.join(lines))

    def run(self, check_mode=False, **args):
        args.setdefault('sysrq_path', str(self.sysrq))
        args.setdefault('trigger_path', str(self.trigger))
        args.setdefault('kmsg_path', str(self.kmsg))
        args.setdefault('settle', 0)
        args.setdefault('timeout', 2)
        return run_module_with_stand_ins(sysrq, args, check_mode=check_mode)


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    return FakeKernel(tmp_path, monkeypatch)


def entry(result, key):
    entries = [e for e in result['ansible_facts']['sysrq']['key_results'] if e['key'] == key]
    assert len(entries) == 1, result['ansible_facts']['sysrq']['key_results']
    return entries[0]


def test_d_returns_output_and_held_locks(kernel):
    result = kernel.run(keys=['d'])
    assert not result['failed'], result
    assert result['changed'] is True
    assert kernel.triggered == ['d']
    assert kernel.trigger.read_text() == u'd'
    e = entry(result, 'd')
    assert e['triggered'] is True and e['supported'] is True and e['complete'] is True
    assert e['name'] == 'show-all-locks'
    assert e['header'].endswith('Show Locks Held')
    assert e['output_lines'] == 12 and len(e['output']) == 12
    assert e['output'][0].endswith('Show Locks Held')
    # nothing from before the call, no marker lines
    assert not any('link up' in line or 'Show Memory' in line for line in e['output'])
    assert not any('kdebug.sysrq' in line for line in e['output'])
    holders = dict(((t['task'], t['pid']), t) for t in e['locks'])
    assert set(holders) == {('khungtaskd', 38), ('dd', 3560), ('python3', 4242)}
    dd = holders[('dd', 3560)]
    assert dd['count'] == 2
    assert [lock['name'] for lock in dd['locks']] == ['sb_writers#8',
                                                      '&sb->s_type->i_mutex_key#12']
    assert 'xfs_file_buffered_write' in dd['locks'][1]['at']
    assert result['ansible_facts']['sysrq']['unsupported'] == []


def test_d_output_is_decoded_as_dmesg_shows_it(kernel):
    """Issue 11, item 8: /dev/kmsg escapes newlines as \\x0a (seen on the lab: SysRq d prints
    "\\x0aShowing all locks held in the system:"); the output shows the lines the kernel printed."""
    e = entry(kernel.run(keys=['d']), 'd')
    assert not any('\\x' in line for line in e['output']), e['output']
    assert 'Showing all locks held in the system:' in e['output']
    assert e['output'][-1] == '============================================='


def test_kernel_paths_are_not_options(kernel):
    """The stand-in paths of the tests are not module options (issue 11: test-only paths out
    of the public options)."""
    result = run_module(sysrq, dict(keys=['h'], trigger_path=str(kernel.trigger)))
    assert result['failed'] and 'trigger_path' in result['msg'], result


def test_markers_are_written_to_kmsg(kernel):
    kernel.run(keys=['d'])
    text = kernel.kmsg.read_bytes()
    begins = [line for line in text.splitlines() if b'kdebug.sysrq: begin d ' in line]
    ends = [line for line in text.splitlines() if b'kdebug.sysrq: end d ' in line]
    assert len(begins) == 1 and len(ends) == 1
    assert begins[0].split()[-1] == ends[0].split()[-1]  # same run id
    assert begins[0].startswith(b'<5>')
    assert text.index(begins[0]) < text.index(b'Show Locks Held') < text.index(ends[0])


def test_sysrq_enabled_for_the_call_and_restored(kernel):
    result = kernel.run(keys=['d', 'w'])
    facts = result['ansible_facts']['sysrq']
    assert kernel.sysrq_during == ['1', '1']
    assert kernel.sysrq.read_text().strip() == '16'
    assert facts['old_value'] == 16
    assert facts['temporarily_enabled'] is True and facts['restored'] is True


def test_sysrq_left_alone_when_already_enabled(tmp_path, monkeypatch):
    kernel = FakeKernel(tmp_path, monkeypatch, sysrq_value=1)
    facts = kernel.run(keys=['w'])['ansible_facts']['sysrq']
    assert facts['old_value'] == 1 and facts['temporarily_enabled'] is False
    assert kernel.sysrq_during == ['1']


def test_enable_sysrq_false_leaves_mask(kernel):
    facts = kernel.run(keys=['w'], enable_sysrq=False)['ansible_facts']['sysrq']
    assert kernel.sysrq_during == ['16'] and facts['temporarily_enabled'] is False


def test_sysrq_restored_when_trigger_fails(kernel, monkeypatch):
    def broken(path, key):
        kernel.sysrq_during.append(kernel.sysrq.read_text().strip())
        raise OSError(errno.EACCES, 'Permission denied')

    monkeypatch.setattr(sysrq, 'write_trigger', broken)
    monkeypatch.setattr(sysrq.os, 'geteuid', lambda: 1000)
    result = kernel.run(keys=['d', 'w'])
    assert result['failed']
    assert 'EACCES' in result['msg'] and 'become: true' in result['msg']
    assert kernel.sysrq_during == ['1']  # stopped at the first key
    assert kernel.sysrq.read_text().strip() == '16'
    assert result['ansible_facts']['sysrq']['restored'] is True


def test_w_returns_blocked_tasks(kernel):
    e = entry(kernel.run(keys=['w']), 'w')
    assert e['supported'] is True and e['header'].endswith('Show Blocked State')
    tasks = dict(((t['task'], t['pid']), t) for t in e['blocked_tasks'])
    assert set(tasks) == {('dd', 3560), ('kworker/u4:1', 77)}
    assert tasks[('dd', 3560)]['state'] == 'D'
    assert any('xfs_file_buffered_write' in frame for frame in tasks[('dd', 3560)]['stack'])
    assert 'locks' not in e


def test_each_key_gets_only_its_own_output(kernel):
    result = kernel.run(keys=['d', 'w'])
    d, w = entry(result, 'd'), entry(result, 'w')
    assert not any('Blocked State' in line for line in d['output'])
    assert not any('Locks Held' in line for line in w['output'])
    assert kernel.triggered == ['d', 'w']
    assert w['output_lines'] == 25


@pytest.mark.parametrize('fixture', ['sysrq_d_help_6.1.kmsg', 'sysrq_d_help_3.10.kmsg'])
def test_d_without_lockdep_is_explained(kernel, fixture):
    kernel.output['d'] = fixture
    result = kernel.run(keys=['d'])
    assert not result['failed'], result
    e = entry(result, 'd')
    assert e['supported'] is False
    assert 'CONFIG_LOCKDEP' in e['reason']
    assert 'HELP' in e['header']
    offered = dict((k['key'], k['name']) for k in e['available_keys'])
    assert offered['w'] == 'show-blocked-tasks' and 'd' not in offered
    assert result['ansible_facts']['sysrq']['unsupported'] == [dict(key='d', reason=e['reason'])]
    assert 'locks' not in e


def test_h_lists_what_the_kernel_offers(kernel):
    kernel.output['h'] = 'sysrq_d_help_6.1.kmsg'
    e = entry(kernel.run(keys=['h']), 'h')
    assert e['supported'] is True
    assert 't' in [k['key'] for k in e['available_keys']]


def test_d_with_lockdep_turned_off(kernel):
    kernel.output['d'] = 'sysrq_d_lockdep_off_6.1.kmsg'
    e = entry(kernel.run(keys=['d']), 'd')
    assert e['supported'] is True
    assert 'lockdep has turned itself off' in e['reason']
    assert e['locks'] == []


@pytest.mark.parametrize('key', ['c', 'b', 'f', 'o', 'e', 'i', 's', 'u', 'j', 'k', '7', 'z'])
def test_destructive_keys_refused(kernel, key):
    result = kernel.run(keys=['d', key])
    assert result['failed']
    assert 'allow_destructive' in result['msg'] and repr(key) in result['msg']
    assert kernel.triggered == []
    assert kernel.trigger.read_text() == u''
    assert kernel.sysrq.read_text().strip() == '16'


def test_destructive_key_allowed_explicitly(kernel):
    result = kernel.run(keys=['f'], allow_destructive=True)
    assert not result['failed'], result
    assert kernel.triggered == ['f']


@pytest.mark.parametrize('bad', ['a', 'dd', '', '?', 'A'])
def test_invalid_keys(kernel, bad):
    result = kernel.run(keys=[bad])
    assert result['failed'] and 'keys[0]' in result['msg']
    assert kernel.triggered == []


def test_uppercase_is_normalized(kernel):
    result = kernel.run(keys=['W'])
    assert kernel.triggered == ['w'] and entry(result, 'w')['supported'] is True


def test_empty_keys(kernel):
    result = kernel.run(keys=[])
    assert result['failed'] and 'keys' in result['msg']


def test_check_mode_triggers_nothing(kernel):
    before = kernel.kmsg.read_bytes()
    result = kernel.run(keys=['d', 'w'], check_mode=True)
    assert not result['failed'], result
    assert result['changed'] is True
    assert kernel.triggered == [] and kernel.trigger.read_text() == u''
    assert kernel.kmsg.read_bytes() == before  # no markers either
    assert kernel.sysrq.read_text().strip() == '16'
    facts = result['ansible_facts']['sysrq']
    assert [e['key'] for e in facts['key_results']] == ['d', 'w']
    assert all(e['triggered'] is False for e in facts['key_results'])
    assert any('would trigger d, w' in n for n in facts['notes'])
    assert facts['old_value'] == 16


def test_check_mode_still_validates(kernel):
    result = kernel.run(keys=['c'], check_mode=True)
    assert result['failed'] and 'allow_destructive' in result['msg']


def test_output_cap_keeps_parsed_locks_whole(kernel):
    e = entry(kernel.run(keys=['d'], max_output_lines=3), 'd')
    assert len(e['output']) == 3 and e['output_truncated'] is True
    assert e['output_lines'] == 12
    assert len(e['locks']) == 3


def test_marker_write_refused_falls_back_to_reading_after_trigger(kernel, monkeypatch):
    def refuse(path, message, level=5):
        raise OSError(errno.EPERM, 'Operation not permitted')

    monkeypatch.setattr(sysrq, 'write_kmsg', refuse)
    result = kernel.run(keys=['d'], timeout=0.2)
    assert not result['failed'], result
    e = entry(result, 'd')
    assert e['supported'] is True and e['complete'] is None
    assert len(e['locks']) == 3
    notes = result['ansible_facts']['sysrq']['notes']
    assert any('printk_devkmsg' in n for n in notes)


def test_missing_end_marker_times_out_with_note(kernel, monkeypatch):
    real = sysrq.write_kmsg

    def drop_end(path, message, level=5):
        if ' end ' not in message:
            real(path, message, level)

    monkeypatch.setattr(sysrq, 'write_kmsg', drop_end)
    result = kernel.run(keys=['d'], timeout=0.3)
    assert not result['failed'], result
    e = entry(result, 'd')
    assert e['complete'] is False and len(e['locks']) == 3
    assert any('end marker of key d' in n for n in result['ansible_facts']['sysrq']['notes'])


def test_kmsg_dictionary_lines_are_not_output(kernel):
    kernel.output['m'] = None
    lines = [b'6,8000,950000000,-;sysrq: Show Memory\n', b' SUBSYSTEM=mem\n',
             b'6,8001,950000001,-;Mem-Info:\n']

    def trigger(path, key):
        with open(str(kernel.kmsg), 'ab') as fobj:
            fobj.write(b''.join(lines))

    kernel.monkeypatch.setattr(sysrq, 'write_trigger', trigger)
    e = entry(kernel.run(keys=['m']), 'm')
    assert e['output'] == ['sysrq: Show Memory', 'Mem-Info:']


def test_cursor_points_after_the_run(kernel):
    facts = kernel.run(keys=['w'])['ansible_facts']['sysrq']
    # the last kmsg record seen is the w output's last record, seq 6025; markers written to
    # a plain file carry no sequence number
    assert facts['cursor'].startswith('kmsg:')
    assert facts['cursor'].split(':')[2] == '6025'


def test_trigger_missing_means_no_magic_sysrq(kernel):
    os.unlink(str(kernel.trigger))
    result = kernel.run(keys=['d'])
    assert result['failed'] and 'CONFIG_MAGIC_SYSRQ' in result['msg']
    assert kernel.sysrq.read_text().strip() == '16'


def test_kmsg_unreadable_fails_before_triggering(kernel):
    os.unlink(str(kernel.kmsg))
    result = kernel.run(keys=['d'])
    assert result['failed'] and 'nothing was triggered' in result['msg']
    assert kernel.triggered == []


@pytest.mark.parametrize('args,word', [(dict(timeout=-1), 'timeout'), (dict(settle=-1), 'settle'),
                                       (dict(max_output_lines=-1), 'max_output_lines')])
def test_bad_numbers(kernel, args, word):
    result = kernel.run(keys=['d'], **args)
    assert result['failed'] and word in result['msg'] and kernel.triggered == []


def test_l_waits_longer_for_other_cpus(kernel, monkeypatch):
    sleeps = []
    monkeypatch.setattr(sysrq.time, 'sleep', sleeps.append)
    kernel.run(keys=['w', 'l'])
    assert 2.0 in sleeps and 0 in sleeps
