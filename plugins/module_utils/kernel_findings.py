# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel log findings: the kernel's own reports as structured data.

The report formats are a data table (REPORT_FORMATS): each entry gives the
finding type, the regex of the line that starts the report, the title template
(syzbot conventions: ``possible deadlock in FUNC``, ``INFO: task hung in FUNC``,
``KASAN: use-after-free Read in FUNC``...), where FUNC comes from (the "parts":
a lock's ``at:`` line, the instruction pointer line, the call trace...), which
frames are never blamed, how the guilty frame is chosen (first frame, or
syzkaller's hung-task / stall heuristics) and how the report ends. The engine
(FindingCollector) reads one line at a time, keeps a bounded state per printing
context (CONFIG_PRINTK_CALLER ids demultiplex interleaved reports), merges
repeats of the same report into one finding with a count, and records state
notes such as "INFO: lockdep is turned off.".

Formats are written from linux 6.1 (Debian linux-source) and the 3.10 (RHEL 7)
forms: kernel/locking/lockdep.c, kernel/hung_task.c, kernel/sched/core.c,
kernel/watchdog.c, kernel/watchdog_hld.c, kernel/rcu/tree_stall.h,
mm/oom_kill.c, mm/kmemleak.c, mm/kasan/report.c, mm/kfence/report.c,
lib/ubsan.c, kernel/panic.c, lib/bug.c, arch/x86/mm/fault.c,
arch/x86/kernel/traps.c, arch/x86/kernel/dumpstack.c.

Stdlib only; Python 2.7 and 3.6+; bounded memory; never raises on input.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.kdebug.kernel.plugins.module_utils.frames import (
    MAX_FRAMES, Frame, guilty_frame, is_bottom, parse_frame, parse_rip, section_marker, skip_regex,
    strip_markers, title_func,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import RecordParser
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import (
    CHUNK_SIZE, MAX_LINE, LogLine, is_dict_line, iter_lines, parse_line, split_glued, to_text,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.locks import HeldLocksParser, parse_task_line

#: the finding type vocabulary (a contract with modules, roles and reports)
FINDING_TYPES = ('lockdep', 'atomic_sleep', 'hung_task', 'soft_lockup', 'hard_lockup', 'rcu_stall',
                 'oom_kill', 'memory_leak', 'kasan', 'ubsan', 'kfence', 'warning', 'bug', 'panic')

DEFAULT_MAX_FINDINGS = 200
MAX_EXCERPT_LINES = 60
MAX_EXCERPT_CHARS = 8192
MAX_NOTES = 100
MAX_ACTIVE = 16          # reports being read at the same time (one per printing context)
MAX_PENDING_HUNG = 64    # hung-task findings waiting for the all-locks block
STALE_LINES = 300        # a report whose printing context printed nothing for this many lines is over

# ---------------------------------------------------------------------------------------
# part kinds (where FUNC comes from, in order)
AT = 'at'            # frame after "at:" on a lock line (after an optional trigger line)
FRAME = 'frame'      # first frame line after a trigger line
RIP = 'rip'          # instruction pointer line ("RIP: 0010:func+..", "IP: [<..>] func", "pc : func")
STACK = 'stack'      # call trace: frames until a non-frame line (after an optional trigger)
HEADER = 'header'    # function named in the report's first line (group 'hfunc')
LINE = 'line'        # a regex with group 'func' on a later line

_CALL_TRACE = r'^\s*(?:Call [Tt]race|Backtrace)\s*:'
_STACK_BACKTRACE = r'^\s*stack backtrace:'
_END_TRACE = r'---\[ end trace'
_SEPARATOR = r'^\s*={20,}\s*$'

# what mm/oom_kill.c:dump_header, mm/show_mem.c and dump_tasks print between the stack and the kill
_OOM_BODY = (r'^\s*(?:\[\s*\d+\]|\[\s*pid\s*\]|Mem-Info|Tasks state|oom-kill:|oom_reaper|Memory cgroup|'
             r'(?:memory|swap|kmem|memory\+swap): usage|Node \d|lowmem_reserve|\d+ (?:total )?pages|'
             r'(?:Free|Total) swap|Swap cache|active_anon|\w+:\d+|[\w ]+ \d+\s*$|\S+ cpuset=|.*\d+kB)')
# the function in a report's first line: "func+0x1a/0x40" or, decoded, "func file.c:12 [inline]"
_HFUNC = r'(?P<hfunc>[\w.$]+\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+|[\w.$]+ \S+:\d+ \[inline\])'
_LOCKDEP_SKIP = ('process_one_work', 'flush_workqueue', 'drain_workqueue', 'destroy_workqueue',
                 '^flush_work$', '^__flush_work', '^start_flush_work')
_STALL_SKIP = ('apic_timer_interrupt', 'rcu', 'hrtimer', '^tick_', 'watchdog', 'update_process_times',
               'scheduler_tick', 'timer_interrupt', '^touch_', '^irq_exit', '^__irq_exit', '^handle_irq',
               '^__handle_irq', r'^handle_\w+_irq$', '^do_IRQ$', '^common_interrupt', '^__sysvec', '^sysvec',
               '^asm_', 'perf_event', 'nmi', '^intel_pmu', '^x86_pmu', '^handle_pmi', '^local_apic',
               'backtrace', '^dump_cpu_task', '^sched_show_task', '^show_regs', '^print_cpu_stall')
_OOM_SKIP = ('oom', 'out_of_memory', 'alloc', 'page', 'mem_cgroup', 'memcg', 'charge', 'reclaim', 'shrink',
             'compact', 'dump_header', 'folio', 'filemap_fault', 'handle_mm_fault', '__handle_mm_fault',
             'do_anonymous', 'do_fault', 'do_read_fault', 'do_cow_fault', 'do_swap_page', 'fault',
             'pte_alloc', 'get_user_pages', 'populate', 'gup')

# WARN() and BUG() reports of some files get syzkaller's special titles: (source regex, title,
# more frames never blamed)
_WARNING_VARIANTS = (
    (r'lib/list_debug\.c', 'BUG: corrupted list in {FUNC}', (r'list_',)),
    (r'lib/refcount\.c', 'WARNING: refcount bug in {FUNC}', (r'refcount',)),
    (r'kernel/locking/lockdep\.c', 'WARNING: locking bug in {FUNC}', (r'^lock_', r'^__lock_', r'lockdep')),
    (r'lib/debugobjects\.c', 'WARNING: ODEBUG bug in {FUNC}',
     (r'debug_object', r'debug_print_object', r'^__debug_')),
    (r'lib/kobject\.c', 'WARNING: kobject bug in {FUNC}', (r'^kobject_', r'^kobj_')),
    (r'mm/usercopy\.c', 'WARNING: bad usercopy in {FUNC}',
     (r'usercopy', r'check_object_size', r'^copy_', r'^_copy_')),
    (r'kernel/watchdog(?:_hld)?\.c', 'BUG: hard lockup in {FUNC}', ()),
    (r'^mm/.*\.c .*\bk?.?malloc', 'WARNING: kmalloc bug in {FUNC}',
     (r'malloc', r'^__alloc_pages', r'^alloc_pages', r'^warn_alloc')),
)
_KERNEL_BUG_VARIANTS = (
    (r'lib/list_debug\.c', 'BUG: corrupted list in {FUNC}', (r'list_',)),
    (r'mm/usercopy\.c', 'BUG: bad usercopy in {FUNC}',
     (r'usercopy', r'check_object_size', r'^copy_', r'^_copy_')),
)

# Each entry: name, type (None: no finding), start (regex searched in the message text),
# keys (literal substrings, one of which the start line contains: the prefilter),
# optional strict (regex the complete header matches; else the header was cut: corrupted),
# title (template: {FUNC}, {name} for header groups/details), parts, skip (extra frames never
# blamed), extractor (None: first usable frame; 'hang'; 'stall'), end (regex ending the report),
# after ('finish': the report ends with its main stack; 'locks': then held-lock lines;
# 'tail': a few more lines; 'end': only at the end regex), absorb (entries whose start lines
# are part of this report), task (regex with task/pid groups on a later line),
# skip_irq (frames in <IRQ>/<NMI> sections are not blamed), require (details without which
# the report is corrupted), needs_frames (no finding at all without frames).
REPORT_FORMATS = (
    # ---- lockdep (kernel/locking/lockdep.c; 3.10: "[ INFO: ... ]" headers) --------------
    dict(name='lockdep_circular', type='lockdep', keys=('WARNING', 'INFO:',),
         start=r'(?:WARNING|INFO): possible circular locking dependency detected',
         title='possible deadlock in {FUNC}',
         parts=((AT, r'is trying to acquire lock'), (AT, r'already holding lock'), (STACK, _STACK_BACKTRACE)),
         skip=_LOCKDEP_SKIP, task=r'^(?P<task>.+)/(?P<pid>\d+) is trying to acquire lock'),
    dict(name='lockdep_recursive', type='lockdep', keys=('WARNING', 'INFO:',),
         start=r'(?:WARNING|INFO): possible recursive locking detected',
         title='possible deadlock in {FUNC}',
         parts=((AT, r'is trying to acquire lock'), (AT, r'already holding lock'), (STACK, _STACK_BACKTRACE)),
         skip=_LOCKDEP_SKIP, task=r'^(?P<task>.+)/(?P<pid>\d+) is trying to acquire lock'),
    dict(name='lockdep_irq_inversion', type='lockdep', keys=('WARNING', 'INFO:',),
         start=r'(?:WARNING|INFO): possible irq lock inversion dependency detected',
         title='possible deadlock in {FUNC}',
         parts=((AT, r'just changed the state of lock'), (STACK, _STACK_BACKTRACE)),
         skip=_LOCKDEP_SKIP, task=r'^(?P<task>.+)/(?P<pid>\d+) just changed the state of lock'),
    dict(name='lockdep_safe_unsafe', type='lockdep', keys=('WARNING', 'INFO:',),
         start=r'(?:WARNING|INFO): (?P<irq>\w+)-safe -> \w+-unsafe lock order detected',
         title='possible deadlock in {FUNC}',
         parts=((AT, r'is trying to acquire'), (STACK, _STACK_BACKTRACE)),
         skip=_LOCKDEP_SKIP, task=r'^(?P<task>.+)/(?P<pid>\d+) \[HC.*is trying to acquire'),
    dict(name='lockdep_inconsistent', type='lockdep', keys=('WARNING', 'INFO:',),
         start=r'(?:WARNING|INFO): inconsistent lock state',
         title='inconsistent lock state in {FUNC}',
         parts=((AT, r'\] takes:'), (STACK, _STACK_BACKTRACE)),
         skip=_LOCKDEP_SKIP, task=r'^(?P<task>.+)/(?P<pid>\d+) \[HC.*\] takes:'),
    dict(name='lockdep_bad_unlock', type='lockdep', keys=('WARNING', 'BUG',),
         start=r'(?:WARNING|BUG): bad unlock balance detected',
         title='WARNING: bad unlock balance in {FUNC}',
         parts=((FRAME, r'is trying to release lock'), (STACK, _STACK_BACKTRACE)),
         task=r'^(?P<task>.+)/(?P<pid>\d+) is trying to release lock'),
    dict(name='lockdep_held_lock_freed', type='lockdep', keys=('WARNING', 'BUG',),
         start=r'(?:WARNING|BUG): held lock freed',
         title='WARNING: held lock freed in {FUNC}',
         parts=((AT, r'is freeing memory'), (STACK, _STACK_BACKTRACE)),
         task=r'^(?P<task>.+)/(?P<pid>\d+) is freeing memory'),
    dict(name='lockdep_return_to_user', type='lockdep', keys=('WARNING', 'BUG',),
         start=r'(?:WARNING|BUG): lock held when returning to user space',
         title='WARNING: lock held when returning to user space in {FUNC}',
         parts=((AT, r'is leaving the kernel with locks still held'),), after='locks',
         task=r'^(?P<task>.+)/(?P<pid>\d+) is leaving the kernel'),
    dict(name='lockdep_still_held', type='lockdep', keys=('WARNING', 'BUG',),
         start=r'(?:WARNING|BUG): (?P<task>.+)/(?P<pid>\d+) still has locks held',
         title='WARNING: still has locks held in {FUNC}',
         parts=((AT, None), (STACK, _STACK_BACKTRACE))),
    dict(name='lockdep_rcu_suspicious', type='lockdep', keys=('WARNING', 'INFO:',),
         start=r'(?:WARNING|INFO): suspicious RCU usage',
         title='WARNING: suspicious RCU usage in {FUNC}',
         parts=((STACK, _STACK_BACKTRACE),),
         skip=(r'^rcu_', r'_rcu_', r'^__rcu', r'rcu_dereference', r'^lockdep_rcu', r'^rcu_read_lock_held',
               r'kmem', r'slab')),
    dict(name='lockdep_invalid_wait', type='lockdep', keys=('WARNING', 'BUG',),
         start=r'(?:WARNING|BUG): Invalid wait context',
         title='BUG: Invalid wait context in {FUNC}',
         parts=((AT, r'is trying to lock'), (STACK, _STACK_BACKTRACE)),
         task=r'^(?P<task>.+)/(?P<pid>\d+) is trying to lock'),
    dict(name='lockdep_nested_not_taken', type='lockdep', keys=('WARNING',),
         start=r'WARNING: Nested lock was not taken',
         title='WARNING: Nested lock was not taken in {FUNC}',
         parts=((AT, r'is trying to lock'), (STACK, _STACK_BACKTRACE))),
    dict(name='lockdep_non_static_key', type='lockdep', keys=('INFO:',),
         start=r'INFO: trying to register non-static key',
         title='INFO: trying to register non-static key in {FUNC}',
         parts=((STACK, None),), skip=(r'register_lock_class', r'lockdep_init_map', r'^__lock_acquire')),
    dict(name='lockdep_limit', type='lockdep', keys=('BUG',),
         start=r'BUG: (?P<what>MAX_\w+) too low!',
         title='BUG: {what} too low!', parts=()),
    dict(name='lockdep_invalid_subclass', type='lockdep', keys=('BUG',),
         start=r'BUG: looking up invalid subclass',
         title='BUG: looking up invalid subclass in {FUNC}', parts=((STACK, None),)),
    dict(name='lockdep_key_unregistered', type='lockdep', keys=('BUG',),
         start=r'BUG: key \S+ (?:has not been registered|not in \.data)',
         title='BUG: key not registered in {FUNC}', parts=((STACK, None),),
         skip=(r'lockdep_init_map', r'__lockdep_init_map', r'^lockdep_')),

    # ---- sleeping in atomic context (kernel/sched/core.c:__might_resched, __schedule_bug) ----
    dict(name='atomic_sleep', type='atomic_sleep', keys=('BUG',),
         start=r'BUG: sleeping function called from invalid context',
         title='BUG: sleeping function called from invalid context in {FUNC}',
         parts=((STACK, _CALL_TRACE),),
         skip=(r'might_sleep', r'might_resched', r'might_fault', r'^__cond_resched', r'might_lock'),
         task=r'in_atomic\(\): \d+, irqs_disabled\(\): \d+,(?: non_block: \d+,)? pid: (?P<pid>\d+), '
              r'name: (?P<task>.+?)\s*$'),
    dict(name='scheduling_while_atomic', type='atomic_sleep', keys=('BUG',),
         start=r'BUG: scheduling while atomic: (?P<task>.+)/(?P<pid>\d+)/0x[0-9a-fA-F]+',
         loose=r'BUG: scheduling while atomic',
         title='BUG: scheduling while atomic in {FUNC}',
         parts=((STACK, _CALL_TRACE),), skip=(r'schedule',)),

    # ---- hung tasks (kernel/hung_task.c:check_hung_task) --------------------------------
    dict(name='hung_task', type='hung_task', keys=('INFO:',),
         start=r'INFO: task (?P<task>.+):(?P<pid>\d+) blocked for more than (?P<seconds>\d+) seconds\.?',
         loose=r"INFO: task (?!.*(?:can't die|is blocked on))\S",
         title='INFO: task hung in {FUNC}', parts=((STACK, None),), extractor='hang', after='locks',
         hung=True),
    dict(name='task_cant_die', type='hung_task', keys=('INFO:',),
         start=r"INFO: task (?P<task>.+):(?P<pid>\d+) can't die for more than (?P<seconds>\d+) seconds",
         title="INFO: task can't die in {FUNC}", parts=((STACK, None),), extractor='hang', after='locks',
         hung=True),

    # ---- lockups and stalls (kernel/watchdog.c, kernel/watchdog_hld.c, kernel/rcu/tree_stall.h) --
    dict(name='soft_lockup', type='soft_lockup', keys=('BUG',),
         start=r'BUG: soft lockup - CPU#(?P<cpu>\d+) stuck for (?P<seconds>\d+)s! \[(?P<task>.+):(?P<pid>\d+)\]',
         loose=r'BUG: soft lockup',
         title='BUG: soft lockup in {FUNC}', parts=((RIP, None), (STACK, None)), extractor='stall',
         skip=_STALL_SKIP, skip_irq=True),
    dict(name='hard_lockup', type='hard_lockup', keys=('LOCKUP',),
         start=r'(?<!not syncing: )Watchdog detected hard LOCKUP on cpu (?P<cpu>\d+)',
         title='BUG: hard lockup in {FUNC}', parts=((RIP, None), (STACK, None)), extractor='stall',
         skip=_STALL_SKIP, skip_irq=True, absorb=('hard_lockup',), absorb_window=4),
    dict(name='rcu_stall_self', type='rcu_stall', keys=('INFO:',),
         start=r'INFO: (?P<flavor>rcu_\w+|rcu) self-detected stall',
         title='INFO: rcu detected stall in {FUNC}', parts=((RIP, None), (STACK, None)), extractor='stall',
         skip=_STALL_SKIP, skip_irq=True, after='tail', tail=20),
    dict(name='rcu_stall', type='rcu_stall', keys=('INFO:',),
         start=r'INFO: (?P<flavor>rcu_\w+|rcu) detected (?:expedited )?stalls?',
         title='INFO: rcu detected stall in {FUNC}', parts=((RIP, None), (STACK, None)),
         gate=r'(?:NMI backtrace for cpu|Task dump for CPU) (?P<cpu>\d+)|^\s*task:\S.*\bstate:',
         extractor='stall', skip=_STALL_SKIP, skip_irq=True, other_cpu=True, after='tail', tail=20),

    # ---- OOM killer (mm/oom_kill.c) -------------------------------------------------------
    dict(name='oom_header', type='oom_kill', keys=('oom-killer',),
         start=r'(?P<invoker>\S.*?) invoked oom-killer: gfp_mask=(?P<gfp_mask>0x[0-9a-fA-F]+)(?:\([^)]*\))?,'
               r'(?: nodemask=\S+,)? order=(?P<order>-?\d+)(?:, oom_adj=-?\d+)?(?:, oomkilladj=-?\d+)?'
               r'(?:, oom_score_adj=(?P<oom_score_adj>-?\d+))?',
         loose=r'invoked oom-killer',
         title='{oom_title}', parts=((STACK, None),), skip=_OOM_SKIP, after='end', oom=True,
         absorb=('oom_victim', 'oom_kill_old', 'oom_killed_old', 'oom_no_killable'), max_lines=200000,
         require=('victim',), func_optional=True, patience=400, body=_OOM_BODY),
    dict(name='oom_victim', type='oom_kill', keys=('of memory',),
         start=r'(?P<oom_kind>Out of memory|Memory cgroup out of memory)(?: \(oom_kill_allocating_task\))?: '
               r'Killed process (?P<pid>\d+) \((?P<task>.*?)\)(?= total-vm| vsz|,|\s*$)',
         title='{oom_title}', parts=(), oom=True, require=('victim',), func_optional=True),
    dict(name='oom_kill_old', type='oom_kill', keys=('of memory',),
         start=r'(?P<oom_kind>Out of memory|Memory cgroup out of memory)(?: \(oom_kill_allocating_task\))?: '
               r'[Kk]ill process (?P<pid>\d+) \((?P<task>.*?)\) score (?P<score>\d+)',
         title='{oom_title}', parts=(), after='end', oom=True, absorb=('oom_killed_old',),
         require=('victim',), func_optional=True, max_lines=50),
    dict(name='oom_killed_old', type='oom_kill', keys=('illed process',),
         start=r'^Killed process (?P<pid>\d+)(?:, UID \d+,)? \((?P<task>.*?)\)(?= total-vm| vsz|,|\s*$)',
         title='{oom_title}', parts=(), oom=True, require=('victim',), func_optional=True),
    dict(name='oom_no_killable', type='oom_kill', keys=('of memory',),
         start=r'Out of memory and no killable processes',
         title='Out of memory and no killable processes', parts=(), oom=True, func_optional=True),

    # ---- kmemleak (mm/kmemleak.c:print_unreferenced, kmemleak_scan) -----------------------
    dict(name='kmemleak_record', type='memory_leak', keys=('unreferenced object',),
         start=r'unreferenced object\s+(?:\((?:percpu|phys)\)\s+)?0x[0-9a-fA-F]+\s+\(size',
         title='memory leak in {FUNC}', parts=(), kmemleak=True, after='end', max_lines=200),
    dict(name='kmemleak_new_leaks', type='memory_leak', keys=('emleak',),
         start=r'(?P<leaks>\d+) new suspected memory leaks?',
         title='kmemleak: new suspected memory leaks', parts=(), func_optional=True),
    dict(name='syzkaller_memory_leak', type=None, keys=('BUG',),
         start=r'^BUG: memory leak\s*$', parts=()),

    # ---- sanitizers (mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c) ------------------
    dict(name='kasan', type='kasan', keys=('BUG',),
         start=r'BUG: KASAN: (?P<kind>[a-z0-9-]+(?: or [a-z-]+)?)(?: in ' + _HFUNC + r'| on address| at addr|\s*$)',
         loose=r'BUG: KASAN: (?P<kind>[a-z0-9-]+(?: or [a-z-]+)?)',
         title='{kasan_title}', parts=((HEADER, None), (STACK, None)),
         skip=(r'^slab_', r'^kfree', r'^vunmap', r'^vfree', r'^kasan', r'^__kasan', r'^check_memory_region',
               r'^memcpy', r'^memmove', r'^memset', r'^__asan', r'^__hwasan', r'^___cache_free',
               r'^__cache_free', r'^cache_free'),
         end=_SEPARATOR, after='end', max_lines=400, kasan=True, patience=120, absorb=('kasan',),
         absorb_window=2),
    dict(name='kfence', type='kfence', keys=('BUG',),
         start=r'BUG: KFENCE: (?P<kind>use-after-free|out-of-bounds|memory corruption|invalid free|invalid)'
               r'(?: (?P<access>read|write))? in ' + _HFUNC,
         loose=r'BUG: KFENCE: (?P<kind>use-after-free|out-of-bounds|memory corruption|invalid free|invalid)'
               r'(?: (?P<access>read|write))?',
         title='KFENCE: {kind}{access_sp} in {FUNC}', parts=((HEADER, None), (STACK, None)),
         skip=(r'^kfence', r'^__kfence', r'^kfree', r'^kmem_cache_free'), end=_SEPARATOR, after='end',
         max_lines=200, absorb=('kfence',), absorb_window=2),
    dict(name='kcsan', type='bug', keys=('BUG',),
         start=r'BUG: KCSAN: (?P<kind>[a-z-]+) in (?P<what>.+)$',
         title='KCSAN: {kind} in {what_funcs}', parts=(), end=_SEPARATOR, after='end', max_lines=200,
         func_optional=True),
    dict(name='kmsan', type='bug', keys=('BUG',),
         start=r'BUG: KMSAN: (?P<kind>[a-z-]+) in ' + _HFUNC,
         loose=r'BUG: KMSAN: (?P<kind>[a-z-]+)',
         title='KMSAN: {kind} in {FUNC}', parts=((HEADER, None), (STACK, None)),
         skip=(r'^kmsan', r'^__msan'), end=_SEPARATOR, after='end', max_lines=200, absorb=('kmsan',),
         absorb_window=2),
    dict(name='ubsan', type='ubsan', keys=('UBSAN:',),
         start=r'UBSAN: (?P<kind>[A-Za-z][\w -]*?) in (?P<src>\S+)',
         title='UBSAN: {kind} in {FUNC}', parts=((STACK, None),),
         skip=(r'ubsan', r'overflow', r'^__ubsan', r'^handle_'), end=_SEPARATOR + r'|' + _END_TRACE,
         after='end', max_lines=200),

    # ---- WARN() (kernel/panic.c:__warn; 3.10 warn_slowpath_common) -------------------------
    dict(name='warning', type='warning', keys=('WARNING',),
         start=r'WARNING: (?:CPU: (?P<cpu>\d+) PID: (?P<pid>\d+) )?at (?:(?P<src>[^\s:]+):(?P<srcline>\d+) )?'
               r'(?P<hfunc>[A-Za-z_$][\w.$]*\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+)',
         loose=r'WARNING: (?:CPU: (?P<cpu>\d+) PID: (?P<pid>\d+) )?at (?:(?P<src>[^\s:]+):(?P<srcline>\d+))?',
         title='WARNING in {FUNC}', parts=((HEADER, None), (RIP, None), (STACK, None)),
         skip=(r'^warn_slowpath', r'^__warn', r'^report_bug'), end=_END_TRACE, after='tail', tail=30,
         absorb=('hard_lockup',), absorb_window=4,
         variants=_WARNING_VARIANTS),
    # warn_alloc(): "page allocation failure: order:N" is what memory pressure looks like, not a bug
    # report (syzkaller does not report it either); it is recognized so that it is not taken for
    # anything else
    dict(name='page_alloc_failure', type=None, keys=('allocation failure',),
         start=r'(?:(?P<task>\S.*?): )?page allocation failure: order:(?P<order>\d+)', parts=()),
    dict(name='ignored_warning', type=None, keys=('WARNING',),
         start=r'WARNING: kernel stack (?:regs|frame pointer) at', parts=()),

    # ---- oopses (arch/x86/mm/fault.c, arch/x86/kernel/traps.c, lib/bug.c) -----------------
    dict(name='null_deref', type='bug', keys=('BUG',),
         start=r'BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference,? address)',
         title='BUG: unable to handle kernel NULL pointer dereference in {FUNC}', parts=((RIP, None), (STACK, None)),
         end=_END_TRACE, after='tail', tail=40, absorb=('oops', 'invalid_opcode')),
    dict(name='paging_request', type='bug', keys=('BUG',),
         start=r'BUG: unable to handle (?:kernel paging request|page fault for address)',
         title='BUG: unable to handle kernel paging request in {FUNC}', parts=((RIP, None), (STACK, None)),
         end=_END_TRACE, after='tail', tail=40, absorb=('oops', 'invalid_opcode')),
    dict(name='unable_to_handle_cut', type='bug', keys=('BUG',),
         start=r'BUG: unable to handle kernel', title='BUG: unable to handle kernel', parts=((RIP, None), (STACK, None)),
         end=_END_TRACE, after='tail', tail=40, absorb=('oops', 'invalid_opcode'), corrupted=True,
         func_optional=True),
    dict(name='arm_unable_to_handle', type='bug', keys=('Unable to handle',),
         start=r'Unable to handle kernel (?P<what>NULL pointer dereference|paging request|execute from non-executable '
               r'memory|write to read-only memory|access to user memory \w+ \w+|read from unreadable memory)',
         title='Unable to handle kernel {what} in {FUNC}', parts=((RIP, None), (STACK, None)),
         end=_END_TRACE, after='tail', tail=40, absorb=('oops',)),
    dict(name='kernel_bug', type='bug', keys=('BUG',),
         start=r'[Kk]ernel BUG at (?P<src>[^\s!:]+)(?::(?P<srcline>\d+))?',
         title='kernel BUG in {FUNC}', parts=((RIP, None), (STACK, None)),
         end=_END_TRACE, after='tail', tail=40, absorb=('oops', 'invalid_opcode'),
         skip=(r'^__list_\w+_valid', r'^__list_del_entry_valid', r'^__list_add_valid', r'^__check_object_size',
               r'^usercopy_abort', r'^__bug$', r'^bug_'),
         variants=_KERNEL_BUG_VARIANTS),
    dict(name='gpf', type='bug', keys=(' [#',),
         start=r'general protection fault(?:, (?:probably for non-canonical address|maybe for address) '
               r'0x[0-9a-fA-F]+)?: [0-9a-fA-F]{4}',
         loose=r'general protection fault',
         title='general protection fault in {FUNC}', parts=((RIP, None), (STACK, None)),
         end=_END_TRACE, after='tail', tail=40, absorb=('oops',)),
    dict(name='invalid_opcode', type='bug', keys=(' [#',),
         start=r'invalid opcode: [0-9a-fA-F]{4}', title='invalid opcode in {FUNC}',
         parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    dict(name='divide_error', type='bug', keys=(' [#',),
         start=r'divide error: [0-9a-fA-F]{4}', title='divide error in {FUNC}',
         parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    dict(name='stack_segment', type='bug', keys=(' [#',),
         start=r'stack segment: [0-9a-fA-F]{4}', title='stack segment fault in {FUNC}',
         parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    dict(name='double_fault', type='bug', keys=(' [#', 'PANIC:'),
         start=r'PANIC: double fault|^double fault: [0-9a-fA-F]{4}', title='PANIC: double fault in {FUNC}',
         parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    dict(name='oops', type='bug', keys=(' [#',),
         start=r'(?:^|Internal error: )Oops(?: - BUG)?: ', title='Oops in {FUNC}',
         parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),

    # ---- other BUG: reports ------------------------------------------------------------------
    dict(name='spinlock_bug', type='bug', keys=('BUG',),
         start=r'BUG: (?P<kind>spinlock|rwlock) (?P<what>lockup suspected|already unlocked|recursion|cpu recursion|'
               r'bad magic|wrong owner|wrong CPU|trylock failure on UP)',
         title='BUG: {kind} {what} in {FUNC}', parts=((STACK, None),),
         skip=(r'spin_', r'_lock', r'_unlock', r'^do_raw_', r'^spin_', r'^rwlock_', r'^__spin')),
    dict(name='preemptible', type='bug', keys=('BUG',),
         start=r'BUG: using (?P<what>[\w_]+\(\)) in preemptible',
         title='BUG: using {what} in preemptible code in {FUNC}', parts=((STACK, None),),
         skip=(r'dump_stack', r'preempt', r'processor_id', r'this_cpu_', r'check_preemption_disabled',
               r'^debug_smp')),
    dict(name='bad_page', type='bug', keys=('BUG',),
         start=r'BUG: Bad page (?P<what>state|map|cache)', title='BUG: Bad page {what} in {FUNC}',
         parts=((STACK, None),),
         skip=(r'bad_page', r'free_page', r'free_pcp', r'^__free_', r'free_unref', r'release_pages', r'put_page',
               r'folio_put', r'^free_', r'check_new_page', r'page_', r'^__page', r'print_bad_pte', r'zap_',
               r'unmap_', r'^vm_normal_page', r'^__folio', r'^folio_', r'^mmput', r'^exit_mmap', r'^__mmput')),
    dict(name='bad_rss', type='bug', keys=('BUG',),
         start=r'BUG: Bad rss-counter state', title='BUG: Bad rss-counter state', parts=(), func_optional=True),
    dict(name='nonzero_on_freeing_mm', type='bug', keys=('BUG',),
         start=r'BUG: non-zero (?P<what>\w+) on freeing mm', title='BUG: non-zero {what} on freeing mm',
         parts=(), func_optional=True),
    dict(name='workqueue_lockup', type='bug', keys=('BUG',),
         start=r'BUG: workqueue lockup', title='BUG: workqueue lockup', parts=(), func_optional=True,
         after='tail', tail=40),
    dict(name='workqueue_leaked', type='bug', keys=('BUG',),
         start=r'BUG: workqueue leaked lock or atomic',
         title='BUG: workqueue leaked lock or atomic in {FUNC}',
         parts=((LINE, r'last function: (?P<func>[A-Za-z_][\w.]*)'),), after='tail', tail=20),
    dict(name='stack_guard', type='bug', keys=('BUG',),
         start=r'BUG: (?:TASK )?stack guard page was hit', title='BUG: stack guard page was hit in {FUNC}',
         parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40, absorb=('oops',)),
    dict(name='dentry_in_use', type='bug', keys=('BUG',),
         start=r'BUG: Dentry \S+ still in use', title='BUG: Dentry still in use', parts=(),
         func_optional=True),
    dict(name='busy_inodes', type='bug', keys=('Busy inodes',),
         start=r'VFS: Busy inodes after unmount', title='VFS: Busy inodes after unmount', parts=(),
         func_optional=True),
    dict(name='slub_bug', type='bug', keys=('BUG',),
         start=r'^BUG (?P<slab>[\w:-]+) \((?:Not tainted|Tainted:[^)]*)\): (?P<what>.+)$',
         title='BUG: {slab}: {what}', parts=((STACK, None),), func_optional=True, sanitize=True,
         after='tail', tail=20),
    dict(name='bug_generic', type='bug', keys=('BUG',),
         start=r'BUG: (?P<msg>\S.*)$', title='BUG: {msg} in {FUNC}', parts=((RIP, None), (STACK, None)),
         end=_END_TRACE, after='tail', tail=20, needs_frames=True, sanitize=True),

    # ---- panic (kernel/panic.c:panic) -----------------------------------------------------
    dict(name='panic', type='panic', keys=('Kernel panic',),
         start=r'(?<!end )Kernel panic - not syncing: ?(?P<msg>.*)$',
         title='{panic_title}', parts=((STACK, None),), end=r'---\[ end Kernel panic', after='finish',
         func_optional=True),
)

# State notes: (kind, regex, keys)
NOTE_FORMATS = (
    ('lockdep_off', r'INFO: lockdep is turned off', ('INFO:',)),
    ('lockdep_off', r'turning off the locking correctness validator', ('correctness validator',)),
    ('debug_locks_off', r'Disabling lock debugging due to kernel taint', ('Disabling lock',)),
    ('debug_locks_off', r'DEBUG_LOCKS_WARN_ON\(', ('BUG',)),
    ('kmemleak_disabled', r'Kernel memory leak detector disabled', ('emleak',)),
    ('kmemleak_alloc_failed', r'Cannot allocate a kmemleak_object structure', ('emleak',)),
    ('kmemleak_scan_thread_ended', r'kmemleak: Automatic memory scanning thread ended', ('emleak',)),
    ('kmemleak_pool_empty', r'kmemleak: Memory pool empty', ('emleak',)),
    ('kmemleak_early_log_exceeded', r'kmemleak: Early log buffer exceeded', ('emleak',)),
    ('kmemleak_disabled_kept', r'Kmemleak disabled without freeing internal data', ('emleak',)),
    ('kmemleak_initialized', r'Kernel memory leak detector initiali[sz]ed', ('emleak',)),
    ('kmemleak_scan_thread_started', r'kmemleak: Automatic memory scanning thread started', ('emleak',)),
    ('hung_task_suppressed', r'Future hung task reports are suppressed', ('hung task reports',)),
)

# lines that close the report of their printing context when it is complete
_CUT_HERE_RE = re.compile(r'-{6,}\[ cut here \]-{6,}')
_CPU_LINE_RE = re.compile(r'\bCPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>-?\d+) Comm: (?P<task>\S+)')
_KASAN_ACCESS_RE = re.compile(r'^(?P<access>Read|Write) (?:of size (?P<size>\d+) )?(?:at addr \S+ )?by task '
                              r'(?P<task>.+)/(?P<pid>\d+)')
_KASAN_ACCESS_LOOSE_RE = re.compile(r'^(?P<access>Read|Write) (?:of size \d+|at addr)')
_KASAN_FREE_RE = re.compile(r'^Free of addr \S+ by task (?P<task>.+)/(?P<pid>\d+)')
_OOM_CONSTRAINT_RE = re.compile(r'oom-kill:constraint=(?P<constraint>\w+).*?(?:,task=(?P<task>[^,]*),pid=(?P<pid>\d+))?')
_OOM_KB_RE = re.compile(r'\b(total-vm|anon-rss|file-rss|shmem-rss|vsz|pgtables):(\d+)kB')
_OOM_KB_KEYS = {'total-vm': 'total_vm_kb', 'vsz': 'total_vm_kb', 'anon-rss': 'anon_rss_kb',
                'file-rss': 'file_rss_kb', 'shmem-rss': 'shmem_rss_kb', 'pgtables': 'pgtables_kb'}
_OOM_MEMCG_RE = re.compile(r'^Memory cgroup (?:stats for|out of memory)|^memory: usage \d+kB, limit')
_DETECTED_BY_RE = re.compile(r'detected by (?P<cpu>\d+),')
_CALL_TRACE_RE = re.compile(_CALL_TRACE)
_REGS_RE = re.compile(r'^\s*(?:RIP|EIP|RSP|ESP|RAX|EAX|RBX|RCX|RDX|RSI|RDI|RBP|R\d{1,2}|FS|GS|CS|DS|ES|SS|CR\d|DR\d|'
                      r'Code|EFLAGS|ORIG_RAX|PKRU)\s*:')
# a stack line cut mid-way: "[<ffffffff8120", " vfs_wri", " foo+0x1"
_CUT_FRAME_RE = re.compile(r'^\s+(?:\?\s+)?(?:\[<?[0-9a-fA-F ]*$|\[<[^\]]*>\]\s*\S*$|[A-Za-z_][\w.]*(?:\+[0-9a-fA-Fx/]*)?$)')

# syzkaller's title sanitation (pkg/report: dynamicTitleReplacement), for free text in titles
_SANITIZE = (
    (re.compile(r'([^a-zA-Z0-9])(?:0x)?[0-9a-fA-F]{6,}'), r'\1ADDR'),
    (re.compile(r'(\.\w+)(:[0-9]+)+'), r'\1:LINE'),
    (re.compile(r'([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+'), r'\1'),
    (re.compile(r'CPU#[0-9]+'), 'CPU'),
    (re.compile(r'(\W)(\d+)(?=\W|$)'), r'\1NUM'),
    (re.compile(r'\d{7,}'), 'NUM'),
)


def sanitize_title(text):
    """Replace addresses, line numbers and numbers in free text the way syzkaller does."""
    text = text.strip()
    for regex, repl in _SANITIZE:
        text = regex.sub(repl, text)
    return re.sub(r'\s+', ' ', text)[:200]


def _panic_title(msg):
    msg = msg.strip()
    m = re.match(r'stack-protector: Kernel stack is corrupted in: ([A-Za-z_][\w.]*)', msg)
    if m:
        return 'kernel panic: stack is corrupted in %s' % title_func(m.group(1).split('+')[0].split('.')[0])
    if msg.startswith('stack-protector:'):
        return 'kernel panic: stack is corrupted'
    if msg.startswith('corrupted stack end detected inside scheduler'):
        return 'kernel panic: corrupted stack end'
    if msg.startswith('Attempted to kill init!'):
        return 'kernel panic: Attempted to kill init!'
    if msg.startswith("Couldn't open N_TTY ldisc"):
        return "kernel panic: Couldn't open N_TTY ldisc"
    m = re.match(r'(\w+: )?panic_on_warn set', msg)
    if m:
        return 'kernel panic: panic_on_warn set'
    if not msg:
        return 'kernel panic'
    return 'kernel panic: %s' % sanitize_title(msg)


def _bug_msg(msg):
    """Short stable text of an unknown "BUG: ..." header."""
    msg = re.split(r'[:!]| at | on | for | in process |, ', msg, maxsplit=1)[0]
    return sanitize_title(msg)


class _Format(object):
    """A compiled REPORT_FORMATS entry."""

    def __init__(self, spec):
        self.name = spec['name']
        self.type = spec.get('type')
        self.keys = spec.get('keys', ())
        self.start = re.compile(spec['start'])
        self.loose = re.compile(spec['loose']) if spec.get('loose') else None
        self.title = spec.get('title', '')
        parts = []
        for kind, arg in spec.get('parts', ()):
            parts.append((kind, re.compile(arg) if arg else None))
        self.parts = tuple(parts)
        self.skip_extra = tuple(spec.get('skip', ()))
        self.skip = skip_regex(self.skip_extra)
        self.extractor = spec.get('extractor')
        self.end = re.compile(spec['end']) if spec.get('end') else None
        self.after = spec.get('after', 'finish' if any(part[0] == STACK for part in self.parts) else 'now')
        if not self.parts and self.after == 'finish':
            self.after = 'now'
        self.tail = spec.get('tail', 0)
        self.absorb = frozenset(spec.get('absorb', ()))
        self.absorb_window = spec.get('absorb_window', 0)
        self.task = re.compile(spec['task']) if spec.get('task') else None
        self.skip_irq = spec.get('skip_irq', False)
        self.require = tuple(spec.get('require', ()))
        self.needs_frames = spec.get('needs_frames', False)
        self.max_lines = spec.get('max_lines', 1000)
        self.func_optional = spec.get('func_optional', False) or (
            '{FUNC}' not in self.title and self.title != '{kasan_title}')
        self.corrupted = spec.get('corrupted', False)
        self.sanitize = spec.get('sanitize', False)
        self.kmemleak = spec.get('kmemleak', False)
        self.oom = spec.get('oom', False)
        self.kasan = spec.get('kasan', False)
        self.hung = spec.get('hung', False)
        self.other_cpu = spec.get('other_cpu', False)
        self.gate = re.compile(spec['gate']) if spec.get('gate') else None
        # lines in a row that add nothing to the report before it is given up
        self.patience = spec.get('patience', 60)
        self.body = re.compile(spec['body']) if spec.get('body') else None
        self.variants = tuple((re.compile(v[0]), v[1], skip_regex(self.skip_extra + tuple(v[2])))
                              for v in spec.get('variants', ()))


FORMATS = tuple(_Format(spec) for spec in REPORT_FORMATS)
FORMATS_BY_NAME = dict((f.name, f) for f in FORMATS)
_NOTES = tuple((kind, re.compile(regex), keys) for kind, regex, keys in NOTE_FORMATS)


def _keys_regex(keys):
    return re.compile('|'.join(re.escape(k) for k in sorted(set(keys), key=lambda k: (-len(k), k))))


_ALL_KEYS = []
_SCAN_KEYS = []
for _f in FORMATS:
    _ALL_KEYS.extend(_f.keys)
    if _f.type is not None:
        _SCAN_KEYS.extend(_f.keys)
for _n in _NOTES:
    _ALL_KEYS.extend(_n[2])
for _n in _NOTES:
    _SCAN_KEYS.extend(_n[2])
_ALL_KEYS.extend(('cut here', 'Showing all locks'))
_SCAN_KEYS.extend(('cut here', 'Showing all locks'))
#: prefilter: a line that matches none of these cannot start a report or be a note
PREFILTER_KEYS = tuple(sorted(set(_ALL_KEYS)))
PREFILTER_RE = _keys_regex(PREFILTER_KEYS)


def match_start(text):
    """(format, match) for a line that starts a report, else None."""
    if not PREFILTER_RE.search(text):
        return None
    for fmt in FORMATS:
        for key in fmt.keys:
            if key in text:
                break
        else:
            continue
        m = fmt.start.search(text)
        if m:
            return fmt, m, True
        if fmt.loose is not None:
            m = fmt.loose.search(text)
            if m:
                return fmt, m, False
    return None


def match_note(text):
    for kind, regex, keys in _NOTES:
        for key in keys:
            if key in text:
                if regex.search(text):
                    return kind
                break
    return None


def _seen(line):
    if line is None:
        return None
    if line.ts is not None:
        return line.ts
    if line.wallclock is not None:
        return line.wallclock
    return line.lineno


class _Report(object):
    """One report being read."""

    def __init__(self, fmt, m, strict, line):
        self.fmt = fmt
        self.line = line
        self.lineno = line.lineno
        self.seen = _seen(line)
        self.origin = line.origin
        self.groups = dict((k, v) for k, v in m.groupdict().items() if v is not None)
        if fmt.oom:
            self.groups['_text'] = line.text
        self.details = {}
        self.header_cut = not strict
        self.excerpt = [line.text]
        self.excerpt_chars = len(line.text)
        self.nlines = 1
        self.cands = []          # candidate frames for FUNC, in order
        self.func = None         # FUNC, when determined
        self.func_final = False
        self.stack = []          # main stack, normalized
        self.part_i = 0
        self.part_armed = False  # trigger of the current part seen
        self.stack_started = False
        self.stack_frames = 0
        self.stack_done = False
        self.stack_wait = 0
        self.section = None      # 'IRQ'/'NMI'/... while inside a stack section
        self.phase = 'parts'
        self.tail_left = fmt.tail
        self.done = False
        self.cut = False
        self.task = self.groups.get('task')
        self.pid = _int(self.groups.get('pid'))
        self.locks = HeldLocksParser(max_tasks=64)
        self.kmemleak = None
        self.title_tpl = fmt.title
        self.skip = fmt.skip
        self.absorbed = False
        self.record = None
        self.gated = fmt.gate is not None
        self.quiet = 0
        self.touched = False
        self.last_line = 0
        self._setup()

    # -- setup per family ----------------------------------------------------------------
    def _setup(self):
        fmt = self.fmt
        g = self.groups
        if fmt.variants:
            src = '%s %s' % (g.get('src') or '', g.get('hfunc') or '')
            for regex, title, skip in fmt.variants:
                if regex.search(src):
                    self.title_tpl = title
                    self.skip = skip
                    if 'hard lockup' in title:
                        self._become(FORMATS_BY_NAME['hard_lockup'], keep_header=False)
                    break
        if fmt.kmemleak:
            self.kmemleak = RecordParser()
            self.kmemleak.feed(self.line.text, self.lineno)
        if fmt.oom:
            self._oom_from_groups(g)
        if fmt.kasan:
            kind = g.get('kind', '')
            self.details['kind'] = kind
        if 'seconds' in g:
            self.details['seconds'] = _int(g['seconds'])
        if 'cpu' in g:
            self.details['cpu'] = _int(g['cpu'])
        if 'leaks' in g:
            self.details['leaks'] = _int(g['leaks'])
        if fmt.other_cpu:
            m = _DETECTED_BY_RE.search(self.line.text)
            if m:
                self.details['detector'] = _int(m.group('cpu'))
        if fmt.name == 'warning' and g.get('src'):
            self.details['source'] = '%s:%s' % (g['src'], g.get('srcline', ''))
        if fmt.name == 'kernel_bug' and g.get('src'):
            self.details['source'] = '%s:%s' % (g['src'], g.get('srcline', '')) if g.get('srcline') else g['src']
        if self.fmt.parts and self.fmt.parts[0][0] == HEADER:
            self._header_part()
            self.part_i = 1
        if fmt.after == 'now':
            self.done = True

    def _become(self, fmt, keep_header=False):
        """Turn this report into another format (3.10 hard lockup printed with WARN())."""
        self.fmt = fmt
        self.title_tpl = fmt.title
        self.skip = fmt.skip
        if not keep_header:
            self.cands = []
            self.func = None
            self.func_final = False
        self.part_i = 0
        self.part_armed = False
        self.tail_left = fmt.tail

    def _header_part(self):
        h = self.groups.get('hfunc')
        if not h:
            return
        f = parse_frame(h)
        if f is None:
            f = Frame(func=h.split('+')[0].split('.')[0], symbol=h.split('+')[0])
        self._cand(f)

    def _oom_from_groups(self, g, victim=None):
        d = self.details
        if 'invoker' in g:
            d['invoked_by'] = g['invoker']
            d['gfp_mask'] = g.get('gfp_mask')
            d['order'] = _int(g.get('order'))
            d['oom_score_adj'] = _int(g.get('oom_score_adj'))
            self.task = None
            self.pid = None
        if g.get('oom_kind', '').startswith('Memory cgroup'):
            d['memcg'] = True
        if victim is None:
            victim = self.fmt.name != 'oom_header'
        if 'task' in g and victim:
            d['victim'] = g['task']
            d['pid'] = _int(g.get('pid'))
            self.task = g['task']
            self.pid = _int(g.get('pid'))
        if 'score' in g:
            d['score'] = _int(g['score'])
        text = g.get('_text') or ''
        for name, value in _OOM_KB_RE.findall(text):
            d[_OOM_KB_KEYS[name]] = _int(value)
        if 'anon_rss_kb' in d:
            d['rss_kb'] = sum(d.get(k) or 0 for k in ('anon_rss_kb', 'file_rss_kb', 'shmem_rss_kb'))
        if self.fmt.name == 'oom_no_killable':
            self.title_tpl = 'Out of memory and no killable processes'

    # -- absorbing a start line of another format ------------------------------------------
    def can_absorb(self, fmt):
        if fmt.name not in self.fmt.absorb:
            return False
        if self.fmt.absorb_window and self.nlines > self.fmt.absorb_window:
            return False
        return True

    def absorb(self, fmt, m, line):
        self._excerpt(line.text)
        self.nlines += 1
        g = dict((k, v) for k, v in m.groupdict().items() if v is not None)
        g['_text'] = line.text
        if fmt is self.fmt and g.get('hfunc'):
            # the header again, for the out-of-line function (decode_stacktrace.sh)
            f = parse_frame(g['hfunc'])
            if f is not None:
                self._cand(f)
            return
        if fmt.name == 'hard_lockup':
            self._become(fmt)
            if 'cpu' in g:
                self.details['cpu'] = _int(g['cpu'])
            return
        if self.fmt.oom:
            if fmt.name == 'oom_no_killable':
                self.title_tpl = 'Out of memory and no killable processes'
                self.details['no_killable'] = True
                self.done = True
                return
            self._oom_from_groups(g, victim=True)
            if fmt.name in ('oom_victim', 'oom_killed_old'):
                self.done = True
            return
        # Oops / invalid opcode lines inside an oops report: nothing to do

    # -- lines ----------------------------------------------------------------------------
    def _excerpt(self, text):
        if len(self.excerpt) < MAX_EXCERPT_LINES and self.excerpt_chars < MAX_EXCERPT_CHARS:
            text = text[:MAX_EXCERPT_CHARS - self.excerpt_chars]
            self.excerpt.append(text)
            self.excerpt_chars += len(text) + 1

    def _cand(self, f):
        if len(self.cands) < MAX_FRAMES * 2:
            self.cands.append(f)
        if self.func is None and self.fmt.extractor is None:
            if not (f.raw or not f.reliable or not f.func or f.inline) and not self.skip.search(f.func):
                self.func = f.func
                self.func_final = True

    def feed(self, line):
        """Feed a continuation line; sets self.done when the report is over."""
        text = line.text
        self.nlines += 1
        self._excerpt(text)
        fmt = self.fmt
        if self.kmemleak is not None:
            rec = self.kmemleak.feed(text, line.lineno)
            if rec is not None:
                self.record = rec
                self.done = True
            elif not self.kmemleak.active:
                self.done = True
            return
        if fmt.end is not None and fmt.end.search(text) and self.nlines > 1:
            self.done = True
            return
        self.touched = False
        self._feed_line(text)
        if self.touched or not text.strip() or (fmt.body is not None and fmt.body.match(text)) or \
                (('0x' in text or '[inline]' in text) and parse_frame(text) is not None):
            self.quiet = 0
        else:
            self.quiet += 1
            if self.quiet > fmt.patience:
                self.done = True  # nothing more of this report: it was cut or it is over

    def _feed_line(self, text):
        fmt = self.fmt
        if self.gated:
            if fmt.other_cpu and 'detector' not in self.details:
                m = _DETECTED_BY_RE.search(text)
                if m:
                    self.details['detector'] = _int(m.group('cpu'))
            m = fmt.gate.search(text)
            if not (m and self._other_cpu(m)):
                return
            self.gated = False  # the stalled CPU's or task's dump starts here
            self.touched = True
        consumed_lock = self.locks.feed(text)
        if consumed_lock:
            self.touched = True
        if self.task is None:
            m = _CPU_LINE_RE.search(text)
            if m:
                self.task = m.group('task')
                self.pid = _int(m.group('pid'))
            elif not self.gated:
                t = parse_task_line(text)
                if t is not None:
                    self.task = t['task']
                    self.pid = t['pid']
        if fmt.task is not None and (self.task is None or fmt.hung is False):
            m = fmt.task.search(text)
            if m:
                self.task = m.group('task')
                self.pid = _int(m.group('pid'))
        if fmt.kasan and 'access' not in self.details:
            m = _KASAN_ACCESS_RE.match(text)
            if m:
                self.details['access'] = m.group('access')
                if m.group('size'):
                    self.details['size'] = _int(m.group('size'))
                self.task = m.group('task')
                self.pid = _int(m.group('pid'))
            else:
                m = _KASAN_ACCESS_LOOSE_RE.match(text)
                if m:
                    self.details['access'] = m.group('access')
                else:
                    m = _KASAN_FREE_RE.match(text)
                    if m:
                        self.task = m.group('task')
                        self.pid = _int(m.group('pid'))
        if fmt.oom:
            self._oom_line(text)
        if fmt.other_cpu and 'detector' not in self.details:
            m = _DETECTED_BY_RE.search(text)
            if m:
                self.details['detector'] = _int(m.group('cpu'))
        if self.nlines > fmt.max_lines:
            self.done = True
            return
        if self.phase == 'parts':
            self._parts(text)
            if self.phase == 'parts':
                return
            if fmt.after in ('finish', 'now'):
                self.done = True
            return
        # main stack done
        after = fmt.after
        if after == 'locks':
            if consumed_lock or not text.strip():
                return
            self.done = True
        elif after == 'tail':
            self.tail_left -= 1
            if self.tail_left <= 0:
                self.done = True
        elif after in ('finish', 'now'):
            self.done = True

    def _oom_line(self, text):
        d = self.details
        if _OOM_MEMCG_RE.search(text):
            d['memcg'] = True
        if 'oom-kill:constraint=' in text:
            m = _OOM_CONSTRAINT_RE.search(text)
            if m:
                d['constraint'] = m.group('constraint')
                if m.group('constraint') == 'CONSTRAINT_MEMCG':
                    d['memcg'] = True

    def _parts(self, text):
        parts = self.fmt.parts
        n = len(parts)
        i = self.part_i
        while i < n:
            r = self._try_part(i, text)
            if r is not None:
                self.touched = True
                return
            i += 1
        # no part took the line; an unfinished stack of the current part ends here
        if self.part_i < n and parts[self.part_i][0] == STACK and self.stack_started and self.stack_frames:
            self._end_stack()

    def _advance(self, i):
        self.part_i = i + 1
        self.part_armed = False
        if self.part_i >= len(self.fmt.parts):
            self._parts_done()

    def _parts_done(self):
        if self.phase == 'parts':
            self.phase = 'after'
            self._finalize_func()

    def _end_stack(self):
        self.stack_done = True
        self._advance(self.part_i)

    def _try_part(self, i, text):
        """Returns True if part i consumed the line (and moves to it), None otherwise."""
        kind, rx = self.fmt.parts[i]
        current = i == self.part_i
        armed = self.part_armed if current else False
        if kind == STACK:
            return self._try_stack(i, rx, text, current)
        if kind == LINE:
            m = rx.search(text)
            if not m:
                return None
            self._jump(i)
            func = m.group('func')
            self._cand(Frame(func=func.split('.')[0], symbol=func))
            self._advance(i)
            return True
        if rx is not None and not armed:
            m = rx.search(text)
            if m:
                if self.fmt.other_cpu and not self._other_cpu(m):
                    return None
                self._jump(i)
                self.part_armed = True
                if kind == AT and ' at: ' in text:
                    pass  # trigger and lock on the same line (rare); fall through
                else:
                    return True
            else:
                return None
        if kind == AT:
            idx = text.find('at: ')
            if idx < 0 or not (text[:idx].rstrip().endswith(',') or text[:idx].rstrip().endswith('}') or
                               idx < 4):
                return None
            f = parse_frame(text[idx + 4:])
            if f is None:
                return None
            self._jump(i)
            if f.inline:
                return True  # decode_stacktrace.sh: the real acquire site follows on the next line
            self._cand(f)
            self._advance(i)
            return True
        if kind == FRAME:
            f = parse_frame(text)
            if f is None:
                return None
            self._jump(i)
            if f.inline:
                return True
            self._cand(f)
            self._advance(i)
            return True
        if kind == RIP:
            if not current and self.stack_started:
                return None
            f = parse_rip(text) if ('IP' in text or 'pc' in text or 'PC' in text or 'epc' in text) else None
            if f is None:
                return None
            self._jump(i)
            self._cand(f)
            self._advance(i)
            return True
        return None

    def _jump(self, i):
        if i != self.part_i:
            self.part_i = i
            self.part_armed = False

    def _other_cpu(self, m):
        cpu = m.groupdict().get('cpu')
        det = self.details.get('detector')
        if cpu is None or det is None:
            return True
        return _int(cpu) != det

    def _try_stack(self, i, rx, text, current):
        if current and self.stack_started:
            return self._stack_line(text)
        # not started: trigger or first frame
        if rx is not None:
            if current and self.part_armed:
                if self._stack_line(text, starting=True):
                    return True
                self.stack_wait += 1
                if self.stack_wait > 80:
                    self._advance(i)  # trigger without a stack
                return True
            m = rx.search(text)
            if m and (not self.fmt.other_cpu or self._other_cpu(m)):
                self._jump(i)
                self.part_armed = True
                return True
            return None
        # no trigger: "Call Trace:" or a frame line starts the stack
        if _CALL_TRACE_RE.match(text):
            self._jump(i)
            self.part_armed = True
            return True
        markers, rest = strip_markers(text)
        if markers and not rest.strip():
            return None
        f = parse_frame(text)
        if f is None:
            return None
        self._jump(i)
        return self._stack_line(text, starting=True)

    def _stack_line(self, text, starting=False):
        sec = section_marker(text)
        if sec is not None:
            name, opening = sec
            self.section = name if opening else None
            if opening or self.stack_started:
                self.stack_started = True
            if name == 'TASK' and not opening and self.stack_frames:
                self._end_stack()  # "</TASK>": the task stack is complete
            return True
        markers, rest = strip_markers(text)
        for mk in markers:
            s = section_marker(mk)
            if s is not None:
                self.section = s[0] if s[1] else None
        f = parse_frame(rest)
        if f is None and self.stack_frames and _REGS_RE.match(text):
            # registers of an interrupted context printed inside the trace (4.x+)
            rf = parse_rip(text) if 'IP' in text else None
            if rf is not None and not (self.fmt.skip_irq and self.section == 'NMI'):
                self._cand(rf)
            return True
        if f is None:
            if _CALL_TRACE_RE.match(text):
                self.stack_started = self.stack_started or starting
                return True
            if not self.stack_frames:
                # lines between "Call Trace:"/trigger and the first frame
                if starting:
                    return False
                self.stack_wait += 1
                if self.stack_wait > 80:
                    self._end_stack()
                return True
            if _CUT_FRAME_RE.match(text):
                self.cut = True  # a frame line cut mid-way (serial capture)
            self._end_stack()
            return None
        self.stack_started = True
        self.stack_frames += 1
        if len(self.stack) < MAX_FRAMES:
            self.stack.append(f.normalized())
        if not (self.fmt.skip_irq and self.section == 'NMI'):
            self._cand(f)
        if is_bottom(f) and self.section in (None, 'TASK'):
            self._end_stack()
        return True

    def _finalize_func(self):
        if self.func_final:
            return
        if self.fmt.extractor is not None:
            self.func = guilty_frame(self.cands, self.skip, self.fmt.extractor)
            self.func_final = self.stack_done or not any(part[0] == STACK for part in self.fmt.parts)

    # -- the finding ------------------------------------------------------------------------
    def finish(self, eof=False, interrupted=False):
        """Returns the finding dict (without count/first_seen merging) or None."""
        fmt = self.fmt
        corrupted = fmt.corrupted or self.header_cut or self.cut
        if (interrupted and self.phase == 'parts' and self.part_i < len(fmt.parts)
                and fmt.parts[self.part_i][0] == STACK and self.stack_frames):
            self._end_stack()  # another report started right after the stack
        if self.kmemleak is not None:
            rec = self.record or self.kmemleak.close()
            if rec is None:
                return None
            func = rec.get('function')
            # no blamable frame: the backtrace was cut (or holds allocator frames only)
            return self._finding('memory leak in %s' % title_func(func) if func else 'memory leak', func,
                                 rec.get('corrupted') or corrupted or func is None,
                                 task=rec.get('comm'), pid=rec.get('pid'),
                                 stack=rec.get('backtrace') or [],
                                 details=dict(size=rec.get('size'), address=rec.get('address'),
                                              kind=rec.get('kind'), crc=rec.get('crc'), age=rec.get('age'),
                                              jiffies=rec.get('jiffies'), hex=rec.get('hex')))
        if self.phase == 'parts':
            # cut before the parts were all read
            self._finalize_func()
            if self.fmt.extractor is not None and self.cands:
                self.func = guilty_frame(self.cands, self.skip, self.fmt.extractor)
        func = self.func
        if fmt.needs_frames and not self.cands:
            return None
        if not fmt.func_optional and func is None:
            corrupted = True
        if fmt.extractor is not None and not self.func_final and any(part[0] == STACK for part in fmt.parts):
            corrupted = True
        for req in fmt.require:
            if self.details.get(req) is None:
                corrupted = True
        if fmt.kasan:
            kind = self.details.get('kind', '')
            if 'access' not in self.details and not kind.startswith(('double-free', 'invalid-free')):
                corrupted = True  # the "Read of size N at addr" line is missing
        title = self._title(func)
        if title is None:
            return None
        return self._finding(title, func, corrupted, task=self.task, pid=self.pid, stack=self.stack,
                             details=self.details)

    def _title(self, func):
        tpl = self.title_tpl
        g = self.groups
        d = self.details
        if tpl == '{oom_title}':
            victim = d.get('victim')
            prefix = 'Memory cgroup out of memory' if d.get('memcg') else 'Out of memory'
            if victim is None:
                return prefix
            return '%s: Killed process %s' % (prefix, victim)
        if tpl == '{panic_title}':
            return _panic_title(g.get('msg', ''))
        if tpl == '{kasan_title}':
            kind = d.get('kind') or 'bad-access'
            access = d.get('access')
            tpl = 'KASAN: %s %s in {FUNC}' % (kind, access) if access else 'KASAN: %s in {FUNC}' % kind
        values = {}
        for k, v in g.items():
            if k.startswith('_'):
                continue
            values[k] = sanitize_title(v) if self.fmt.sanitize else v
        if self.fmt.name == 'bug_generic':
            values['msg'] = _bug_msg(g.get('msg', ''))
        values['access_sp'] = ' %s' % g['access'] if g.get('access') else ''
        if 'what' in g and self.fmt.name == 'kcsan':
            values['what_funcs'] = ' / '.join(title_func(p.strip().split('+')[0].split('.')[0])
                                              for p in g['what'].split('/'))
        values.update((k, v) for k, v in d.items() if isinstance(v, str) and k not in values)
        if func is None:
            tpl = tpl.replace(' in {FUNC}', '').replace(' {FUNC}', '').replace('{FUNC}', '')
        else:
            values['FUNC'] = title_func(func)
        try:
            return tpl.format(**values).strip()
        except (KeyError, IndexError, ValueError):
            return re.sub(r'\{[^}]*\}', '', tpl).strip()

    def _finding(self, title, func, corrupted, task=None, pid=None, stack=(), details=None):
        locks = []
        entry = None
        if self.locks.entries:
            entry = self.locks.find(task, pid)
            if entry is None and self.fmt.type == 'lockdep':
                entry = self.locks.entries[0]
        if entry is not None:
            locks = list(entry['locks'])
        return dict(type=self.fmt.type, title=title, function=func, count=1, first_seen=self.seen,
                    last_seen=self.seen, task=task, pid=pid, locks=locks, stack=list(stack or ()),
                    source=None, line=self.lineno, corrupted=bool(corrupted),
                    excerpt=u'\n'.join(self.excerpt), details=dict(details or {}))


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


class FindingCollector(object):
    """Streaming collector of kernel log findings.

    feed(line) with str/bytes/LogLine one line at a time (or feed_stream(file)); result()
    returns dict(findings, counts, notes, truncated, lines). Never raises on input;
    memory is bounded by max_findings, MAX_NOTES and per-report caps.
    """

    def __init__(self, types=None, max_findings=None, source=None):
        self.types = frozenset(types) if types else None
        self.max_findings = DEFAULT_MAX_FINDINGS if max_findings is None else max(0, int(max_findings))
        self.source = source
        self.lines = 0
        self.findings = {}
        self.order = []
        self.counts = {}
        self.notes = []
        self.note_index = {}
        self.truncated = False
        self.active = {}      # caller id (or None) -> _Report
        self.pending_hung = []
        self.all_locks = None  # HeldLocksParser for "Showing all locks held in the system:"
        self.all_locks_key = None
        self.prev_kmsg = False
        self.last_lineno = None
        self._partial_next = False

    # -- input --------------------------------------------------------------------------
    def feed(self, line):
        """Feed one line (str, bytes or kmsg.LogLine)."""
        try:
            if not isinstance(line, LogLine):
                text = to_text(line)
                if self.prev_kmsg and is_dict_line(text):
                    return
                pieces = [p for p in text.split(u'\r') if p] if u'\r' in text.rstrip(u'\r\n') else [text]
                parts = []
                for piece in pieces:
                    parts.extend(split_glued(parse_line(piece, self.lines + 1)))
                if parts and self._partial_next and not text.endswith(u'\r'):
                    parts[-1].partial = True
                for part in parts:
                    self._feed(part)
                return
            self._feed(line)
        except Exception:  # pragma: no cover - defensive: never raise on input
            self.active = {}

    def _note(self, kind, line):
        key = kind
        idx = self.note_index.get(key)
        if idx is not None:
            self.notes[idx]['count'] += 1
            return
        if len(self.notes) >= MAX_NOTES:
            return
        self.note_index[key] = len(self.notes)
        self.notes.append(dict(note=line.text.strip()[:300], kind=kind, line=line.lineno, ts=line.ts,
                               wallclock=line.wallclock, count=1))

    def _feed(self, line):
        if line.lineno is None or line.lineno != self.last_lineno:
            self.lines += 1  # pieces of one physical line (CR, glued lines) count once
        if line.lineno is None:
            line.lineno = self.lines
        self.last_lineno = line.lineno
        self.prev_kmsg = line.origin == 'kmsg'
        text = line.text
        key = line.caller
        active = self.active
        if active and (len(active) > 1 or key not in active):
            self._close_stale(key)
        report = active.get(key)
        if report is not None:
            report.last_line = self.lines
        if line.kernel is False:
            return  # a user-space program's line in a syslog/journal file
        # a line without the report's time stamp prefix: user space on a serial console
        foreign = report is not None and report.origin != 'plain' and line.origin == 'plain'
        if text and PREFILTER_RE.search(text):
            note = match_note(text)
            if note is not None:
                self._note(note, line)
            if _CUT_HERE_RE.search(text):
                if report is not None and not foreign and (report.phase != 'parts' or report.func_final):
                    self._close(key)
                return
            hit = match_start(text)
            if hit is not None and hit[0].type is None:
                # a known line that is not a report (printed by another context in between)
                if report is not None and hit[0].name == 'page_alloc_failure':
                    return
                hit = None
            if hit is not None:
                fmt, m, strict = hit
                if line.partial:
                    strict = False  # the header may go on after the end of the input
                if report is not None and report.can_absorb(fmt):
                    report.absorb(fmt, m, line)
                    if report.done:
                        self._close(key)
                    return
                if self.all_locks is not None and self.all_locks_key == key:
                    self._end_all_locks()
                if report is not None:
                    self._close(key, interrupted=True)
                self._start(fmt, m, strict, line, key)
                return
            if 'Showing all locks held in the system' in text:
                if report is not None:
                    self._close(key, interrupted=True)
                self.all_locks = HeldLocksParser()
                self.all_locks.feed(text)
                self.all_locks_key = key
                return
        if foreign:
            return
        if report is not None:
            if line.partial:
                report.cut = True  # the input ends inside this line
            report.feed(line)
            if report.done:
                self._close(key)
            return
        if self.all_locks is not None and self.all_locks_key == key:
            if not self.all_locks.feed(text) and text.strip():
                self._end_all_locks()
            elif not self.all_locks.all_locks:
                self._end_all_locks()

    def _close_stale(self, key):
        for other in list(self.active):
            if other != key and self.lines - self.active[other].last_line > STALE_LINES:
                self._close(other, interrupted=True)

    def _start(self, fmt, m, strict, line, key):
        report = _Report(fmt, m, strict, line)
        report.last_line = self.lines
        if report.done:
            self._record(report.finish())
            return
        if len(self.active) >= MAX_ACTIVE and key not in self.active:
            oldest = min(self.active, key=lambda k: self.active[k].lineno or 0)
            self._close(oldest, interrupted=True)
        self.active[key] = report

    def _close(self, key, interrupted=False, eof=False):
        report = self.active.pop(key, None)
        if report is None:
            return
        finding = report.finish(eof=eof, interrupted=interrupted)
        self._record(finding, report)

    def _end_all_locks(self):
        parser = self.all_locks
        self.all_locks = None
        self.all_locks_key = None
        if parser is None:
            return
        for finding, task, pid in self.pending_hung:
            if finding.get('locks'):
                continue
            entry = parser.find(task, pid)
            if entry is not None:
                finding['locks'] = list(entry['locks'])
        self.pending_hung = []

    def _record(self, finding, report=None):
        if finding is None:
            return
        ftype = finding['type']
        if self.types is not None and ftype not in self.types:
            return
        finding['source'] = self.source
        self.counts[ftype] = self.counts.get(ftype, 0) + 1
        key = (ftype, finding['title'], finding['task'])
        old = self.findings.get(key)
        if old is not None:
            old['count'] += 1
            old['last_seen'] = finding['last_seen']
            if not finding['corrupted']:
                old['corrupted'] = False
            if not old['locks'] and finding['locks']:
                old['locks'] = finding['locks']
            if ftype == 'memory_leak' and finding['details'].get('leaks'):
                old['details']['leaks'] = (old['details'].get('leaks') or 0) + finding['details']['leaks']
            target = old
        else:
            if len(self.findings) >= self.max_findings:
                self.truncated = True
                return
            self.findings[key] = finding
            self.order.append(key)
            target = finding
        if report is not None and report.fmt.hung and not target['locks']:
            if len(self.pending_hung) >= MAX_PENDING_HUNG:
                self.pending_hung.pop(0)
            self.pending_hung.append((target, finding['task'], finding['pid']))

    def result(self):
        """dict(findings, counts, notes, truncated, lines). Reports still open are closed
        (a report cut by the end of the input is marked corrupted when it lacks its parts)."""
        try:
            for key in list(self.active):
                self._close(key, eof=True)
            if self.all_locks is not None:
                self._end_all_locks()
        except Exception:  # pragma: no cover - defensive
            self.active = {}
        findings = [self.findings[k] for k in self.order]
        findings.sort(key=lambda f: f['line'] if isinstance(f['line'], int) else 0)
        return dict(findings=findings, counts=dict(self.counts), notes=list(self.notes),
                    truncated=self.truncated, lines=self.lines)

    # -- fast streaming input ---------------------------------------------------------------
    def feed_stream(self, stream):
        """Feed a whole file object / text / iterable. File objects are read in chunks; while
        no report is open, lines without any report keyword are skipped at C speed."""
        if hasattr(stream, 'read'):
            self._feed_file(stream)
            return
        if isinstance(stream, (bytes, bytearray)) or isinstance(stream, type(u'')):
            for line in iter_lines(stream, start_lineno=self.lines + 1):
                self.feed(line)
            return
        for line in iter_lines(stream, start_lineno=self.lines + 1):
            self.feed(line)

    def _feed_file(self, stream):
        scanner = _Scanner()
        carry = b''
        size = CHUNK_SIZE * 16
        while True:
            try:
                data = stream.read(size)
            except Exception:
                data = None
            if not data:
                break
            if not isinstance(data, bytes):
                data = to_text(data).encode('utf-8', 'replace')
            buf = carry + data if carry else data
            cut = buf.rfind(b'\n')
            if cut < 0:
                if len(buf) > MAX_LINE * 4:
                    self._feed_bytes_line(buf[:MAX_LINE * 4])
                    carry = b''
                else:
                    carry = buf
                continue
            carry = buf[cut + 1:]
            self._scan_block(scanner, buf, cut + 1)
        if carry:
            self._partial_next = True
            self._feed_bytes_line(carry)
            self._partial_next = False

    def _feed_bytes_line(self, raw):
        if len(raw) > MAX_LINE * 4:
            raw = raw[:MAX_LINE * 4]
        self.feed(raw.decode('utf-8', 'replace'))

    def _scan_block(self, scanner, buf, end):
        """Process buf[:end] (ends with a newline)."""
        pos = 0
        scanner.reset(buf, end)
        while pos < end:
            if not self.active and self.all_locks is None:
                hit = scanner.next_hit(pos)
                if hit < 0:
                    self.lines += buf.count(b'\n', pos, end)
                    self.prev_kmsg = False
                    return
                nl = buf.rfind(b'\n', pos, hit)
                start = nl + 1 if nl >= 0 else pos
                if start > pos:
                    self.lines += buf.count(b'\n', pos, start)
                    self.prev_kmsg = False
                pos = start
            nl = buf.find(b'\n', pos, end)
            if nl < 0:
                nl = end
            self._feed_bytes_line(buf[pos:nl])
            pos = nl + 1


def _scanner_needles():
    """The keywords of lines that start a report or are a note (not those of lines that are
    recognized only to be ignored), without those containing another one."""
    keys = set(_SCAN_KEYS)
    return tuple(sorted((k.encode('utf-8') for k in keys if not any(o != k and o in k for o in keys)),
                        key=lambda n: (-len(n), n)))


class _Scanner(object):
    """Finds the next place that may start a report, with bytes.find per needle (C speed)."""

    NEEDLES = _scanner_needles()

    def __init__(self):
        self.buf = b''
        self.end = 0
        self.next = []

    def reset(self, buf, end):
        self.buf = buf
        self.end = end
        nxt = []
        for n in self.NEEDLES:
            p = buf.find(n, 0, end)
            if p >= 0:
                nxt.append([p, n])
        self.next = nxt

    def next_hit(self, pos):
        best = -1
        buf = self.buf
        end = self.end
        alive = []
        for item in self.next:
            p = item[0]
            if p < pos:
                p = buf.find(item[1], pos, end)
                if p < 0:
                    continue
                item[0] = p
            alive.append(item)
            if best < 0 or p < best:
                best = p
        self.next = alive
        return best


def collect(lines, types=None, max_findings=None, source=None):
    """Findings of a whole input: lines (iterable of str/bytes/LogLine), a file object or text."""
    collector = FindingCollector(types=types, max_findings=max_findings, source=source)
    try:
        if hasattr(lines, 'read') or isinstance(lines, (bytes, bytearray)) or isinstance(lines, type(u'')):
            collector.feed_stream(lines)
        else:
            for line in lines:
                collector.feed(line)
    except Exception:  # pragma: no cover - defensive
        pass
    return collector.result()
