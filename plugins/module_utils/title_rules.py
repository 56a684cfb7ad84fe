# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules that turn a report's stack into its title, as data (syzbot's conventions).

A title names the *guilty frame*: the first frame of the report's relevant stack whose
function is not infrastructure. What counts as infrastructure, which stack is relevant and
how a frame's name is written are facts listed here, once:

- SKIP_FAMILIES: the shared skip list, one entry per family of kernel infrastructure, applied
  to every report (COMMON_SKIP is their union). Report kinds add their own lists (the
  ``*_SKIP`` tuples below, which the report table points to).
- SYSCALL_PREFIXES: syscall wrappers are named by the syscall (``__x64_sys_ioctl`` ->
  ``sys_ioctl``).
- STALL_ENTRIES / STALL_ANCHORS / STALL_NAMED_ANCHORS: RCU stalls and lockups loop across
  several functions; the stalled CPU's stack after the timer-interrupt entry (for reports the
  stalled CPU prints from its timer interrupt: soft lockups, self-detected RCU stalls; the
  whole stack for those printed from an NMI) is walked down to the first dispatch anchor and
  the frame just above it is named.
- HANG_BUCKETS / HANG_SKIP: hung tasks manifest on victims; common waits are bucketed.
- WARNING_CHECKERS: WARN()s of well-known checkers are titled by the checker.
- TITLE_REPLACEMENTS: variable parts of a title (addresses, numbers, sizes) replaced.

Patterns are regexes on a function name (``^`` anchors at its start). Stdlib only;
Python 2.7 and 3.6+.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.kdebug.kernel.plugins.module_utils.lazy_regex import lazy

# ---------------------------------------------------------------------------------------
# The shared skip list, by family: (family, patterns). Every report kind uses all of them.
SKIP_FAMILIES = (
    ('sanitizer and KASAN/KMSAN/KCSAN internals',
     (r'__sanitizer', r'__asan', r'kasan', r'hwasan', r'__msan', r'kmsan', r'kcsan_', r'^__tsan',
      r'check_memory_region', r'check_heap_object', r'check_object', r'read_word_at_a_time',
      r'(?:read|write)_once_.*nocheck', r'print_address_description', r'^__ubsan_handle', r'^ubsan_',
      r'^kfence_', r'^__kfence_', r'^should_fail', r'^should_fail_', r'^fail_dump')),
    ('reporting itself (dump_stack, show_stack, print_report, __warn, warn_slowpath, report_bug, '
     'panic, invalid_op, do_error_trap)',
     (r'dump_stack', r'show_stack', r'show_trace', r'^show_regs', r'^__show_regs', r'^print_stack_trace',
      r'^printk', r'^vprintk', r'^_printk', r'^console_', r'^__warn_printk', r'^warn_slowpath', r'^__warn$',
      r'warn_alloc', r'warn_bogus', r'^__warn', r'^report_', r'report_bug', r'^print_report', r'^end_report',
      r'^start_report', r'^panic$', r'^nmi_panic', r'^__panic', r'invalid_op', r'fixup_bug', r'fixup_exception',
      r'^do_error', r'_trap$', r'^do_trap', r'^handle_bug', r'^exc_', r'^asm_exc_', r'^die$', r'^__die',
      r'^oops_', r'^do_general_protection', r'^do_invalid_op', r'^general_protection$', r'^bug_handler',
      r'^__bug$', r'^bug_')),
    ('page-fault entry (x86 and arm64: do_mem_abort, el1_abort)',
     (r'^do_page_fault', r'^__do_page_fault', r'^page_fault$', r'^exc_page_fault', r'^handle_page_fault',
      r'^no_context$', r'^__bad_area', r'^bad_area', r'^kernelmode_fixup_or_oops', r'^page_fault_oops',
      r'^do_user_addr_fault', r'^do_kern_addr_fault', r'^async_page_fault', r'^do_mem_abort$', r'^el1_abort$',
      r'^el1h_64_sync', r'^el1_da$', r'^__do_kernel_fault', r'^die_kernel_fault', r'^do_translation_fault',
      r'^do_bad_area', r'^do_sea$')),
    ('allocators (kmalloc/kzalloc/kcalloc/kvmalloc, krealloc, kmem_cache, slab_, alloc_pages, '
     'folio allocation, page-cache lookups)',
     (r'alloc_page', r'^k?v?(?:m|z|c)alloc', r'^__k?v?(?:m|z|c)alloc', r'^krealloc', r'^__krealloc',
      r'kmem_cache', r'allocate_slab', r'^new_slab', r'^slab_', r'^___slab_', r'^__slab_', r'^kmalloc',
      r'^__kmalloc', r'^kmem_', r'^__kmem_', r'^vmalloc', r'^__vmalloc', r'^kvzalloc', r'^kmemdup',
      r'^kstrdup', r'^kstrndup', r'^__get_free_pages', r'^get_zeroed_page', r'^__alloc_pages', r'^alloc_pages',
      r'^__folio_alloc', r'^folio_alloc', r'^vma_alloc_folio', r'^filemap_alloc_folio', r'^__filemap_get_folio',
      r'^filemap_get_folio', r'^pagecache_get_page', r'^find_(?:get|lock|or_create)_page', r'^grab_cache_page',
      r'^get_page_from_freelist', r'^__rmqueue', r'^rmqueue', r'^slob_', r'^cache_alloc', r'^____cache_alloc',
      r'^__do_cache_alloc', r'^fallback_alloc', r'^mempool_alloc', r'^__alloc_skb', r'^__kmalloc_reserve',
      r'^kmalloc_reserve', r'^pcpu_alloc', r'^__alloc_percpu', r'^alloc_percpu', r'^__kmalloc_node')),
    ('frees (kfree/kvfree/kfree_skb)',
     (r'^kfree$', r'^kfree_', r'^__kfree', r'^kvfree', r'^vfree', r'^__vfree')),
    ('lock primitives (spin/read/write lock and unlock, mutex_, rt_mutex_, down/up, osq, '
     'lock_acquire, lock_release, lockdep internals)',
     (r'print_unlock', r'imbalance_bug', r'lockdep', r'^check_noncircular', r'^check_prev_add', r'^check_prevs_add',
      r'^validate_chain', r'^__lock_acquire', r'^lock_acquire', r'^lock_release', r'^__lock_release',
      r'^lock_acquired', r'^lock_contended', r'lock_class', r'^mark_lock', r'(?:reacquire|mark)_held_locks',
      r'^print_circular_bug', r'^print_deadlock_bug', r'^print_usage_bug', r'^print_bad_irq_dependency',
      r'^check_deadlock', r'^check_irq_usage', r'^check_usage', r'^valid_state', r'^mark_usage', r'^debug_check_',
      r'^check_flags', r'^print_lock', r'^debug_show_', r'^trace_hardirqs', r'^trace_softirqs',
      r'bh_enable', r'bh_disable', r'raw_spin_rq', r'spin_lock', r'spin_trylock', r'spin_unlock', r'^_raw_',
      r'^__raw_spin', r'^__raw_read', r'^__raw_write_(?:lock|unlock|trylock)', r'^do_raw_',
      r'^queued_spin', r'^native_queued_spin', r'^__pv_queued_spin', r'^pv_queued_spin', r'^queued_read',
      r'^queued_write', r'read_lock', r'read_trylock', r'write_lock', r'write_trylock', r'read_unlock',
      r'write_unlock', r'^down$', r'^down_', r'^__down', r'^rwsem_', r'^__rwsem_', r'^up$', r'^up_read',
      r'^up_write', r'^mutex_', r'^__mutex_', r'^rt_mutex_', r'^__rt_mutex_', r'^rt_spin_', r'owner_on_cpu',
      r'^osq_lock', r'^osq_unlock', r'^percpu_down_', r'^percpu_up_', r'^__percpu_down_', r'^__percpu_rwsem',
      r'^ww_mutex_', r'^__ww_mutex_', r'^lock_sock_nested$', r'^__lock_sock$', r'^lock_timer_base',
      r'^rcu_read_lock', r'^rcu_read_unlock', r'^__rcu_read_')),
    ('atomics and bit operations',
     (r'^atomic(?:64|_long)?_', r'^arch_atomic', r'^raw_atomic', r'^(?:__)?(?:test_and_)?(?:set|clear|change)_bit',
      r'^test_bit', r'^arch_test_bit', r'^generic_test_bit', r'^instrument_atomic', r'^atomic_dec_and_')),
    ('refcount_ and kref_',
     (r'^refcount_', r'^__refcount_', r'^kref_')),
    ('string and memory helpers (mem*, str*, snprintf, kasprintf)',
     (r'^(?:__)?mem(?:cpy|set|move|cmp|chr|scan|dup)', r'^(?:__)?(?:str|strn|strl|strs)(?:cpy|cmp|cat|len|chr|rchr|str|'
      r'casecmp|sep|spn|cspn|pbrk|dup|ndup)', r'^__fortify', r'^fortify_', r'^__read_once_size',
      r'^__write_once_size', r'^v?s?n?printf$', r'^v?scnprintf$', r'^sprintf$', r'^kasprintf', r'^kvasprintf')),
    ('user copies (copy_to/from_user, copy_*_iter, get/put_user, might_fault, might_sleep)',
     (r'^_?copy_(?:to|from)_user', r'^__copy_(?:to|from)_user', r'^copy_user_', r'^_?_?copy_\w*_iter',
      r'^__get_user', r'^__put_user', r'^get_user', r'^put_user', r'^rep_movs', r'^strncpy_from_user',
      r'^__check_object_size', r'^check_copy_size', r'__might_fault', r'^might_fault', r'__might_sleep',
      r'^__might_resched', r'^___might_sleep', r'^might_sleep', r'^__cant_sleep')),
    ('list and rbtree helpers (list_add, list_del, the __list_*_valid checks, rb_)',
     (r'^(?:__)?list_(?:add|del)', r'^__list_\w+_valid', r'^rb_', r'^__rb_')),
    ('printk and dev_* printing',
     (r'^_?_?dev_printk', r'^dev_vprintk', r'^_?dev_(?:emerg|alert|crit|err|warn|notice|info|dbg)$',
      r'^__dynamic_(?:pr|dev|netdev)_dbg')),
    ('workqueue and timer plumbing (queue_work, insert_work, flush_work, cancel_work_sync, del_timer, '
     'mod_timer)',
     (r'^_?_?queue_work', r'^_?_?queue_delayed_work', r'^insert_work$', r'^_?_?flush_work$', r'^__flush_workqueue',
      r'^_?_?cancel_work', r'^_?_?cancel_delayed_work', r'^(?:try_to_)?del_timer', r'^_?_?mod_timer',
      r'^add_timer')),
    ('device-model teardown helpers (kobject_, device_add/del/unregister, sysfs_remove)',
     (r'^kobject_', r'^kobj_', r'^device_add$', r'^device_del$', r'^device_unregister$', r'^sysfs_remove')),
    ('completions and thread stop (wait_for_completion, complete, finish_wait, kthread_stop)',
     (r'^wait_for_completion', r'^_?_?wait_for_common', r'^complete$', r'^complete_all$', r'^finish_wait$',
      r'^kthread_stop')),
    ('MMIO accessors (readb..writeq)',
     (r'^(?:__raw_)?(?:read|write)[bwlq](?:_relaxed)?$', r'^io(?:read|write)(?:8|16|32|64)')),
    ('stack walking and tracing',
     (r'stack_trace_', r'^save_stack', r'^stack_depot', r'^__stack_depot', r'^arch_stack_walk', r'^unwind_',
      r'^__unwind', r'^print_context_stack', r'^dump_trace', r'^show_trace_log_lvl', r'^perf_trace', r'^trace_',
      r'^__trace_', r'^__x86_indirect_thunk', r'^__x86_return_thunk', r'^__fentry__', r'^ftrace_',
      r'debug_object', r'^timer_is_static_object', r'^work_is_static_object', r'^__debug_')),
    ('scheduling and wake-ups',
     (r'^__wake_up', r'^wake_up_', r'^__schedule', r'^schedule$', r'^schedule_', r'^io_schedule',
      r'^preempt_schedule', r'^__cond_resched', r'^_cond_resched', r'^cond_resched', r'^context_switch',
      r'^__switch_to', r'^switch_to', r'^finish_task_switch')),
    ('syscall, thread and interrupt entry',
     (r'^entry_SYSCALL', r'^do_syscall_', r'^__do_fast_syscall', r'^do_fast_syscall', r'^do_int80_syscall',
      r'^system_call', r'^syscall_', r'^x64_sys_call', r'^ret_from_fork', r'^kthread$', r'^kernel_thread',
      r'^entry_INT80', r'^entry_SYSENTER', r'^tracesys', r'^int_ret_from_sys_call', r'^el0_', r'^el1_',
      r'^invoke_syscall', r'^do_el0_svc', r'^el0t_', r'^ret_fast_syscall', r'^ret_from_kernel_thread',
      r'^__sysvec_', r'^sysvec_', r'^asm_sysvec_', r'^asm_common_interrupt', r'^irq_exit', r'^__irq_exit',
      r'^smp_apic_timer_interrupt', r'^apic_timer_interrupt', r'^common_interrupt$', r'^ret_from_intr',
      r'^nmi_', r'^do_nmi', r'^end_repeat_nmi', r'^repeat_nmi', r'^default_do_nmi', r'^exc_nmi',
      r'^asm_exc_nmi', r'^nmi$', r'^memory_failure$')),
)

#: the shared skip list: every family above
COMMON_SKIP = tuple(p for _family, patterns in SKIP_FAMILIES for p in patterns)

# ---------------------------------------------------------------------------------------
# Per report kind: frames never blamed in addition to COMMON_SKIP (the report table points here).
#: lockdep reports: the work item machinery that lockdep shows as a lock
LOCKDEP_SKIP = ('process_one_work', 'flush_workqueue', 'drain_workqueue', 'destroy_workqueue',
                '^flush_work$', '^__flush_work', '^start_flush_work')
#: suspicious RCU usage: the RCU accessors that carry the check
RCU_USAGE_SKIP = (r'^rcu_', r'_rcu_', r'^__rcu', r'rcu_dereference', r'^lockdep_rcu', r'^rcu_read_lock_held',
                  r'kmem', r'slab')
#: lockdep's "trying to register non-static key" and key checks
LOCKDEP_KEY_SKIP = (r'register_lock_class', r'lockdep_init_map', r'^__lock_acquire', r'__lockdep_init_map',
                    r'^lockdep_')
#: sleeping in atomic context: the might_sleep() family
ATOMIC_SLEEP_SKIP = (r'might_sleep', r'might_resched', r'might_fault', r'^__cond_resched', r'might_lock')
SCHEDULE_SKIP = (r'schedule',)
#: stalls and lockups: timer, watchdog and RCU machinery that reports the stall
STALL_SKIP = ('apic_timer_interrupt', r'^(?:__)?rcu_', r'^rcu$', r'_rcu_(?:core|do_batch|sched_clock_irq)',
              r'^print_other_cpu_stall', r'^check_cpu_stall', r'^(?:__)?hrtimer_', r'^tick_', r'^watchdog',
              r'^__watchdog', r'^softlockup', r'^lockup_detector', r'^is_softlockup', 'update_process_times',
              'scheduler_tick', 'timer_interrupt', '^touch_', '^irq_exit', '^__irq_exit', '^handle_irq',
              '^__handle_irq', r'^handle_\w+_irq$', '^do_IRQ$', '^common_interrupt', '^__sysvec', '^sysvec',
              '^asm_', 'perf_event', r'^nmi_', r'^__nmi_', r'_nmi$', r'^do_nmi', r'^default_do_nmi', r'^exc_nmi',
              '^intel_pmu', '^x86_pmu', '^handle_pmi', '^local_apic', 'backtrace', '^dump_cpu_task',
              '^sched_show_task', '^show_regs', '^print_cpu_stall', r'^csd_lock')
#: the OOM killer: the allocation and fault paths that invoke it
OOM_SKIP = ('oom', 'out_of_memory', 'alloc', 'page', 'mem_cgroup', 'memcg', 'charge', 'reclaim', 'shrink',
            'compact', 'dump_header', 'folio', 'filemap_fault', 'handle_mm_fault', '__handle_mm_fault',
            'do_anonymous', 'do_fault', 'do_read_fault', 'do_cow_fault', 'do_swap_page', 'fault',
            'pte_alloc', 'get_user_pages', 'populate', 'gup')
KASAN_SKIP = (r'^slab_', r'^kfree', r'^vunmap', r'^vfree', r'^kasan', r'^__kasan', r'^check_memory_region',
              r'^memcpy', r'^memmove', r'^memset', r'^__asan', r'^__hwasan', r'^___cache_free',
              r'^__cache_free', r'^cache_free')
KFENCE_SKIP = (r'^kfence', r'^__kfence', r'^kfree', r'^kmem_cache_free')
KMSAN_SKIP = (r'^kmsan', r'^__msan')
UBSAN_SKIP = (r'ubsan', r'overflow', r'^__ubsan', r'^handle_')
KERNEL_BUG_SKIP = (r'^__list_\w+_valid', r'^__list_del_entry_valid', r'^__list_add_valid',
                   r'^__check_object_size', r'^usercopy_abort', r'^__bug$', r'^bug_')
SPINLOCK_BUG_SKIP = (r'spin_', r'_lock', r'_unlock', r'^do_raw_', r'^spin_', r'^rwlock_', r'^__spin')
PREEMPTIBLE_SKIP = (r'dump_stack', r'preempt', r'processor_id', r'this_cpu_', r'check_preemption_disabled',
                    r'^debug_smp')
BAD_PAGE_SKIP = (r'bad_page', r'free_page', r'free_pcp', r'^__free_', r'free_unref', r'release_pages', r'put_page',
                 r'folio_put', r'^free_', r'check_new_page', r'page_', r'^__page', r'print_bad_pte', r'zap_',
                 r'unmap_', r'^vm_normal_page', r'^__folio', r'^folio_', r'^mmput', r'^exit_mmap', r'^__mmput')
#: kmemleak allocation frames (syzkaller: "BUG: memory leak")
KMEMLEAK_SKIP = (r'kmemleak', r'mmap', r'kmem', r'slab', r'alloc', r'create_object', r'idr_get',
                 r'list_lru_init', r'kasprintf', r'kvasprintf', r'pcpu_create_chunk', r'strdup',
                 r'strndup', r'memdup', r'^__kmalloc', r'^kmalloc', r'^kzalloc', r'^__do_kmalloc')

# ---------------------------------------------------------------------------------------
#: syscall wrappers are named by the syscall: (prefix regex, replacement). The first that
#: matches is applied (the compat forms first): ``__x64_sys_ioctl``, ``__se_sys_ioctl``,
#: ``__do_sys_ioctl``, ``SyS_ioctl``, ``ksys_ioctl``, ``__sys_ioctl`` all become ``sys_ioctl``;
#: ``compat_SyS_ioctl``, ``__ia32_compat_sys_ioctl`` become ``compat_sys_ioctl``.
SYSCALL_PREFIXES = (
    (r'^(?:__(?:x64|ia32|arm64|x32)_|__se_|__do_|SyS_|SYSC_)?compat_(?:SyS_|SYSC_|sys_)', 'compat_sys_'),
    (r'^compat_SyS_', 'compat_sys_'),
    (r'^__(?:x64|ia32|arm64|x32)_sys_', 'sys_'),
    (r'^__se_sys_', 'sys_'),
    (r'^__do_sys_', 'sys_'),
    (r'^SyS_', 'sys_'),
    (r'^SYSC_', 'sys_'),
    (r'^_{2,4}sys_', 'sys_'),
    (r'^ksys_', 'sys_'),
)

# ---------------------------------------------------------------------------------------
# Stalls and lockups (RCU stalls, soft and hard lockups).
#: the timer-interrupt entry: the stalled code is what the stack shows after (below) it
STALL_ENTRIES = (r'^asm_sysvec_apic_timer_interrupt$', r'^apic_timer_interrupt$', r'^smp_apic_timer_interrupt$',
                 r'^sysvec_apic_timer_interrupt$', r'^el1_interrupt$', r'^el1h_64_irq', r'^gic_handle_irq$',
                 r'^asm_common_interrupt$')
#: dispatch anchors: the title names the frame just above the first of them
STALL_ANCHORS = (
    # work, timer and softirq dispatch
    r'^process_one_work$', r'^worker_thread$', r'^__run_timers', r'^run_timer_softirq$', r'^call_timer_fn$',
    r'^expire_timers$', r'^__run_hrtimer$', r'^__hrtimer_run_queues$', r'^hrtimer_run_softirq$',
    r'^run_ksoftirqd$', r'^smpboot_thread_fn$', r'^handle_irq', r'^do_softirq', r'^__do_softirq$',
    r'^handle_softirqs$', r'^net_rx_action$', r'^__napi_poll$', r'^tasklet_action', r'^smp_call_function',
    # syscall entries and the syscall layer
    r'^do_syscall_', r'^do_fast_syscall', r'^entry_SYSCALL', r'^system_call', r'^__do_sys_', r'^__do_compat_sys_',
    r'^__x64_sys_', r'^__ia32_sys_', r'^__arm64_sys_', r'^__se_sys_', r'^(?:__)?(?:x64_|ia32_|arm64_)?(?:compat_)?sys_',
    r'^SyS_', r'^compat_SyS_', r'^ksys_', r'^__sys_', r'^vfs_', r'^do_sync_(?:read|write)', r'^do_vfs_ioctl',
    r'^do_sys_', r'^do_filp_open', r'^path_openat', r'^do_iter_', r'^invoke_syscall', r'^el0_svc',
)
#: anchors that name the stall themselves (the frame above them is IPI waiting)
STALL_NAMED_ANCHORS = (r'^smp_call_function',)

# ---------------------------------------------------------------------------------------
# Hung tasks.
#: buckets: a stack through the anchor (substring) is titled by the bucket's name
HANG_BUCKETS = (('rtnl_lock', 'rtnl_lock'), ('synchronize_rcu', 'synchronize_rcu'),
                ('synchronize_srcu', 'synchronize_rcu'), ('synchronize_net', 'synchronize_rcu'),
                ('synchronize_sched', 'synchronize_rcu'))
#: otherwise frames whose names contain any of these are skipped
HANG_SKIP = ('sched', '_lock', '_slowlock', 'down', 'rwsem', 'completion', 'kthread', 'wait', 'synchronize',
             'context_switch', '__switch_to', 'cancel_delayed_work', 'rcu_barrier')

# ---------------------------------------------------------------------------------------


class Checker(object):
    """A well-known checker whose WARN()s (and BUG()s) get a title of their own.

    title: the title, ``{FUNC}`` the guilty frame.
    source: regex on the ``FILE`` of ``WARNING: CPU: N PID: N at FILE:LINE FUNC`` (or of
        ``kernel BUG at FILE:LINE``); None: any source.
    function: regex on the ``FUNC`` of that line; None: any function. A checker with a source
        or a function matches when both (those given) match.
    message: regex on a line of the report before its stack (3.10 prints WARN()'s message
        after the WARNING line); None: no message identifies it.
    skip: the checker's own frames, never blamed.
    becomes: name of the report format the report turns into (3.10 hard lockups are WARN()s).
    """

    def __init__(self, title, source=None, function=None, message=None, skip=(), becomes=None):
        self.title = title
        self.source = lazy(None, source) if source else None
        self.function = lazy(None, function) if function else None
        self.message = lazy(None, message) if message else None
        self.skip = tuple(skip)
        self.becomes = becomes

    def matches_site(self, source, function):
        """True when the WARNING line's FILE and FUNC identify this checker."""
        if self.source is None and self.function is None:
            return False
        if self.source is not None and not (source and self.source.search(source)):
            return False
        if self.function is not None and not (function and self.function.search(function)):
            return False
        return True

    def matches_message(self, text):
        return self.message is not None and self.message.search(text) is not None


#: WARNING checkers, in order (the first that matches the source or a message line wins);
#: written from lib/list_debug.c, lib/refcount.c (REFCOUNT_WARN "refcount_t: "),
#: lib/debugobjects.c (pr_fmt "ODEBUG: "), lib/kobject.c ("kobject: "), mm/usercopy.c,
#: mm/vmalloc.c:__vmalloc_node_range (WARN_ON_ONCE(!size)), mm/page_alloc.c:__alloc_pages
#: (order >= MAX_ORDER), mm/util.c:kvmalloc_node, fs/proc/generic.c:proc_register
#: ("proc_dir_entry '%s/%s' already registered"), kernel/locking/ (DEBUG_LOCKS_WARN_ON) and
#: kernel/watchdog.c of linux 6.1 ("WARNING: suspicious RCU usage" is lockdep's own report,
#: kernel/locking/lockdep.c:lockdep_rcu_suspicious, a format of its own)
WARNING_CHECKERS = (
    Checker('BUG: corrupted list in {FUNC}', source=r'^lib/list_debug\.c$', function=r'^__list_',
            message=r'^list_(?:add|del) corruption', skip=(r'list_',)),
    Checker('WARNING: refcount bug in {FUNC}', source=r'^lib/refcount\.c$', message=r'^refcount_t: ',
            skip=(r'refcount',)),
    Checker('WARNING: refcount bug in {FUNC}', function=r'^refcount_warn_saturate$', skip=(r'refcount',)),
    Checker('WARNING: ODEBUG bug in {FUNC}', source=r'^lib/debugobjects\.c$', message=r'^ODEBUG: ',
            skip=(r'debug_object', r'debug_print_object', r'^__debug_')),
    Checker('WARNING: kobject bug in {FUNC}', source=r'^lib/kobject\.c$', message=r'^kobject: ',
            skip=(r'^kobject_', r'^kobj_')),
    Checker('WARNING: bad usercopy in {FUNC}', source=r'^mm/usercopy\.c$', message=r'^usercopy: ',
            skip=(r'usercopy', r'check_object_size', r'^copy_', r'^_copy_')),
    Checker('WARNING: zero-size vmalloc in {FUNC}', source=r'^mm/vmalloc\.c$', function=r'vmalloc|^vb_alloc$',
            skip=(r'vmalloc', r'^vzalloc', r'^vb_alloc$', r'^vm_map_ram')),
    Checker('WARNING: kmalloc bug in {FUNC}', source=r'^mm/(?:slab_common|slab|slub|util|page_alloc)\.c$',
            function=r'alloc', skip=(r'malloc', r'^__alloc_pages', r'^alloc_pages', r'^warn_alloc', r'^kvmalloc')),
    Checker('WARNING: proc registration bug in {FUNC}', source=r'^fs/proc/generic\.c$', function=r'^proc_register',
            message=r"^proc_dir_entry '.*' already registered", skip=(r'^proc_', r'^_proc_')),
    Checker('WARNING: locking bug in {FUNC}', source=r'^kernel/locking/', message=r'^DEBUG_LOCKS_WARN_ON\(',
            skip=(r'^lock_', r'^__lock_', r'lockdep')),
    Checker('BUG: hard lockup in {FUNC}', source=r'^kernel/watchdog(?:_hld)?\.c$', becomes='hard_lockup'),
)
#: checkers of ``kernel BUG at FILE:LINE``
KERNEL_BUG_CHECKERS = (
    Checker('BUG: corrupted list in {FUNC}', source=r'^lib/list_debug\.c$', skip=(r'list_',)),
    Checker('BUG: bad usercopy in {FUNC}', source=r'^mm/usercopy\.c$',
            skip=(r'usercopy', r'check_object_size', r'^copy_', r'^_copy_')),
)

#: syzbot's wording of header words: (group, regex on its value, replacement)
WORDING = (
    ('kind', r'^double-free or invalid-free$', 'invalid-free'),   # KASAN, 4.x-6.1 header
    ('kind', r'^[Uu]ndefined behaviou?r$', 'undefined-behaviour'),  # UBSAN, lib/ubsan.c before 5.x
    # the cause of an unknown "BUG: ..." header, without its variable tail
    ('msg', r'^(.*?)(?:[:!]| at | on | for | in process |, ).*$', r'\1'),
)

#: panic titles (kernel/panic.c:panic "Kernel panic - not syncing: %s"): (regex on the message,
#: title); the first that matches wins, {func} a group of the regex; otherwise
#: "kernel panic: MESSAGE" with the variable parts replaced
PANIC_TITLES = (
    (r'^stack-protector: Kernel stack is corrupted in: (?P<func>[A-Za-z_$][\w$]*)',
     'kernel panic: stack is corrupted in {func}'),
    (r'^stack-protector:', 'kernel panic: stack is corrupted'),
    (r'^corrupted stack end detected inside scheduler', 'kernel panic: corrupted stack end'),
    (r'^Attempted to kill init!', 'kernel panic: Attempted to kill init!'),
    (r"^Couldn't open N_TTY ldisc", "kernel panic: Couldn't open N_TTY ldisc"),
    (r'^(?:\w+: )?panic_on_warn set', 'kernel panic: panic_on_warn set'),
    (r'^\s*$', 'kernel panic'),
)

# ---------------------------------------------------------------------------------------
#: variable parts of titles: (regex, replacement), applied in order to the text a title takes
#: from the report (never to the guilty function's name)
TITLE_REPLACEMENTS = (
    (r'([^a-zA-Z0-9])(?:0x)?[0-9a-fA-F]{6,}', r'\1ADDR'),
    (r'(\.\w+)(:[0-9]+)+', r'\1:LINE'),
    (r'([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+', r'\1'),
    (r'CPU#[0-9]+', 'CPU'),
    (r'(\W)(\d+)(?=\W|$)', r'\1NUM'),
    (r'\d{7,}', 'NUM'),
)


# ---------------------------------------------------------------------------------------
# The rules, applied.

def _alternation(patterns):
    return lazy(globals(), '|'.join('(?:%s)' % p for p in patterns))


_SYSCALL_RES = tuple((lazy(None, p), r) for p, r in SYSCALL_PREFIXES)
_STALL_ENTRY_RE = _alternation(STALL_ENTRIES)
_STALL_ANCHOR_RE = _alternation(STALL_ANCHORS)
_STALL_NAMED_RE = _alternation(STALL_NAMED_ANCHORS)
_HANG_SKIP_RE = lazy(globals(), '|'.join(re.escape(s) for s in HANG_SKIP))
_REPLACEMENTS = tuple((lazy(None, p), r) for p, r in TITLE_REPLACEMENTS)


#: title_func's answers (every finding's FUNC goes through its regexes, and repeats of a report
#: bring the same functions back)
_TITLE_FUNCS = {}
_TITLE_FUNCS_MAX = 256
_TITLE_FUNCS_LONGEST = 200


def title_func(func):
    """Function name as a title writes it: syscall wrappers named by the syscall."""
    if not func:
        return func
    out = _TITLE_FUNCS.get(func)
    if out is not None:
        return out
    out = func
    for regex, repl in _SYSCALL_RES:
        m = regex.match(func)
        if m and m.end() < len(func):
            out = repl + func[m.end():]
            break
    if len(func) <= _TITLE_FUNCS_LONGEST:
        if len(_TITLE_FUNCS) >= _TITLE_FUNCS_MAX:
            _TITLE_FUNCS.clear()
        _TITLE_FUNCS[func] = out
    return out


_BLANKS_RE = lazy(globals(), r'\s+')
#: sanitize_title's answers: every finding's title values (task, function, kind...) go through
#: its 7 substitutions, and repeats of a report bring the same values back; a few hundred of
#: them, of 200 characters at most (longer ones are not kept), keep the memory small
_SANITIZED = {}
_SANITIZED_MAX = 256
_SANITIZED_LONGEST = 200


def sanitize_title(text):
    """Replace addresses, line numbers and numbers in free text (TITLE_REPLACEMENTS)."""
    out = _SANITIZED.get(text)
    if out is None:
        out = text.strip()
        for regex, repl in _REPLACEMENTS:
            out = regex.sub(repl, out)
        out = _BLANKS_RE.sub(' ', out)[:200]
        if len(text) <= _SANITIZED_LONGEST:
            if len(_SANITIZED) >= _SANITIZED_MAX:
                _SANITIZED.clear()
            _SANITIZED[text] = out
    return out


#: a pattern without regex syntax (besides the anchors ^ and $)
_LITERAL_RE = lazy(globals(), r'[A-Za-z0-9_]+\Z')


class SkipMatcher(object):
    """Matches function names never blamed. ``search(name)`` like a compiled regex, but the
    patterns anchored at the start are tried only there, the regexes are compiled on first use
    (most report kinds never occur in a log) and answers are memoized (the same frames come
    back in every report). Of the 548 patterns only 34 are more than a word between the
    anchors: the others are tested as strings (equal, prefix, suffix, substring), which answer
    what their regexes answer, and only the 34 are compiled (compiling all the matchers a log
    of every report kind uses took 15-20 ms of its run, now 2-3 ms)."""

    MAX_CACHE = 2048

    def __init__(self, patterns, base=None):
        self.patterns = tuple(patterns)
        self.base = base         # another SkipMatcher tried first (the shared list, compiled once)
        self.anchored = None
        self.floating = None
        self.exact = frozenset()  # ^word$
        self.prefixes = ()        # ^word
        self.suffixes = ()        # word$
        self.inside = ()          # word
        self.compiled = False
        self.cache = {}

    def _compile(self):
        anchored, floating, exact, prefixes, suffixes, inside = [], [], set(), [], [], []
        for p in self.patterns:
            start = p.startswith('^')
            body = p[1:] if start else p
            end = body.endswith('$')
            word = body[:-1] if end else body
            if not _LITERAL_RE.match(word):
                (anchored if start else floating).append(body if start else p)
            elif start and end:
                exact.add(word)
            elif start:
                prefixes.append(word)
            elif end:
                suffixes.append(word)
            else:
                inside.append(word)
        self.anchored = re.compile('(?:%s)' % '|'.join('(?:%s)' % p for p in anchored)) if anchored else None
        self.floating = re.compile('|'.join('(?:%s)' % p for p in floating)) if floating else None
        # ($ matches before a final newline too)
        self.exact = frozenset(exact | set(w + '\n' for w in exact))
        self.prefixes = tuple(prefixes)
        self.suffixes = tuple(suffixes + [w + '\n' for w in suffixes])
        self.inside = tuple(inside)
        self.compiled = True

    def _words(self, name):
        if name in self.exact or name.startswith(self.prefixes) or name.endswith(self.suffixes):
            return True
        for word in self.inside:
            if word in name:
                return True
        return False

    def search(self, name):
        hit = self.cache.get(name)
        if hit is None:
            if not self.compiled:
                self._compile()
            hit = bool((self.base is not None and self.base.search(name)) or self._words(name) or
                       (self.anchored is not None and self.anchored.match(name)) or
                       (self.floating is not None and self.floating.search(name)))
            if len(self.cache) >= self.MAX_CACHE:
                self.cache.clear()
            self.cache[name] = hit
        return hit


_SKIP_CACHE = {}


def skip_regex(extra=(), common=True):
    """Matcher (``.search(name)``) of function names never blamed: COMMON_SKIP plus ``extra``."""
    key = (tuple(extra), common)
    r = _SKIP_CACHE.get(key)
    if r is None:
        if common and extra:
            r = SkipMatcher(extra, base=skip_regex())
        else:
            r = SkipMatcher((COMMON_SKIP if common else ()) + tuple(extra))
        _SKIP_CACHE[key] = r
    return r


def _blamable(f):
    return not (f is None or f.raw or not f.reliable or not f.func or f.inline)


def usable_funcs(frames, skip=None):
    """Function names of the reliable, symbolized frames not matching ``skip``."""
    if skip is None:
        skip = skip_regex()
    # inlined frames (decode_stacktrace.sh "[inline]" lines) repeat the location of the real
    # frame that follows; like syzkaller, blame the real (out of line) function
    return [f.func for f in frames if _blamable(f) and not skip.search(f.func)]


def first_extractor(funcs):
    """The first frame not skipped."""
    return funcs[0] if funcs else None


def hang_extractor(funcs):
    """Hung tasks: HANG_BUCKETS first, then the first frame without a HANG_SKIP part."""
    for func in funcs:
        for anchor, bucket in HANG_BUCKETS:
            if anchor in func:
                return bucket
    for func in funcs:
        if not _HANG_SKIP_RE.search(func):
            return func
    return None


def stall_extractor(frames, skip=None, after_entry=True):
    """Stalls and lockups: the stack after the timer-interrupt entry (the first run of
    STALL_ENTRIES frames, reliable or not; the whole stack without one) walked down to the first
    dispatch anchor (STALL_ANCHORS); the frame just above it is named, an anchor of
    STALL_NAMED_ANCHORS names itself. Without an anchor: the first blamable frame.
    ``frames``: Frame objects in order. after_entry=False: the whole stack (a report printed
    from an NMI, where the timer interrupt may be the stalled code itself)."""
    if skip is None:
        skip = skip_regex()
    start = 0
    entered = False
    for i, f in enumerate(frames if after_entry else ()):
        entry = f is not None and bool(f.func) and _STALL_ENTRY_RE.search(f.func) is not None
        if entry:
            entered = True
            start = i + 1
        elif entered:
            break  # the end of the first run of entry frames: the interrupted code follows
    prev = None
    first = None
    for f in frames[start:]:
        if not _blamable(f):
            continue
        func = f.func
        if _STALL_ANCHOR_RE.search(func):
            if _STALL_NAMED_RE.search(func):
                return func
            if prev is not None:
                return prev
            if not skip.search(func):
                return title_func(func)  # nothing above it: the syscall itself
            continue
        if not skip.search(func):
            prev = func
            if first is None:
                first = func
    return first


#: extractors by the name the report table gives
EXTRACTORS = {'first': first_extractor, 'hang': hang_extractor}


def guilty_frame(frames, skip=None, extractor=None):
    """Name of the guilty function in ``frames`` (Frame objects, in order), or None."""
    try:
        if extractor in ('stall', 'stall_nmi'):
            return stall_extractor(frames, skip, after_entry=extractor == 'stall')
        funcs = usable_funcs(frames, skip)
        if not funcs:
            return None
        fn = extractor if callable(extractor) else EXTRACTORS.get(extractor or 'first', first_extractor)
        return fn(funcs)
    except Exception:  # pragma: no cover - defensive
        return None
