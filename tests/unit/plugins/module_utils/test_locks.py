# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""locks: held lock listings (3.10 and 6.x, SysRq-d, hung task) and blocked tasks (SysRq-w)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import iter_lines
from ansible_collections.kdebug.kernel.plugins.module_utils.locks import (
    HeldLocksParser, parse_blocked_tasks, parse_held_locks, parse_lock_line, parse_task_line,
)
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf


def test_sysrq_d_6x():
    entries = parse_held_locks(iter_lines(pf.load('sysrq_d_6x.log')))
    assert [(e['task'], e['pid'], e['count'], len(e['locks'])) for e in entries] == [
        ('khungtaskd', 35, 1, 1), ('dd', 3560, 2, 2), ('bash', 2990, 1, 1)]
    lock = entries[1]['locks'][1]
    assert lock == {'index': 1, 'name': '&sb->s_type->i_mutex_key#13', 'usage': '++++',
                    'at': 'ext4_buffered_write_iter+0x37/0x160 [ext4]',
                    'raw': '#1: ffff8f0a4a1c8a00 (&sb->s_type->i_mutex_key#13){++++}-{3:3}, at: '
                           'ext4_buffered_write_iter+0x37/0x160 [ext4]'}


def test_hung_task_listings_both_forms():
    old = parse_held_locks(pf.text_lines('hung_task_rhel7.log'))
    assert [(e['task'], e['pid'], [ln['name'] for ln in e['locks']]) for e in old] == [
        ('dd', 3560, ['sb_writers#8', '&sb->s_type->i_mutex_key#12'])]
    new = parse_held_locks(iter_lines(pf.load('hung_task_6x.log')))
    assert [(e['task'], e['pid'], e['count']) for e in new] == [
        ('khungtaskd', 35, 1), ('kworker/u4:2', 87, 4), ('dd', 3560, 2), ('khungtaskd', 35, 1)]


@pytest.mark.parametrize('line, expected', [
    (' #0:  (sb_writers#8){.+.+.+}, at: [<ffffffff8120c10b>] vfs_write+0x1bb/0x1f0',
     ('sb_writers#8', '.+.+.+', 'vfs_write+0x1bb/0x1f0')),
    (' #2: 00000000c5bc1d0f (&(&zone->lock)->rlock){-.-.}, at: free_one_page+0x3a/0x60',
     ('&(&zone->lock)->rlock', '-.-.', 'free_one_page+0x3a/0x60')),
    (' #0: ffffffff8b1d2e60 (rcu_read_lock){....}-{1:2}, at: rcu_lock_acquire include/linux/rcupdate.h:306 [inline]',
     ('rcu_read_lock', '....', 'rcu_lock_acquire include/linux/rcupdate.h:306 [inline]')),
    (' #1: ffff888012345678 ((work_completion)(&w->work)){+.+.}-{0:0}, at: process_one_work+0x1c1/0x380',
     ('(work_completion)(&w->work)', '+.+.', 'process_one_work+0x1c1/0x380')),
    (' #3: (____ptrval____) (&mm->mmap_sem){++++}, at: __do_page_fault+0x1a/0x2b',
     ('&mm->mmap_sem', '++++', '__do_page_fault+0x1a/0x2b')),
])
def test_lock_line_forms(line, expected):
    lock = parse_lock_line(line)
    assert (lock['name'], lock['usage'], lock['at']) == expected


def test_no_locks_and_inline_duplicates_and_lockdep_off():
    parser = HeldLocksParser()
    for text in ['no locks held by swapper/0/0.', '1 lock held by kworker/u4:1/123:',
                 ' #0: ffff888012345678 (&zone->lock){-.-.}-{2:2}, at: spin_lock include/linux/spinlock.h:349 [inline]',
                 ' #0: ffff888012345678 (&zone->lock){-.-.}-{2:2}, at: free_pcppages_bulk+0x1/0x2 mm/page_alloc.c:1',
                 'INFO: lockdep is turned off.']:
        parser.feed(text)
    assert parser.entries == [
        {'task': 'swapper/0', 'pid': 0, 'count': 0, 'locks': []},
        {'task': 'kworker/u4:1', 'pid': 123, 'count': 1, 'locks': [
            {'index': 0, 'name': '&zone->lock', 'usage': '-.-.', 'at': 'free_pcppages_bulk+0x1/0x2 mm/page_alloc.c:1',
             'raw': '#0: ffff888012345678 (&zone->lock){-.-.}-{2:2}, at: spin_lock include/linux/spinlock.h:349 '
                    '[inline]'}]}]
    assert parser.lockdep_off is True
    assert parser.find(pid=123)['task'] == 'kworker/u4:1'
    assert parser.find(task='swapper/0')['pid'] == 0
    assert parser.find(task='nobody') is None


def test_blocked_tasks_6x():
    tasks = parse_blocked_tasks(iter_lines(pf.load('sysrq_w_6x.log')))
    assert [(t['task'], t['pid'], t['ppid'], t['state'], len(t['stack'])) for t in tasks] == [
        ('jbd2/vda1-8', 231, 2, 'D', 6), ('dd', 3560, 3478, 'D', 8)]
    assert tasks[1]['stack'][3] == 'ext4_buffered_write_iter+0x37/0x160 [ext4]'


def test_blocked_tasks_rhel7():
    tasks = parse_blocked_tasks(pf.text_lines('sysrq_w_rhel7.log'))
    assert [(t['task'], t['pid'], t['ppid'], t['state'], t['stack'][-1]) for t in tasks] == [
        ('dd', 3560, 3478, 'D', 'system_call_fastpath+0x16/0x1b'),
        ('xfsaild/dm-0', 401, 2, 'D', 'ret_from_fork_nospec_end+0x0/0x39')]


@pytest.mark.parametrize('line, expected', [
    ('task:kworker/u4:2    state:D stack:0     pid:87    ppid:2      flags:0x00004000', ('kworker/u4:2', 87, 2, 'D')),
    ('task:dd state:D stack:0 pid:3560 tgid:3560 ppid:1 flags:0x00004002', ('dd', 3560, 1, 'D')),
    ('kworker/0:1     D    0    12      2 0x80000000', ('kworker/0:1', 12, 2, 'D')),
    ('kworker/1:2     R  running task        0  1834      2 0x00000088', ('kworker/1:2', 1834, 2, 'R')),
    ('dd              D ffff880073204f20  5096  3560   3478 0x00000080', ('dd', 3560, 3478, 'D')),
])
def test_task_lines(line, expected):
    t = parse_task_line(line)
    assert (t['task'], t['pid'], t['ppid'], t['state']) == expected


def test_junk_never_raises():
    assert parse_held_locks([None, b'\xff', 3, ' #0: (', '5 locks held by /:']) == []
    assert parse_blocked_tasks(['task:', 'Call Trace:', ' x+0x1/0x2', object()]) == []
