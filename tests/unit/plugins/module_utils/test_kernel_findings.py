# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kernel_findings: types, titles, tasks, counts and notes for every fixture, read both
through the line API (FindingCollector.feed) and the chunked file path (collect(file))."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io
import os
import re

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kf
from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import (
    FINDING_TYPES, FindingCollector, collect, sanitize_title,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import is_dict_line, iter_lines, parse_line
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

FINDING_KEYS = {'type', 'title', 'alt_titles', 'function', 'count', 'first_seen', 'last_seen', 'task', 'pid', 'locks',
                'stack', 'source', 'line', 'corrupted', 'excerpt', 'details'}

# fixture -> [(type, title, task, pid, count, corrupted)] in order of first appearance
EXPECTED = {
    'atomic_sleep_6x.log': [
        ('atomic_sleep', 'BUG: sleeping function called from invalid context in qux_register', 'modprobe', 2211,
         1, False)],
    'atomic_sleep_rhel7.log': [
        ('atomic_sleep', 'BUG: sleeping function called from invalid context in quux_setup', 'insmod', 4242,
         1, False)],
    'gpf_kasan_6x.log': [
        ('bug', 'general protection fault in grault_lookup', 'grault-cli', 5502, 1, False)],
    'hard_lockup_6x.log': [
        ('hard_lockup', 'BUG: hard lockup in foo_poll_hw', 'foo-worker', 7001, 1, False),
        ('panic', 'kernel panic: Hard LOCKUP', 'foo-worker', 7001, 1, False)],
    'hard_lockup_rhel7.log': [
        ('hard_lockup', 'BUG: hard lockup in bar_irq_handler', 'swapper/1', 0, 1, False)],
    'hung_task_6x.log': [
        ('hung_task', 'INFO: task hung in do_get_write_access', 'kworker/u4:2', 87, 2, False),
        ('hung_task', 'INFO: task hung in ext4_buffered_write_iter', 'dd', 3560, 1, False)],
    'hung_task_rhel7.log': [
        ('hung_task', 'INFO: task hung in xfs_file_buffered_aio_write', 'dd', 3560, 1, False)],
    'journal_soft_lockup_rhel7.log': [
        ('soft_lockup', 'BUG: soft lockup in xfs_file_aio_write', 'dd', 3560, 1, False)],
    'kasan_6x.log': [
        ('kasan', 'KASAN: slab-out-of-bounds Read in foo_parse_opts', 'foo-cli', 3377, 1, False)],
    'kernel_bug_6x.log': [
        ('bug', 'BUG: corrupted list in garply_gc_work', 'kworker/1:0', 6612, 1, False),
        ('bug', 'kernel BUG in waldo_queue_cmd', 'waldo-ctl', 6701, 1, False)],
    'kfence_6x.log': [
        ('kfence', 'KFENCE: use-after-free read in qux_put_ctx', 'qux-test', 5120, 1, False)],
    'kmemleak_log_verbose.log': [
        ('memory_leak', 'memory leak in foo_newlink', 'ip', 2205, 2, False),
        ('memory_leak', 'kmemleak: new suspected memory leaks', None, None, 2, False)],
    'kmsg_records.txt': [
        ('warning', 'WARNING in foo_tx_timeout', 'ksoftirqd/1', 2468, 1, False)],
    'lockdep_circular_6x.log': [
        ('lockdep', 'possible deadlock in pipe_write', 'dd', 3560, 1, False)],
    'lockdep_circular_rhel7.log': [
        ('lockdep', 'possible deadlock in xfs_ilock', 'kswapd0', 45, 1, False)],
    'lockdep_inconsistent_rhel7.log': [
        ('lockdep', 'inconsistent lock state in bar_timer_fn', 'swapper/0', 0, 1, False)],
    'lockdep_irq_inversion_6x.log': [
        ('lockdep', 'possible deadlock in baz_complete', 'swapper/0', 0, 1, False)],
    'lockdep_recursive_6x.log': [
        ('lockdep', 'possible deadlock in foo_dev_reset', 'kworker/1:3', 1433, 1, False)],
    'notes.log': [
        ('lockdep', 'BUG: MAX_LOCKDEP_CHAINS too low!', None, None, 1, False)],
    'null_deref_rhel7.log': [
        ('bug', 'BUG: unable to handle kernel NULL pointer dereference in corge_release', 'corge-test', 4410, 1,
         False),
        ('panic', 'kernel panic: Fatal exception', None, None, 1, False)],
    'oom_6x.log': [
        ('oom_kill', 'Out of memory: Killed process stress-ng-vm', 'stress-ng-vm', 8123, 1, False)],
    'oom_memcg_6x.log': [
        ('oom_kill', 'Memory cgroup out of memory: Killed process python3', 'python3', 9911, 1, False)],
    'oom_rhel7.log': [
        ('oom_kill', 'Out of memory: Killed process dd', 'dd', 3560, 1, False)],
    'panic_6x.log': [
        ('panic', 'kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)', 'swapper/0', 1, 1,
         False)],
    'rcu_stall_rhel7.log': [
        ('rcu_stall', 'INFO: rcu detected stall in baz_poll_work', 'kworker/1:2', 1834, 1, False)],
    'rcu_stall_self_6x.log': [
        ('rcu_stall', 'INFO: rcu detected stall in bar_ioctl', 'stress-ng', 6120, 1, False)],
    'serial_capture.log': [
        ('hung_task', 'INFO: task hung in ext4_buffered_write_iter', 'dd', 3560, 1, False),
        # (the page allocation failure printed by another caller in between is not a report)
        # the capture ends in the middle of a frame line
        ('soft_lockup', 'BUG: soft lockup in foo_spin_until_ready', 'stress-ng', 5012, 1, True)],
    'soft_lockup_6x.log': [
        ('soft_lockup', 'BUG: soft lockup in foo_write', 'stress-ng', 5012, 1, False)],
    'soft_lockup_rhel7.log': [
        ('soft_lockup', 'BUG: soft lockup in xfs_file_aio_write', 'dd', 3560, 1, False)],
    'symbolized_6x.log': [
        # the inlined acquire site / header line is followed by the real one: that one is blamed
        ('lockdep', 'possible deadlock in ext4_ioctl_setflags', 'fuzzer', 5082, 1, False),
        ('kasan', 'KASAN: slab-use-after-free Read in grault_del', 'fuzzer', 5120, 1, False)],
    'ubsan_6x.log': [
        ('ubsan', 'UBSAN: shift-out-of-bounds in bar_calc_mask', 'kworker/1:1', 412, 1, False)],
    # ---- title rules (title_rules.py): one fixture per rule, written from 6.1 format strings ----
    # stalls: the stack after the timer-interrupt entry, the frame above the first anchor
    'soft_lockup_softirq_6x.log': [
        ('soft_lockup', 'BUG: soft lockup in baz_poll', 'swapper/0', 0, 1, False)],
    'rcu_stall_other_cpu_6x.log': [
        ('rcu_stall', 'INFO: rcu detected stall in qux_gc_work', 'kworker/1:2', 1834, 1, False)],
    # a hard lockup (NMI) inside the timer interrupt: the whole stack, the hrtimer callback
    'hard_lockup_hrtimer_6x.log': [
        ('hard_lockup', 'BUG: hard lockup in plugh_hrtimer_fn', 'swapper/1', 0, 1, False)],
    # interleaved line by line with a hung task (caller ids); smp_call_function names itself
    'rcu_stall_smp_call_6x.log': [
        ('rcu_stall', 'INFO: rcu detected stall in smp_call_function_many_cond', 'corge-ctl', 5130, 1, False),
        ('hung_task', 'INFO: task hung in corge_register_notifier', 'modprobe', 5120, 1, False)],
    # cut before any anchor: the first blamable frame after the entry, corrupted
    'rcu_stall_cut_6x.log': [
        ('rcu_stall', 'INFO: rcu detected stall in grault_rehash', 'grault-bench', 6612, 1, True)],
    # hung tasks: the rtnl_lock and synchronize_rcu buckets, the skips, a report cut mid-stack
    'hung_task_buckets_6x.log': [
        ('hung_task', 'INFO: task hung in rtnl_lock', 'ip', 7001, 1, False),
        ('hung_task', 'INFO: task hung in synchronize_rcu', 'kworker/0:3', 7014, 1, False),
        ('hung_task', 'INFO: task hung in waldo_stop_poller', 'rmmod', 7020, 1, False),
        ('hung_task', 'INFO: task hung', 'fred-sync', 7031, 1, True)],
    # WARNINGs of well-known checkers are titled by the checker
    'warning_checkers_6x.log': [
        ('warning', 'WARNING: ODEBUG bug in plugh_destroy_ctx', 'plugh-test', 7101, 1, False),
        ('warning', 'WARNING: kobject bug in xyzzy_probe', 'modprobe', 7102, 1, False),
        ('warning', 'WARNING: kmalloc bug in thud_resize_ring', 'thud-ctl', 7103, 1, False),
        ('warning', 'WARNING: zero-size vmalloc in thud_alloc_table', 'thud-ctl', 7104, 1, False),
        ('warning', 'WARNING: proc registration bug in quux_net_init', 'modprobe', 7105, 1, False),
        ('warning', 'WARNING: locking bug in quux_get_stats', 'quux-test', 7106, 1, False),
        ('warning', 'WARNING in quux_check_state', 'quux-test', 7107, 1, False)],
    'suspicious_rcu_6x.log': [
        ('lockdep', 'WARNING: suspicious RCU usage in corge_fib_lookup', 'corge-route', 8111, 1, False)],
    # the shared skip list: list helpers, kref/refcount, kobject/device teardown, workqueue
    # flushing, string and printing helpers, user copies
    'skip_families_6x.log': [
        ('kasan', 'KASAN: use-after-free Read in fred_dev_release', 'fred-test', 9001, 1, False),
        ('atomic_sleep', 'BUG: sleeping function called from invalid context in fred_stop_rx', 'fred-test', 9002,
         1, False),
        ('bug', 'BUG: unable to handle kernel paging request in fred_label_show', 'cat', 9003, 1, False),
        ('bug', 'BUG: bad usercopy in fred_read_stats', 'fred-test', 9004, 1, False)],
    # syscall wrappers are named by the syscall
    'syscall_wrappers_6x.log': [
        ('soft_lockup', 'BUG: soft lockup in sys_sched_setaffinity', 'sched-spin', 9501, 1, False),
        ('warning', 'WARNING in sys_sendmsg', 'sendmsg-test', 9502, 1, False),
        ('warning', 'WARNING in sys_kcmp', 'kcmp-test', 9503, 1, False)],
    # arm64 wording, titled like x86's
    'unable_to_handle_arm64_6x.log': [
        ('bug', 'BUG: unable to handle kernel paging request in garply_find', 'garply-ctl', 612, 1, False)],
    'warning_6x.log': [
        ('warning', 'WARNING in foo_tx_timeout', 'ksoftirqd/1', 2468, 1, False),
        ('warning', 'WARNING: refcount bug in baz_session_put', 'baz-test', 3901, 1, False)],
    'warning_rhel7.log': [
        ('warning', 'WARNING in xfs_vm_releasepage', 'dd', 3560, 1, False),
        ('warning', 'WARNING in xfs_vm_releasepage', 'kswapd0', 45, 1, False)],
}


def _summary(result):
    return [(f['type'], f['title'], f['task'], f['pid'], f['count'], f['corrupted']) for f in result['findings']]


def _by_lines(name, **kw):
    collector = FindingCollector(**kw)
    for line in pf.text_lines(name):
        collector.feed(line)
    return collector.result()


def _by_file(name, **kw):
    return collect(io.BytesIO(pf.load(name)), **kw)


def test_every_log_fixture_has_expectations_and_a_source_comment():
    assert sorted(EXPECTED) == sorted(pf.KERNEL_LOG_FIXTURES)
    for name in pf.names():
        assert 'Source:' in pf.comment(name), name


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_fixture_findings_line_api(name):
    assert _summary(_by_lines(name)) == EXPECTED[name]


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_fixture_findings_file_path(name):
    assert _summary(_by_file(name)) == EXPECTED[name]


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_fixture_findings_through_iter_lines(name):
    result = collect(iter_lines(io.BytesIO(pf.load(name))), source='x')
    assert _summary(result) == EXPECTED[name]
    for f in result['findings']:
        assert set(f) == FINDING_KEYS
        assert f['type'] in FINDING_TYPES
        assert f['source'] == 'x'
        assert isinstance(f['excerpt'], str) and len(f['excerpt']) <= kf.MAX_EXCERPT_CHARS + 200
        assert len(f['stack']) <= 64


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_counts_match_findings(name):
    result = _by_file(name)
    counts = {}
    for f in result['findings']:
        counts[f['type']] = counts.get(f['type'], 0) + f['count']
    assert result['counts'] == counts
    assert result['truncated'] is False
    # /dev/kmsg dictionary lines (" SUBSYSTEM=...") are not log lines
    assert result['lines'] == len([ln for ln in pf.text_lines(name) if not is_dict_line(ln)])


def test_hung_task_6x_locks_stack_and_times():
    result = _by_file('hung_task_6x.log')
    kworker, dd = result['findings']
    assert kworker['function'] == 'do_get_write_access'
    assert kworker['first_seen'] == pytest.approx(245.112233)
    assert kworker['last_seen'] == pytest.approx(367.9911)
    assert kworker['line'] == 1
    assert kworker['details'] == {'seconds': 122}
    # locks come from the "Showing all locks held in the system:" block after the reports
    assert [ln['name'] for ln in kworker['locks']] == [
        '(wq_completion)writeback', '(work_completion)(&(&wb->dwork)->work)', '&type->s_umount_key#30',
        'jbd2_handle']
    assert kworker['locks'][3]['at'] == 'start_this_handle+0x116/0x590 [jbd2]'
    assert [ln['name'] for ln in dd['locks']] == ['sb_writers#3', '&sb->s_type->i_mutex_key#13']
    assert dd['stack'][0] == '__schedule+0x34d/0x9e0'
    assert dd['stack'][-1] == 'entry_SYSCALL_64_after_hwframe+0x64/0xce'
    assert 'INFO: task dd:3560 blocked for more than 122 seconds.' in dd['excerpt']


def test_hung_task_rhel7_locks_from_the_task_listing():
    f = _by_file('hung_task_rhel7.log')['findings'][0]
    assert f['locks'] == [
        {'index': 0, 'name': 'sb_writers#8', 'usage': '.+.+.+', 'at': 'vfs_write+0x1bb/0x1f0',
         'raw': '#0:  (sb_writers#8){.+.+.+}, at: [<ffffffff8120c10b>] vfs_write+0x1bb/0x1f0'},
        {'index': 1, 'name': '&sb->s_type->i_mutex_key#12', 'usage': '+.+.+.',
         'at': 'xfs_file_buffered_aio_write+0x71/0x2a0 [xfs]',
         'raw': '#1:  (&sb->s_type->i_mutex_key#12){+.+.+.}, at: [<ffffffffa02b5b81>] '
                'xfs_file_buffered_aio_write+0x71/0x2a0 [xfs]'}]
    assert f['stack'][2] == '? xfs_file_buffered_aio_write+0x71/0x2a0 [xfs]'


def test_lockdep_report_carries_its_held_locks():
    f = _by_file('lockdep_circular_6x.log')['findings'][0]
    assert [ln['name'] for ln in f['locks']] == ['sb_writers#12', '&pipe->mutex/1']
    # the main stack is the one after "stack backtrace:", not the dependency chains
    assert f['stack'][0] == 'dump_stack_lvl+0x5b/0x77'


def test_oom_details():
    f = _by_file('oom_6x.log')['findings'][0]
    d = f['details']
    assert d['victim'] == 'stress-ng-vm'
    assert d['pid'] == 8123
    assert d['invoked_by'] == 'stress-ng-vm'
    assert d['gfp_mask'] == '0x140dca'
    assert d['order'] == 0
    assert d['anon_rss_kb'] == 1919744
    assert d['rss_kb'] == 1919744
    assert d['total_vm_kb'] == 2098220
    assert d['constraint'] == 'CONSTRAINT_NONE'
    old = _by_file('oom_rhel7.log')['findings'][0]['details']
    assert (old['victim'], old['score'], old['rss_kb'], old['memcg'] if 'memcg' in old else False) == (
        'dd', 112, 102404, False)
    memcg = _by_file('oom_memcg_6x.log')['findings'][0]['details']
    assert memcg['memcg'] is True and memcg['constraint'] == 'CONSTRAINT_MEMCG'
    assert memcg['rss_kb'] == 259600 + 1024


def test_oom_rhel6_header():
    lines = ['dd invoked oom-killer: gfp_mask=0x201da, order=0, oom_adj=0, oom_score_adj=0',
             'Out of memory: Kill process 1234 (dd) score 900 or sacrifice child',
             'Killed process 1234, UID 0, (dd) total-vm:108620kB, anon-rss:102400kB, file-rss:4kB']
    f = collect(lines)['findings'][0]
    assert (f['title'], f['corrupted'], f['details']['invoked_by'], f['details']['rss_kb']) == (
        'Out of memory: Killed process dd', False, 'dd', 102404)


def test_rcu_stall_on_a_blocked_task():
    lines = ['INFO: rcu_preempt detected stalls on CPUs/tasks:',
             '\tTasks blocked on level-0 rcu_node (CPUs 0-1): P1234',
             '\t(detected by 0, t=21002 jiffies, g=5, q=3 ncpus=2)',
             'task:blocker         state:R  running task     stack:0     pid:1234  ppid:2      flags:0x00004000',
             'Call Trace:', ' <TASK>', ' blocker_loop+0x10/0x20 [blk]', ' kthread+0xd7/0x100',
             ' ret_from_fork+0x1f/0x30', ' </TASK>']
    assert _summary(collect(lines)) == [('rcu_stall', 'INFO: rcu detected stall in blocker_loop', 'blocker', 1234, 1,
                                        False)]


def test_oom_victim_line_alone_and_rhel6_form():
    lines = ['Out of memory: Kill process 1234 (mysqld) score 900 or sacrifice child',
             'Killed process 1234, UID 27, (mysqld) total-vm:2048000kB, anon-rss:1500000kB, file-rss:12kB']
    f = collect(lines)['findings'][0]
    assert (f['type'], f['title'], f['pid'], f['corrupted']) == (
        'oom_kill', 'Out of memory: Killed process mysqld', 1234, False)
    assert f['details']['rss_kb'] == 1500012
    f = collect(['Memory cgroup out of memory: Killed process 77 ((sd-pam)) total-vm:100kB, anon-rss:10kB, '
                 'file-rss:0kB, shmem-rss:0kB'])['findings'][0]
    assert f['title'] == 'Memory cgroup out of memory: Killed process (sd-pam)'
    # the header without the kill (cut) is corrupted
    f = collect(['dd invoked oom-killer: gfp_mask=0x200da, order=0, oom_score_adj=0'])['findings'][0]
    assert (f['title'], f['corrupted']) == ('Out of memory', True)


def test_kasan_details_and_notes():
    result = _by_file('kasan_6x.log')
    f = result['findings'][0]
    assert f['details']['access'] == 'Read' and f['details']['size'] == 8
    assert result['notes'][0]['kind'] == 'debug_locks_off'


def test_notes():
    result = _by_file('notes.log')
    notes = result['notes']
    assert [(n['kind'], n['count']) for n in notes] == [
        ('kmemleak_initialized', 1), ('kmemleak_scan_thread_started', 1), ('kmemleak_alloc_failed', 1),
        ('kmemleak_disabled', 1), ('kmemleak_scan_thread_ended', 1), ('debug_locks_off', 1), ('lockdep_off', 3)]
    off = notes[-1]
    assert off['note'] == 'INFO: lockdep is turned off.'
    assert off['ts'] == pytest.approx(950.000001)
    assert off['line'] == 7
    assert set(off) == {'note', 'kind', 'line', 'ts', 'wallclock', 'count'}


def test_kmemleak_summary_line_counts_leaks():
    f = _by_file('kmemleak_log_verbose.log')['findings'][1]
    assert f['details']['leaks'] == 3
    leak = _by_file('kmemleak_log_verbose.log')['findings'][0]
    assert leak['details']['size'] == 512
    assert leak['stack'][3] == 'foo_newlink+0x5d/0x1b0 [foo]'


def test_types_filter():
    result = collect(io.BytesIO(pf.load('hard_lockup_6x.log')), types=['panic'])
    assert [f['type'] for f in result['findings']] == ['panic']
    assert result['counts'] == {'panic': 1}


def test_max_findings_truncates_but_counts_everything():
    lines = []
    for i in range(30):
        lines += ['WARNING: CPU: 0 PID: %d at drivers/x/x.c:%d func%d+0x1/0x2' % (i, i, i),
                  'CPU: 0 PID: %d Comm: t%d Not tainted 6.1.0 #1' % (i, i),
                  '---[ end trace 0000000000000000 ]---']
    result = collect(lines, max_findings=5)
    assert len(result['findings']) == 5
    assert result['truncated'] is True
    assert result['counts'] == {'warning': 30}


def test_caller_ids_demultiplex_interleaved_reports():
    a = ['[  1.0][  T100] INFO: task dd:100 blocked for more than 120 seconds.',
         '[  1.0][  T100] Call Trace:',
         '[  1.0][  T100]  __schedule+0x1/0x2',
         '[  1.0][  T100]  mutex_lock+0x1/0x2',
         '[  1.0][  T100]  dd_write+0x1/0x2',
         '[  1.0][  T100]  ret_from_fork+0x1/0x2']
    b = ['[  1.0][    C1] ------------[ cut here ]------------',
         '[  1.0][    C1] WARNING: CPU: 1 PID: 0 at net/x.c:1 x_timer+0x1/0x2',
         '[  1.0][    C1] Call Trace:',
         '[  1.0][    C1]  <IRQ>',
         '[  1.0][    C1]  x_timer+0x1/0x2',
         '[  1.0][    C1]  call_timer_fn+0x1/0x2',
         '[  1.0][    C1] ---[ end trace 0000000000000000 ]---']
    mixed = []
    for i in range(max(len(a), len(b))):
        mixed += a[i:i + 1] + b[i:i + 1]
    result = collect(mixed)
    assert _summary(result) == [
        ('hung_task', 'INFO: task hung in dd_write', 'dd', 100, 1, False),
        ('warning', 'WARNING in x_timer', None, 0, 1, False)]


def test_report_cut_by_another_report_is_corrupted_when_incomplete():
    lines = ['INFO: task dd:100 blocked for more than 120 seconds.',
             'Call Trace:',
             ' __schedule+0x1/0x2',
             'BUG: soft lockup - CPU#0 stuck for 22s! [x:1]',
             'RIP: 0010:x_loop+0x1/0x2',
             'Call Trace:',
             ' x_ioctl+0x1/0x2',
             ' __x64_sys_ioctl+0x1/0x2',
             ' do_syscall_64+0x1/0x2',
             ' entry_SYSCALL_64_after_hwframe+0x1/0x2']
    assert _summary(collect(lines)) == [
        ('hung_task', 'INFO: task hung', 'dd', 100, 1, True),
        ('soft_lockup', 'BUG: soft lockup in x_ioctl', 'x', 1, 1, False)]


def test_truncated_header_is_corrupted():
    result = collect(['INFO: task dd:3560 blocked for more'])
    assert _summary(result) == [('hung_task', 'INFO: task hung', None, None, 1, True)]


def test_user_space_lines_do_not_break_a_timestamped_report():
    lines = pf.text_lines('hung_task_rhel7.log')
    noisy = lines[:10] + ['[  OK  ] Started Session 3 of user root.', 'root@lab:~# '] + lines[10:]
    assert _summary(collect(noisy)) == EXPECTED['hung_task_rhel7.log']


def test_dev_kmsg_dictionary_lines_are_dropped():
    result = collect(pf.text_lines('kmsg_records.txt'))
    f = result['findings'][0]
    assert 'SUBSYSTEM' not in f['excerpt']
    assert f['first_seen'] == pytest.approx(150.000002)


def test_result_closes_open_reports_and_feed_never_raises():
    collector = FindingCollector()
    for junk in (None, 3, b'\xff\xfe', u'\u2603', 'x' * 100000, '\r\r\n', object()):
        collector.feed(junk)
    collector.feed('WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2')
    result = collector.result()
    assert [f['title'] for f in result['findings']] == ['WARNING in f']
    assert result['lines'] == 8


@pytest.mark.parametrize('text, title', [
    ('Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009', 'kernel panic: Attempted to kill init!'),
    ('Kernel panic - not syncing: Fatal exception in interrupt', 'kernel panic: Fatal exception in interrupt'),
    ('Kernel panic - not syncing: softlockup: hung tasks', 'kernel panic: softlockup: hung tasks'),
    ('Kernel panic - not syncing: kernel: panic_on_warn set ...', 'kernel panic: panic_on_warn set'),
    ('Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: foo_bar+0x1c/0x20',
     'kernel panic: stack is corrupted in foo_bar'),
    ('Kernel panic - not syncing: Watchdog detected hard LOCKUP on cpu 3',
     'kernel panic: Watchdog detected hard LOCKUP on cpu NUM'),
])
def test_panic_titles(text, title):
    result = collect([text])
    assert [(f['type'], f['title']) for f in result['findings']] == [('panic', title)]


def test_end_marker_of_a_panic_is_not_another_panic():
    result = collect(['Kernel panic - not syncing: Fatal exception',
                      '---[ end Kernel panic - not syncing: Fatal exception ]---'])
    assert result['counts'] == {'panic': 1}


@pytest.mark.parametrize('lines, expected', [
    (['BUG: unable to handle page fault for address: ffffffffc0a5f010', '#PF: supervisor read access in kernel mode',
      'Oops: 0000 [#1] PREEMPT SMP NOPTI', 'RIP: 0010:foo_read+0x10/0x40 [foo]', '---[ end trace 0 ]---'],
     ('bug', 'BUG: unable to handle kernel paging request in foo_read')),
    (['BUG: kernel NULL pointer dereference, address: 0000000000000008', 'Oops: 0002 [#1] SMP',
      'RIP: 0010:bar_write+0x10/0x40 [bar]'],
     ('bug', 'BUG: unable to handle kernel NULL pointer dereference in bar_write')),
    (['general protection fault: 0000 [#1] SMP', 'RIP: 0010:[<ffffffff8130a9d3>]  [<ffffffff8130a9d3>] baz+0x3/0x20'],
     ('bug', 'general protection fault in baz')),
    (['Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP',
      'RIP: 0010:qux+0x3/0x20'],
     ('bug', 'general protection fault in qux')),
    (['divide error: 0000 [#1] SMP', 'RIP: 0010:calc_ratio+0x3/0x20'], ('bug', 'divide error in calc_ratio')),
    (['PANIC: double fault, error_code: 0x0', 'RIP: 0010:deep_recursion+0x3/0x20'],
     ('bug', 'PANIC: double fault in deep_recursion')),
    (['double fault: 0000 [#1] SMP', 'RIP: 0010:[<ffffffff81000000>]  [<ffffffff81000000>] deep_recursion+0x3/0x20'],
     ('bug', 'PANIC: double fault in deep_recursion')),
    (['BUG: scheduling while atomic: dd/3560/0x00000002', 'Call Trace:', ' dump_stack+0x1/0x2',
      ' __schedule_bug+0x1/0x2', ' __schedule+0x1/0x2', ' schedule+0x1/0x2', ' foo_wait+0x1/0x2'],
     ('atomic_sleep', 'BUG: scheduling while atomic in foo_wait')),
    (['BUG: spinlock lockup suspected on CPU#0, dd/3560', 'Call Trace:', ' do_raw_spin_lock+0x1/0x2',
      ' _raw_spin_lock+0x1/0x2', ' foo_poll+0x1/0x2'],
     ('bug', 'BUG: spinlock lockup suspected in foo_poll')),
    (['BUG: using smp_processor_id() in preemptible [00000000] code: dd/3560', 'Call Trace:',
      ' dump_stack+0x1/0x2', ' check_preemption_disabled+0x1/0x2', ' debug_smp_processor_id+0x1/0x2',
      ' foo_count+0x1/0x2'],
     ('bug', 'BUG: using smp_processor_id() in preemptible code in foo_count')),
    (['BUG: KASAN: use-after-free in memcpy+0x1/0x2 at addr ffff8800aabbccdd',
      'Read of size 8 by task syz/123', 'Call Trace:', ' dump_stack+0x1/0x2', ' kasan_report+0x1/0x2',
      ' memcpy+0x1/0x2', ' foo_copy+0x1/0x2', '================================================================'],
     ('kasan', 'KASAN: use-after-free Read in foo_copy')),
    (['BUG: KASAN: double-free or invalid-free in kfree+0x1/0x2', 'Call Trace:', ' kfree+0x1/0x2',
      ' foo_release+0x1/0x2', '=================================================================='],
     ('kasan', 'KASAN: invalid-free in foo_release')),
    (['UBSAN: Undefined behaviour in net/foo.c:12:3', 'Call Trace:', ' dump_stack+0x1/0x2',
      ' ubsan_epilogue+0x1/0x2', ' __ubsan_handle_out_of_bounds+0x1/0x2', ' foo_index+0x1/0x2'],
     ('ubsan', 'UBSAN: undefined-behaviour in foo_index')),
    (['WARNING: at net/sched/sch_generic.c:261 dev_watchdog+0x26d/0x280() (Not tainted)'],
     ('warning', 'WARNING in dev_watchdog')),
    (['list_add corruption. prev->next should be next (ffff888012345678), but was 0000000000000000.',
      'WARNING: CPU: 0 PID: 1 at lib/list_debug.c:30 __list_add_valid+0x8f/0xa0', 'Call Trace:',
      ' __list_add_valid+0x8f/0xa0', ' foo_register+0x1/0x2', '---[ end trace 0 ]---'],
     ('warning', 'BUG: corrupted list in foo_register')),
    (['WARNING: CPU: 1 PID: 9 at mm/slab_common.c:935 kmalloc_large+0x12/0x90', 'Call Trace:',
      ' kmalloc_large+0x12/0x90', ' __kmalloc+0x1/0x2', ' foo_alloc_table+0x1/0x2'],
     ('warning', 'WARNING: kmalloc bug in foo_alloc_table')),
    (['[ INFO: possible recursive locking detected ]', '3.10.0 #1 Not tainted', '---------',
      'dd/1 is trying to acquire lock:', ' (&x->lock){+.+...}, at: [<ffffffff81000000>] foo_lock_twice+0x1/0x2',
      '', 'but task is already holding lock:', ' (&x->lock){+.+...}, at: [<ffffffff81000000>] foo_entry+0x1/0x2'],
     ('lockdep', 'possible deadlock in foo_lock_twice')),
    (['=====================================', '[ BUG: bad unlock balance detected! ]',
      'dd/1 is trying to release lock (&x->lock) at:', '[<ffffffff81000000>] foo_unlock+0x1/0x2'],
     ('lockdep', 'BUG: bad unlock balance in foo_unlock')),
    (['INFO: rcu_sched self-detected stall on CPU { 1}  (t=60000 jiffies g=1 c=0 q=5)',
      'CPU: 1 PID: 9 Comm: loop Not tainted 3.10.0 #1', 'Call Trace:',
      ' <IRQ>  [<ffffffff81000000>] dump_stack+0x19/0x1b', ' [<ffffffff81000000>] rcu_check_callbacks+0x1/0x2',
      ' [<ffffffff81000000>] update_process_times+0x1/0x2', ' [<ffffffff81000000>] tick_sched_timer+0x1/0x2',
      ' [<ffffffff81000000>] __hrtimer_run_queues+0x1/0x2', ' [<ffffffff81000000>] hrtimer_interrupt+0x1/0x2',
      ' [<ffffffff81000000>] smp_apic_timer_interrupt+0x1/0x2', ' [<ffffffff81000000>] apic_timer_interrupt+0x1/0x2',
      ' <EOI>  [<ffffffff81000000>] ? loop_fn+0x1/0x2', ' [<ffffffff81000000>] loop_fn+0x1/0x2',
      ' [<ffffffff81000000>] kthread+0x1/0x2', ' [<ffffffff81000000>] ret_from_fork+0x1/0x2'],
     ('rcu_stall', 'INFO: rcu detected stall in loop_fn')),
    (['BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 32s!'], ('bug', 'BUG: workqueue lockup')),
    (['VFS: Busy inodes after unmount of sda1. Self-destruct in 5 seconds.  Have a nice day...'],
     ('bug', 'VFS: Busy inodes after unmount')),
    (['BUG: Bad rss-counter state mm:00000000a1b2c3d4 type:MM_ANONPAGES val:1'], ('bug', 'BUG: Bad rss-counter state')),
    (['BUG: workqueue leaked lock or atomic: kworker/0:1/0x00000000/12', '     last function: foo_work_fn [foo]'],
     ('bug', 'BUG: workqueue leaked lock or atomic in foo_work_fn')),
    (['BUG: odd new check at fs/x.c:12', 'Call Trace:', ' dump_stack+0x1/0x2', ' x_check+0x1/0x2'],
     ('bug', 'BUG: odd new check in x_check')),
    (['Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008',
      'Internal error: Oops: 96000005 [#1] PREEMPT SMP', 'pc : arm_fn+0x10/0x40', 'lr : arm_caller+0x1/0x2'],
     ('bug', 'BUG: unable to handle kernel NULL pointer dereference in arm_fn')),
])
def test_more_report_forms(lines, expected):
    result = collect(lines)
    assert [(f['type'], f['title']) for f in result['findings']] == [expected]


def test_page_allocation_failure_is_not_a_report():
    lines = ['dd: page allocation failure: order:4, mode:0x10c0d0', 'CPU: 0 PID: 1 Comm: dd Not tainted 3.10.0 #1',
             'Call Trace:', ' dump_stack+0x1/0x2', ' warn_alloc_failed+0x1/0x2', ' __alloc_pages_nodemask+0x1/0x2',
             ' foo_grow+0x1/0x2']
    assert collect(lines)['findings'] == []
    # and it does not cut a report it is printed into
    hung = pf.text_lines('hung_task_rhel7.log')
    mixed = hung[:12] + ['[  602.123480] dd: page allocation failure: order:0, mode:0x0'] + hung[12:]
    assert _summary(collect(mixed)) == EXPECTED['hung_task_rhel7.log']


def test_generic_bug_without_a_stack_is_not_a_finding():
    # user space printing "BUG: ..." on the console must not become a kernel finding
    assert collect(['BUG: no syscalls can create resource fd'])['findings'] == []
    assert collect(['BUG: memory leak'])['findings'] == []


def test_sanitize_title():
    assert sanitize_title('Unable to mount root fs on unknown-block(253,9)') == \
        'Unable to mount root fs on unknown-block(NUM,NUM)'
    assert sanitize_title('bad address ffff888012345678 at foo.c:123') == 'bad address ADDR at foo.c:LINE'


def test_prefilter_covers_every_start_and_note():
    for fmt in kf.FORMATS:
        assert fmt.keys, fmt.name
    assert kf.match_start('nothing to see here') is None
    assert kf.match_note('INFO: lockdep is turned off.') == 'lockdep_off'


# ---- the table explains itself ------------------------------------------------------------
def test_report_format_fields_are_documented_with_explicit_defaults():
    from ansible_collections.kdebug.kernel.plugins.module_utils import report_format as rf
    names = [f[0] for f in rf.FIELDS]
    assert len(set(names)) == len(names)
    for name, _default, doc in rf.FIELDS:
        assert len(doc) > 20, name
    for fmt in kf.FORMATS:
        assert isinstance(fmt, rf.ReportFormat)
        assert set(fmt.spec) <= set(names)
        for name in names:
            assert hasattr(fmt, name), (fmt.name, name)
    assert 'alt_titles (default ())' in rf.field_doc()


@pytest.mark.parametrize('spec, message', [
    (dict(name='x', keys=('X',), start='X', oom=True), 'unknown keys oom'),
    (dict(name='x', keys=('X',)), 'start is required'),
    (dict(name='x', keys=('X',), start='X', parts=(('stak', None),)), "unknown part kind 'stak'"),
    (dict(name='x', keys=('X',), start='X', after='later'), "unknown after 'later'"),
    (dict(name='x', keys=('X',), start='X', extractor='stal'), "unknown extractor 'stal'"),
    (dict(name='x', keys=('X',), start='X', hooks='oom'), 'hooks must be a Hooks object'),
])
def test_report_format_rejects_what_the_engine_does_not_read(spec, message):
    from ansible_collections.kdebug.kernel.plugins.module_utils.report_format import ReportFormat
    with pytest.raises(ValueError, match=message):
        ReportFormat(**spec)


def test_hooks_reject_unknown_names():
    from ansible_collections.kdebug.kernel.plugins.module_utils.report_format import Hooks
    with pytest.raises(ValueError, match='unknown hooks on_line'):
        Hooks('x', on_line=len)


def test_the_engine_never_names_a_family():
    """No format name, finding type or family flag appears in the engine's code: what differs
    between reports lives in the table, the hooks and the title rules."""
    import inspect
    import io as _io
    import tokenize
    engine = ''.join(inspect.getsource(obj) for obj in (
        kf._FuncReader, kf._Report, kf.FindingCollector, kf._Scanner, kf.match_start, kf.collect))
    strings = set()
    names = set()
    for tok in tokenize.generate_tokens(_io.StringIO(engine).readline):
        if tok.type == tokenize.STRING:
            strings.add(tok.string.strip('\'"'))
        elif tok.type == tokenize.NAME:
            names.add(tok.string)
    families = set(f.name for f in kf.FORMATS) | set(kf.FINDING_TYPES) | {'oom', 'kasan', 'kmemleak', 'hung', 'kcsan'}
    assert not (strings & families)
    assert not (names & families)


def test_alt_titles():
    result = _by_file('rcu_stall_self_6x.log')
    assert result['findings'][0]['alt_titles'] == ['stall in bar_ioctl']
    hung = _by_file('hung_task_6x.log')['findings']
    assert [f['alt_titles'] for f in hung] == [['hang in do_get_write_access'], ['hang in ext4_buffered_write_iter']]
    assert _by_file('soft_lockup_6x.log')['findings'][0]['alt_titles'] == ['stall in foo_write']
    assert _by_file('hard_lockup_6x.log')['findings'][0]['alt_titles'] == ['stall in foo_poll_hw']
    # no function, no alternative; reports without a syzbot alternative have none
    assert collect(['INFO: task dd:3560 blocked for more'])['findings'][0]['alt_titles'] == []
    assert _by_file('warning_6x.log')['findings'][0]['alt_titles'] == []


def test_checker_titles_from_the_message_before_and_the_source():
    # x86 WARN(): the message comes before the WARNING line; the file identifies the checker
    f = _by_file('warning_6x.log')['findings'][1]
    assert f['details']['source'] == 'lib/refcount.c:28'
    assert f['function'] == 'baz_session_put'


# ---- bad input: a garbled frame line does not end a backtrace -----------------------------
@pytest.mark.parametrize('damage', [b'\x00\x00\x00\x00\x00\x00', b' ext4_\xff\xfeda_write_end+0x1/0x2',
                                    b' \xc3(\x00 dam\x00aged'])
def test_garbled_frame_line_is_skipped_and_marks_the_report_corrupted(damage):
    lines = pf.load('hung_task_rhel7.log').splitlines(True)
    # damage one frame line in the middle of the first stack
    idx = [i for i, ln in enumerate(lines) if b'mutex_lock_nested+' in ln][0]
    damaged = b''.join(lines[:idx + 1] + [lines[idx][:15] + damage + b'\n'] + lines[idx + 1:])
    f = collect(io.BytesIO(damaged))['findings'][0]
    clean = _by_file('hung_task_rhel7.log')['findings'][0]
    assert f['title'] == clean['title']
    assert f['stack'] == clean['stack']  # the rest of the stack was read
    assert f['corrupted'] is True
    assert clean['corrupted'] is False
    # the same through the line API
    collector = FindingCollector()
    for line in damaged.splitlines():
        collector.feed(line)
    g = collector.result()['findings'][0]
    assert (g['title'], g['stack'], g['corrupted']) == (clean['title'], clean['stack'], True)


def test_cut_here_closes_a_complete_report_without_losing_it():
    lines = ['Kernel panic - not syncing: Fatal exception', 'Kernel Offset: disabled',
             '------------[ cut here ]------------',
             'WARNING: CPU: 0 PID: 1 at drivers/x/x.c:1 x_fn+0x1/0x2', '---[ end trace 0000000000000000 ]---']
    assert _summary(collect(lines)) == [('panic', 'kernel panic: Fatal exception', None, None, 1, False),
                                        ('warning', 'WARNING in x_fn', None, 1, 1, False)]


# lines kmemleak prints about itself, written from mm/kmemleak.c of linux 6.1 (pr_fmt
# "kmemleak: "; kmemleak_init, kmemleak_disable/kmemleak_do_cleanup, mem_pool_alloc,
# create_object, __link_object/kmemleak_stop, start_scan_thread) and the 3.10 early log
@pytest.mark.parametrize('text, kind, note', [
    ('kmemleak: Kernel memory leak detector initialized (mem pool available: 15888)', 'initialized',
     'kmemleak_initialized'),
    ('kmemleak: Kernel memory leak detector disabled', 'disabled', 'kmemleak_disabled'),
    ('kmemleak: Cannot allocate a kmemleak_object structure', 'failure', 'kmemleak_alloc_failed'),
    ('kmemleak: Memory pool empty, consider increasing CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE', 'failure',
     'kmemleak_pool_empty'),
    ('kmemleak: Early log buffer exceeded (6400), please increase DEBUG_KMEMLEAK_EARLY_LOG_SIZE', 'failure',
     'kmemleak_early_log_exceeded'),
    ('kmemleak: Cannot insert 0xffff888012345678 into the object search tree (overlaps existing)', 'failure',
     'kmemleak_insert_failed'),
    ('kmemleak: Cannot allocate a scan area, scanning the full object', 'failure', 'kmemleak_internal_failure'),
    ('kmemleak: Kmemleak disabled without freeing internal data. Reclaim the memory with "echo clear > '
     '/sys/kernel/debug/kmemleak".', 'kept', 'kmemleak_disabled_kept'),
    ('kmemleak: Automatic memory scanning thread started', None, 'kmemleak_scan_thread_started'),
    ('kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)', None, None),
])
def test_kmemleak_log_patterns_come_from_the_note_table(text, kind, note):
    hits = [k for k, regex in kf.kmemleak_log_patterns() if regex.search(text)]
    assert (hits[0] if hits else None) == kind
    assert kf.note_kind(text) == note


def test_every_format_field_is_read_by_the_engine():
    """A field the engine does not read would be documentation that lies."""
    import inspect
    from ansible_collections.kdebug.kernel.plugins.module_utils import report_format as rf
    source = inspect.getsource(kf) + inspect.getsource(rf.ReportFormat)
    for name, _default, _doc in rf.FIELDS:
        assert re.search(r'(?:fmt|hit\[0\])\.%s\b' % name, source), name
    # hooks are called through fmt.hooks.<name>
    for hook in rf.Hooks.NAMES:
        assert 'hooks.%s' % hook in source, hook


def _fixture_messages():
    """The message text of every line of the kernel-log fixtures (parsers and module fixtures),
    as the engine sees it."""
    texts = set()
    for name in pf.KERNEL_LOG_FIXTURES:
        for ln in pf.text_lines(name):
            texts.add(parse_line(ln).text)
    mod_dir = os.path.join(os.path.dirname(pf.FIXTURE_DIR), 'modules')
    for name in sorted(os.listdir(mod_dir)):
        with open(os.path.join(mod_dir, name), 'rb') as f:
            for ln in f.read().decode('utf-8', 'replace').splitlines():
                texts.add(parse_line(ln).text)
    return sorted(texts)


# Lines of formats and notes no fixture file holds, written from the format strings of linux
# 6.1.192 (and 3.10 where it differs): mm/oom_kill.c out_of_memory ("Out of memory and no
# killable processes...\n"), kernel/hung_task.c check_hung_task ("Future hung task reports are
# suppressed, see sysctl kernel.hung_task_warnings\n"), mm/kmemleak.c (pr_fmt "kmemleak: ":
# kmemleak_do_cleanup, mem_pool_alloc, create_object, kmemleak_init of 3.10).
_KEY_LINES = (
    'Out of memory and no killable processes...',
    'Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings',
    'kmemleak: Kmemleak disabled without freeing internal data. Reclaim the memory with '
    '"echo clear > /sys/kernel/debug/kmemleak".',
    'kmemleak: Memory pool empty, consider increasing CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE',
    'kmemleak: Cannot insert 0xffff888004d2a000 into the object search tree (overlaps existing)',
    'kmemleak: Early log buffer exceeded (2048), please increase DEBUG_KMEMLEAK_EARLY_LOG_SIZE',
    'kmemleak: Cannot allocate a kmemleak_object structure',
    'kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
    'kmemleak: 1 new suspected memory leak (see /sys/kernel/debug/kmemleak)',
)


def test_every_fixture_line_a_format_or_note_matches_holds_one_of_its_keys():
    """The keys are the prefilter: a line whose start, loose or note regex matches must hold
    one of them, or the scanner never shows the line to the engine. Checked on every line of
    the fixtures (written from the kernel's format strings and captured in the lab) and on
    _KEY_LINES with the regexes alone, without the prefilter."""
    texts = _fixture_messages() + list(_KEY_LINES)
    seen = set()
    for text in texts:
        for fmt in kf.FORMATS:
            for regex in (fmt.start, fmt.loose):
                if regex is not None and regex.search(text):
                    seen.add(fmt.name)
                    assert any(k in text for k in fmt.keys), (fmt.name, fmt.keys, text)
        for kind, regex, keys in kf._NOTES:
            if regex.search(text):
                seen.add(kind)
                assert any(k in text for k in keys), (kind, keys, text)
    # every format and note whose keys are narrower than one word of its start line was seen
    assert {'oom_victim', 'oom_kill_old', 'oom_killed_old', 'oom_no_killable', 'oom_header',
            'kmemleak_new_leaks', 'kmemleak_record', 'hung_task_suppressed', 'lockdep_off',
            'kmemleak_disabled', 'kmemleak_disabled_kept', 'kmemleak_pool_empty', 'kmemleak_insert_failed',
            'kmemleak_early_log_exceeded', 'kmemleak_alloc_failed', 'kmemleak_initialized',
            'kmemleak_scan_thread_started', 'kmemleak_internal_failure'} <= seen, sorted(seen)


@pytest.mark.parametrize('text', _KEY_LINES)
def test_key_lines_are_found_in_a_file_as_in_lines(text):
    """The scanner (file path) finds what feed() (line path) finds on the lines above."""
    line = '[  100.000000] %s\n' % text
    buf = ('[   99.000000] benign line\n' * 3000 + line + '[  101.000000] benign\n' * 10).encode()
    by_lines = collect(buf.decode().splitlines())
    by_file = collect(io.BytesIO(buf))
    assert by_file['findings'] == by_lines['findings']
    assert by_file['notes'] == by_lines['notes']
    assert by_lines['findings'] or by_lines['notes'], text
