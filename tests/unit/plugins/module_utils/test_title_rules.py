# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""title_rules: each rule of the title data on its own (the fixtures under
tests/unit/fixtures/parsers prove them on whole reports, test_kernel_findings.EXPECTED)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils import title_rules as tr
from ansible_collections.kdebug.kernel.plugins.module_utils.frames import parse_frame
from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import collect

# one or more kernel functions (linux 6.1 names) per family of the shared skip list
SKIPPED = {
    'sanitizer': ('kasan_report', '__asan_load8', 'kmsan_report', 'kcsan_setup_watchpoint', '__ubsan_handle_shift',
                  'check_memory_region'),
    'reporting itself': ('dump_stack_lvl', 'show_stack', 'print_report', '__warn', 'warn_slowpath_fmt',
                         'report_bug', 'panic', 'exc_invalid_op', 'do_error_trap', 'handle_bug'),
    'page-fault entry': ('do_mem_abort', 'el1_abort', 'exc_page_fault', 'do_user_addr_fault', 'page_fault_oops'),
    'allocators': ('kmalloc_trace', '__kmalloc', 'kzalloc', 'kcalloc', 'kvmalloc_node', 'krealloc',
                   'kmem_cache_alloc', 'slab_alloc_node', 'alloc_pages', '__alloc_pages', 'folio_alloc',
                   'filemap_alloc_folio', '__filemap_get_folio', 'pagecache_get_page', 'find_get_page'),
    'frees': ('kfree', 'kvfree', 'kfree_skb_reason', '__kfree_skb', 'vfree'),
    'lock primitives': ('_raw_spin_lock', 'spin_lock_irqsave', '_raw_read_lock', '_raw_write_unlock_irqrestore',
                        'mutex_lock_nested', '__mutex_lock', 'rt_mutex_lock', 'down_read', 'down_write_killable',
                        '__down', 'up_write', 'up_read', 'osq_lock', 'lock_acquire', 'lock_release',
                        'validate_chain', 'check_noncircular', 'rwsem_down_write_slowpath',
                        'queued_spin_lock_slowpath'),
    'atomics and bit operations': ('atomic_inc', 'atomic64_add', 'arch_atomic_dec_and_test', 'test_and_set_bit',
                                   'clear_bit', '__set_bit', 'test_bit'),
    'refcount_ and kref_': ('refcount_warn_saturate', 'refcount_dec_and_test', 'kref_put', 'kref_get'),
    'string and memory helpers': ('memcpy', '__memset', 'memmove', 'memcmp', 'strcpy', 'strlen', 'strncmp',
                                  'strscpy', 'snprintf', 'vsnprintf', 'sprintf', 'kasprintf'),
    'user copies': ('copy_to_user', '_copy_from_user', 'copy_page_to_iter', '_copy_from_iter', '__get_user_4',
                    'put_user', 'might_fault', '__might_sleep', '__might_resched', 'strncpy_from_user'),
    'list and rbtree helpers': ('list_add', '__list_add_valid', 'list_del', '__list_del_entry_valid',
                                'rb_insert_color', 'rb_erase', '__rb_insert_augmented'),
    'printk and dev_* printing': ('printk', '_printk', 'vprintk_emit', 'dev_printk', '_dev_err', 'dev_warn',
                                  '__dev_printk', 'dev_vprintk_emit'),
    'workqueue and timer plumbing': ('queue_work_on', '__queue_work', 'insert_work', 'flush_work', '__flush_work',
                                     'cancel_work_sync', '__cancel_work_timer', 'cancel_delayed_work_sync',
                                     'del_timer_sync', 'mod_timer', '__mod_timer', 'add_timer'),
    'device-model teardown helpers': ('kobject_put', 'kobject_del', 'device_add', 'device_del',
                                      'device_unregister', 'sysfs_remove_group'),
    'completions and thread stop': ('wait_for_completion', 'wait_for_completion_timeout', '__wait_for_common',
                                    'complete', 'complete_all', 'finish_wait', 'kthread_stop'),
    'MMIO accessors': ('readb', 'readw', 'readl', 'readq', 'writeb', 'writew', 'writel', 'writeq',
                       'readl_relaxed', 'ioread32'),
    'stack walking': ('arch_stack_walk', 'stack_trace_save', 'unwind_next_frame', 'stack_depot_save'),
}
# kernel functions that are not infrastructure and must stay blamable
BLAMABLE = ('ext4_buffered_write_iter', 'stream_open', 'strp_data_ready', 'complete_request', 'readahead_expand',
            'writeback_sb_inodes', 'device_add_disk', 'listen_sock', 'mem_cgroup_charge', 'memory_region_check',
            'rbtree_walk', 'list_lru_walk', 'foo_write', 'xfs_ilock', 'tcp_sendmsg', 'refcounted_thing',
            'kthread_worker_fn', 'waiter_fn')


def test_every_family_has_samples_and_patterns():
    families = [name for name, patterns in tr.SKIP_FAMILIES]
    assert len(set(families)) == len(families)
    for name, patterns in tr.SKIP_FAMILIES:
        assert patterns, name
    for family in SKIPPED:
        assert any(name.startswith(family) or family in name for name in families), family
    assert tr.COMMON_SKIP == tuple(p for _n, ps in tr.SKIP_FAMILIES for p in ps)


@pytest.mark.parametrize('family', sorted(SKIPPED))
def test_shared_skip_list_covers_each_family(family):
    skip = tr.skip_regex()
    for func in SKIPPED[family]:
        assert skip.search(func), func


def test_shared_skip_list_leaves_real_code_blamable():
    skip = tr.skip_regex()
    for func in BLAMABLE:
        assert not skip.search(func), func


@pytest.mark.parametrize('func, title', [
    ('__x64_sys_ioctl', 'sys_ioctl'), ('__ia32_sys_ioctl', 'sys_ioctl'), ('__arm64_sys_ioctl', 'sys_ioctl'),
    ('__se_sys_ioctl', 'sys_ioctl'), ('__do_sys_ioctl', 'sys_ioctl'), ('SyS_write', 'sys_write'),
    ('sys_write', 'sys_write'), ('ksys_write', 'sys_write'), ('__sys_sendmsg', 'sys_sendmsg'),
    ('___sys_sendmsg', 'sys_sendmsg'), ('____sys_sendmsg', 'sys_sendmsg'), ('compat_SyS_ioctl', 'compat_sys_ioctl'),
    ('__ia32_compat_sys_ioctl', 'compat_sys_ioctl'), ('__do_compat_sys_ioctl', 'compat_sys_ioctl'),
    ('vfs_write', 'vfs_write'), ('sysfs_kf_write', 'sysfs_kf_write'), ('sys_', 'sys_'), (None, None),
])
def test_syscall_wrappers_are_named_by_the_syscall(func, title):
    assert tr.title_func(func) == title


def _frames(*names):
    return [parse_frame(' ? %s+0x1/0x2' % n[1:]) if n.startswith('?') else parse_frame(' %s+0x1/0x2' % n)
            for n in names]


def test_stall_starts_after_the_timer_interrupt_entry():
    # the detector's frames (<IRQ>) come before the entry; the interrupted code after it
    frames = _frames('?watchdog_timer_fn', 'bogus_above_entry', '?sysvec_apic_timer_interrupt',
                     '?asm_sysvec_apic_timer_interrupt', '?loop_fn', 'loop_caller', 'process_one_work', 'worker_thread')
    assert tr.stall_extractor(frames) == 'loop_caller'
    # only the first run of entry frames counts: a later interrupt entry (idle) is not the stall
    frames = _frames('?sysvec_apic_timer_interrupt', 'drain', 'poll', '__napi_poll', 'net_rx_action',
                     'sysvec_apic_timer_interrupt', 'asm_sysvec_apic_timer_interrupt', 'default_idle', 'do_idle')
    assert tr.stall_extractor(frames) == 'poll'
    # 3.10: apic_timer_interrupt then <EOI> and the interrupted frames
    frames = _frames('smp_apic_timer_interrupt', 'apic_timer_interrupt', '?spin_fn', 'spin_fn', 'kthread')
    assert tr.stall_extractor(frames) == 'spin_fn'


def test_stall_through_smp_call_function_is_named_by_it():
    frames = _frames('smp_call_function_many_cond', 'on_each_cpu_cond_mask', 'foo_flush', 'foo_ioctl',
                     '__x64_sys_ioctl')
    assert tr.stall_extractor(frames) == 'smp_call_function_many_cond'


@pytest.mark.parametrize('anchor', ['process_one_work', 'call_timer_fn', '__run_timers', '__do_softirq',
                                    'do_syscall_64', '__x64_sys_read', 'ksys_read', 'vfs_read', 'run_ksoftirqd',
                                    '__napi_poll', 'net_rx_action', 'tasklet_action_common'])
def test_stall_names_the_frame_above_each_anchor(anchor):
    assert tr.stall_extractor(_frames('spin_here', 'caller_above', anchor, 'below')) == 'caller_above'


@pytest.mark.parametrize('funcs, name', [
    (['corge_up', 'rtnl_lock', 'rtnetlink_rcv_msg'], 'rtnl_lock'),
    (['__synchronize_srcu', 'synchronize_srcu', 'kvm_destroy'], 'synchronize_rcu'),
    (['synchronize_net', 'unregister_netdevice_many'], 'synchronize_rcu'),
    (['synchronize_sched', 'x'], 'synchronize_rcu'),
    (['synchronize_rcu_expedited', 'x'], 'synchronize_rcu'),
    # otherwise the skips (substrings) of HANG_SKIP
    (['io_schedule', 'bit_wait_io', 'folio_wait_bit_common', 'filemap_fault_lock_x', 'do_read_cache'],
     'do_read_cache'),
    (['rwsem_down_read_slowpath', 'down_read', 'kthread_park', 'cancel_delayed_work_sync', 'rcu_barrier_tasks',
      'context_switch_x', 'foo_stop'], 'foo_stop'),
    (['wait_for_completion_io', 'x_wait_queue'], None),
])
def test_hang_buckets_and_skips(funcs, name):
    assert tr.hang_extractor(funcs) == name


def test_hang_skip_is_the_rule_list():
    assert tr.HANG_SKIP == ('sched', '_lock', '_slowlock', 'down', 'rwsem', 'completion', 'kthread', 'wait',
                            'synchronize', 'context_switch', '__switch_to', 'cancel_delayed_work', 'rcu_barrier')


@pytest.mark.parametrize('source, function, title', [
    ('lib/refcount.c', 'refcount_warn_saturate', 'WARNING: refcount bug in {FUNC}'),
    (None, 'refcount_warn_saturate', 'WARNING: refcount bug in {FUNC}'),
    ('lib/debugobjects.c', 'debug_print_object', 'WARNING: ODEBUG bug in {FUNC}'),
    ('lib/kobject.c', 'kobject_add_internal', 'WARNING: kobject bug in {FUNC}'),
    ('mm/usercopy.c', 'usercopy_warn', 'WARNING: bad usercopy in {FUNC}'),
    ('mm/util.c', 'kvmalloc_node', 'WARNING: kmalloc bug in {FUNC}'),
    ('mm/page_alloc.c', '__alloc_pages', 'WARNING: kmalloc bug in {FUNC}'),
    ('mm/vmalloc.c', '__vmalloc_node_range', 'WARNING: zero-size vmalloc in {FUNC}'),
    ('fs/proc/generic.c', 'proc_register', 'WARNING: proc registration bug in {FUNC}'),
    ('kernel/locking/lockdep.c', '__lock_acquire', 'WARNING: locking bug in {FUNC}'),
    ('kernel/watchdog.c', 'watchdog_overflow_callback', 'BUG: hard lockup in {FUNC}'),
    # not a checker: a WARN in mm/page_alloc.c outside an allocation, or in a driver
    ('mm/page_alloc.c', 'free_pcppages_bulk', None),
    ('drivers/net/foo.c', 'foo_tx_timeout', None),
])
def test_warning_checkers_by_site(source, function, title):
    hit = [c.title for c in tr.WARNING_CHECKERS if c.matches_site(source, function)]
    assert (hit[0] if hit else None) == title


def test_warning_checker_by_message_after_the_warning_line():
    # warn_slowpath_fmt (kernel/panic.c) prints WARN()'s message after the WARNING line; without
    # CONFIG_DEBUG_BUGVERBOSE the line has no FILE:LINE
    lines = ['------------[ cut here ]------------',
             'WARNING: CPU: 1 PID: 7101 at debug_print_object+0x8e/0xb0',
             'ODEBUG: free active (active state 0) object: ffff8f0a4d2e1c40 object type: timer_list hint: '
             'plugh_timeout+0x0/0x60 [plugh]',
             'CPU: 1 PID: 7101 Comm: plugh-test Tainted: G           OE      6.1.0-18-amd64 #1',
             'Call Trace:', ' <TASK>', ' debug_check_no_obj_freed+0x201/0x240', ' kfree+0xa8/0x2d0',
             ' plugh_destroy_ctx+0x3a/0x70 [plugh]', ' </TASK>', '---[ end trace 0000000000000000 ]---']
    assert [f['title'] for f in collect(lines)['findings']] == ['WARNING: ODEBUG bug in plugh_destroy_ctx']


@pytest.mark.parametrize('lines, title', [
    # mm/kasan/report.c "double-free or invalid-free" (and the 6.1 split forms)
    (['BUG: KASAN: double-free or invalid-free in kfree+0x1/0x2', 'Call Trace:', ' kfree+0x1/0x2',
      ' foo_release+0x1/0x2', '=' * 66], 'KASAN: invalid-free in foo_release'),
    (['BUG: KASAN: double-free in foo_release+0x1/0x2', 'Free of addr ffff888012345678 by task t/1',
      'Call Trace:', ' kfree+0x1/0x2', ' foo_release+0x1/0x2', '=' * 66], 'KASAN: double-free in foo_release'),
    # lib/ubsan.c before 5.x: "UBSAN: Undefined behaviour in %s:%d:%d"
    (['UBSAN: Undefined behaviour in drivers/foo/foo.c:12:3', 'Call Trace:', ' dump_stack+0x1/0x2',
      ' __ubsan_handle_out_of_bounds+0x1/0x2', ' foo_index+0x1/0x2'], 'UBSAN: undefined-behaviour in foo_index'),
    # arch/x86/mm/fault.c 3.10 and 6.1, arch/arm64/mm/fault.c
    (['BUG: unable to handle kernel paging request at ffffc90000123000', 'IP: [<ffffffff81000000>] foo_rd+0x1/0x2',
      'Oops: 0000 [#1] SMP'], 'BUG: unable to handle kernel paging request in foo_rd'),
    (['Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008',
      'Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP', 'pc : foo_rd+0x10/0x40'],
     'BUG: unable to handle kernel NULL pointer dereference in foo_rd'),
    (['Unable to handle kernel execute from non-executable memory at virtual address ffff000012345678',
      'pc : 0xffff000012345678', 'lr : foo_call+0x10/0x40'],
     'BUG: unable to handle kernel execute from non-executable memory'),
    # lockdep: 3.10 "[ BUG: ... ]" headers keep their word, 6.x "WARNING: ..."
    (['[ BUG: held lock freed! ]', 'dd/1 is freeing memory ffff8800aabbcc00-ffff8800aabbcfff, with a lock still '
      'held there!', ' (&x->lock){+.+...}, at: [<ffffffff81000000>] foo_free+0x1/0x2'],
     'BUG: held lock freed in foo_free'),
    (['WARNING: bad unlock balance detected!', 'dd/1 is trying to release lock (&x->lock) at:',
      '[<ffffffff81000000>] foo_unlock+0x1/0x2'], 'WARNING: bad unlock balance in foo_unlock'),
])
def test_wording(lines, title):
    assert [f['title'] for f in collect(lines)['findings']] == [title]


@pytest.mark.parametrize('header, title', [
    ('BUG: MAX_LOCKDEP_ENTRIES too low!', 'BUG: MAX_LOCKDEP_ENTRIES too low!'),
    ('BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 45s!', 'BUG: workqueue lockup'),
    ('BUG kmalloc-64 (Tainted: G    B  ): Poison overwritten', 'BUG: kmalloc-NUM: Poison overwritten'),
    ('BUG kmalloc-128 (Not tainted): Object already free', 'BUG: kmalloc-NUM: Object already free'),
])
def test_variable_parts_replaced(header, title):
    assert [f['title'] for f in collect([header])['findings']] == [title]


def test_equal_bugs_get_equal_titles():
    # two generic BUG: reports differing only in addresses and numbers merge into one finding
    a = ['BUG: odd state 0x1234abcd on cpu 3', 'Call Trace:', ' dump_stack+0x1/0x2', ' x_check+0x1/0x2']
    b = ['BUG: odd state 0x9999ffff on cpu 1', 'Call Trace:', ' dump_stack+0x1/0x2', ' x_check+0x1/0x2']
    findings = collect(a + b)['findings']
    assert [(f['title'], f['count']) for f in findings] == [('BUG: odd state ADDR in x_check', 2)]


def test_sanitize_replacements():
    assert tr.sanitize_title('unknown-block(253,9) at ffff888012345678 fs/x.c:12') == \
        'unknown-block(NUM,NUM) at ADDR fs/x.c:LINE'
    assert tr.sanitize_title('CPU#3 stuck') == 'CPU stuck'


def test_every_skip_list_compiles():
    # skip matchers compile on first use: make every one of the table's compile here
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kf
    for fmt in kf.FORMATS:
        assert fmt.skip.search('dump_stack_lvl'), fmt.name
        assert not fmt.skip.search('zz_unknown_fn'), fmt.name
        for checker, skip in fmt.checkers:
            assert skip.search('dump_stack_lvl') and not skip.search('zz_unknown_fn'), checker.title


def test_stall_printed_from_an_nmi_reads_the_whole_stack():
    # the stalled code runs inside the timer interrupt (an hrtimer callback): a report printed
    # from an NMI (hard lockup, another CPU's RCU stall report) must not skip it
    frames = _frames('plugh_hrtimer_fn', '__hrtimer_run_queues', 'hrtimer_interrupt', 'sysvec_apic_timer_interrupt',
                     'asm_sysvec_apic_timer_interrupt', 'default_idle', 'do_idle')
    skip = tr.skip_regex(tr.STALL_SKIP)
    assert tr.stall_extractor(frames, skip, after_entry=False) == 'plugh_hrtimer_fn'
    assert tr.guilty_frame(frames, skip, 'stall_nmi') == 'plugh_hrtimer_fn'
    assert tr.guilty_frame(frames, skip, 'stall') == 'default_idle'


def test_stall_skip_keeps_callbacks_named_after_the_machinery():
    # RCU callbacks and timer callbacks of drivers are the stalled code, not the detector
    skip = tr.skip_regex(tr.STALL_SKIP)
    for func in ('foo_free_rcu', 'plugh_hrtimer_fn', 'bar_watchdog_work', 'qux_rcu_cb'):
        assert not skip.search(func), func
    for func in ('rcu_do_batch', 'rcu_core', 'rcu_sched_clock_irq', '__hrtimer_run_queues', 'hrtimer_interrupt',
                 'watchdog_timer_fn', 'nmi_cpu_backtrace', 'csd_lock_wait'):
        assert skip.search(func), func


def test_warning_checker_by_message_before_the_warning_line():
    # x86 WARN(): __warn_printk prints the message, then the trap prints the WARNING line;
    # kernel/sched/core.c:preempt_count_sub's DEBUG_LOCKS_WARN_ON is outside kernel/locking/
    text = ('[ 5.000001] ------------[ cut here ]------------\n'
            '[ 5.000002] DEBUG_LOCKS_WARN_ON(val > preempt_count())\n'
            '[ 5.000003] WARNING: CPU: 1 PID: 77 at kernel/sched/core.c:5750 preempt_count_sub+0x5e/0xa0\n'
            '[ 5.000004] CPU: 1 PID: 77 Comm: quux-test Tainted: G        W  OE      6.1.0-18-amd64 #1\n'
            '[ 5.000005] RIP: 0010:preempt_count_sub+0x5e/0xa0\n'
            '[ 5.000006] Call Trace:\n'
            '[ 5.000007]  <TASK>\n'
            '[ 5.000008]  _raw_spin_unlock+0x19/0x40\n'
            '[ 5.000009]  quux_drop+0x2c/0x60 [quux]\n'
            '[ 5.000010]  </TASK>\n'
            '[ 5.000011] ---[ end trace 0000000000000000 ]---\n')
    import io
    by_file = collect(io.BytesIO(text.encode()))['findings']
    by_lines = collect(text.splitlines())['findings']
    assert [f['title'] for f in by_file] == [f['title'] for f in by_lines] == [
        'WARNING: locking bug in preempt_count_sub']
    # a message that names no checker leaves the plain WARNING title
    later = text.replace('DEBUG_LOCKS_WARN_ON(val > preempt_count())', 'foo: link reset')
    assert [f['title'] for f in collect(io.BytesIO(later.encode()))['findings']] == ['WARNING in preempt_count_sub']
