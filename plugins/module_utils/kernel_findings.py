# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel log findings: the kernel's own reports as structured data.

Three places hold the facts, one each:

- REPORT_FORMATS (below): one typed entry (report_format.ReportFormat, every field documented
  in report_format.FIELDS) per report the kernel prints: finding type, start line, title
  template, where the guilty function comes from, how the report ends, and the per-family
  hooks (report_hooks) it points to;
- title_rules: the rules that turn a stack into a title (skip lists, stall and hang anchors,
  syscall prefix strips, checker titles, wording, variable parts), syzbot's conventions;
- NOTE_FORMATS (below): state lines that are not reports ("INFO: lockdep is turned off.").

The engine (FindingCollector, _Report, _FuncReader) reads one line at a time, keeps a bounded
state per printing context (CONFIG_PRINTK_CALLER ids demultiplex interleaved reports), merges
repeats of the same report into one finding with a count, and never names a family: what
differs between reports is in the table.

Formats are written from linux 6.1 (Debian linux-source) and the 3.10 (RHEL 7) forms:
kernel/locking/lockdep.c, kernel/hung_task.c, kernel/sched/core.c, kernel/watchdog.c,
kernel/watchdog_hld.c, kernel/rcu/tree_stall.h, mm/oom_kill.c, mm/kmemleak.c,
mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c, kernel/panic.c, lib/bug.c,
arch/x86/mm/fault.c, arch/x86/kernel/traps.c, arch/x86/kernel/dumpstack.c, arch/arm64/mm/fault.c.

Stdlib only; Python 2.7 and 3.6+; bounded memory; never raises on input.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.kdebug.kernel.plugins.module_utils.lazy_regex import lazy
from ansible_collections.kdebug.kernel.plugins.module_utils.frames import (
    MAX_FRAMES, Frame, guilty_frame, is_bottom, parse_frame, parse_rip, section_marker, strip_markers,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import (
    MAX_LINE, LineReader, LogLine, is_dict_line, iter_lines, parse_line, split_glued, to_text,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.locks import HeldLocksParser, parse_task_line
from ansible_collections.kdebug.kernel.plugins.module_utils.report_format import (
    AT, FRAME, HEADER, LINE, RIP, STACK, ReportFormat,
)
from ansible_collections.kdebug.kernel.plugins.module_utils import report_hooks as hooks
from ansible_collections.kdebug.kernel.plugins.module_utils.title_rules import (
    ATOMIC_SLEEP_SKIP, BAD_PAGE_SKIP, KASAN_SKIP, KERNEL_BUG_CHECKERS, KERNEL_BUG_SKIP, KFENCE_SKIP,
    KMSAN_SKIP, LOCKDEP_KEY_SKIP, LOCKDEP_SKIP, OOM_SKIP, PREEMPTIBLE_SKIP, RCU_USAGE_SKIP, SCHEDULE_SKIP,
    SPINLOCK_BUG_SKIP, STALL_SKIP, UBSAN_SKIP, WARNING_CHECKERS, WORDING, sanitize_title, title_func,
)

#: the finding type vocabulary (a contract with modules, roles and reports)
FINDING_TYPES = ('lockdep', 'atomic_sleep', 'hung_task', 'soft_lockup', 'hard_lockup', 'rcu_stall',
                 'oom_kill', 'memory_leak', 'kasan', 'ubsan', 'kfence', 'warning', 'bug', 'panic')

DEFAULT_MAX_FINDINGS = 200
MAX_EXCERPT_LINES = 60
MAX_EXCERPT_CHARS = 8192
MAX_NOTES = 100
MAX_ACTIVE = 16          # reports being read at the same time (one per printing context)
MAX_PENDING_HUNG = 64    # findings waiting for the all-locks block (wait_for_locks)
STALE_LINES = 300        # a report whose printing context printed nothing for this many lines is over

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
_LOCKDEP_TRYING = r'^(?P<task>.+)/(?P<pid>\d+) '
_STALL_ALT = ('stall in {FUNC}',)
_HANG_ALT = ('hang in {FUNC}',)
_OOPS_ABSORB = ('oops', 'invalid_opcode')

# The report formats. Fields: report_format.FIELDS (defaults explicit there; a key that is not
# a field fails at import). Order matters: the first format whose keys and start match wins.
F = ReportFormat
REPORT_FORMATS = (
    # ---- lockdep (kernel/locking/lockdep.c; 3.10: "[ INFO: ... ]" headers) --------------
    F(name='lockdep_circular', type='lockdep', keys=('WARNING', 'INFO:'),
      start=r'(?:WARNING|INFO): possible circular locking dependency detected',
      title='possible deadlock in {FUNC}',
      parts=((AT, r'is trying to acquire lock'), (AT, r'already holding lock'), (STACK, _STACK_BACKTRACE)),
      skip=LOCKDEP_SKIP, task=_LOCKDEP_TRYING + r'is trying to acquire lock', locks_of_any=True),
    F(name='lockdep_recursive', type='lockdep', keys=('WARNING', 'INFO:'),
      start=r'(?:WARNING|INFO): possible recursive locking detected',
      title='possible deadlock in {FUNC}',
      parts=((AT, r'is trying to acquire lock'), (AT, r'already holding lock'), (STACK, _STACK_BACKTRACE)),
      skip=LOCKDEP_SKIP, task=_LOCKDEP_TRYING + r'is trying to acquire lock', locks_of_any=True),
    F(name='lockdep_irq_inversion', type='lockdep', keys=('WARNING', 'INFO:'),
      start=r'(?:WARNING|INFO): possible irq lock inversion dependency detected',
      title='possible deadlock in {FUNC}',
      parts=((AT, r'just changed the state of lock'), (STACK, _STACK_BACKTRACE)),
      skip=LOCKDEP_SKIP, task=_LOCKDEP_TRYING + r'just changed the state of lock', locks_of_any=True),
    F(name='lockdep_safe_unsafe', type='lockdep', keys=('WARNING', 'INFO:'),
      start=r'(?:WARNING|INFO): (?P<irq>\w+)-safe -> \w+-unsafe lock order detected',
      title='possible deadlock in {FUNC}',
      parts=((AT, r'is trying to acquire'), (STACK, _STACK_BACKTRACE)),
      skip=LOCKDEP_SKIP, task=_LOCKDEP_TRYING + r'\[HC.*is trying to acquire', locks_of_any=True),
    F(name='lockdep_inconsistent', type='lockdep', keys=('WARNING', 'INFO:'),
      start=r'(?:WARNING|INFO): inconsistent lock state',
      title='inconsistent lock state in {FUNC}',
      parts=((AT, r'\] takes:'), (STACK, _STACK_BACKTRACE)),
      skip=LOCKDEP_SKIP, task=_LOCKDEP_TRYING + r'\[HC.*\] takes:', locks_of_any=True),
    # 6.x prints "WARNING: ...", 3.10 "[ BUG: ... ]": syzbot keeps the header's word
    F(name='lockdep_bad_unlock', type='lockdep', keys=('WARNING', 'BUG'),
      start=r'(?P<level>WARNING|BUG): bad unlock balance detected',
      title='{level}: bad unlock balance in {FUNC}',
      parts=((FRAME, r'is trying to release lock'), (STACK, _STACK_BACKTRACE)),
      task=_LOCKDEP_TRYING + r'is trying to release lock', locks_of_any=True),
    F(name='lockdep_held_lock_freed', type='lockdep', keys=('WARNING', 'BUG'),
      start=r'(?P<level>WARNING|BUG): held lock freed',
      title='{level}: held lock freed in {FUNC}',
      parts=((AT, r'is freeing memory'), (STACK, _STACK_BACKTRACE)),
      task=_LOCKDEP_TRYING + r'is freeing memory', locks_of_any=True),
    F(name='lockdep_return_to_user', type='lockdep', keys=('WARNING', 'BUG'),
      start=r'(?P<level>WARNING|BUG): lock held when returning to user space',
      title='{level}: lock held when returning to user space in {FUNC}',
      parts=((AT, r'is leaving the kernel with locks still held'),), after='locks',
      task=_LOCKDEP_TRYING + r'is leaving the kernel', locks_of_any=True),
    F(name='lockdep_still_held', type='lockdep', keys=('WARNING', 'BUG'),
      start=r'(?P<level>WARNING|BUG): (?P<task>.+)/(?P<pid>\d+) still has locks held',
      title='{level}: still has locks held in {FUNC}',
      parts=((AT, None), (STACK, _STACK_BACKTRACE)), locks_of_any=True),
    F(name='lockdep_rcu_suspicious', type='lockdep', keys=('WARNING', 'INFO:'),
      start=r'(?:WARNING|INFO): suspicious RCU usage',
      title='WARNING: suspicious RCU usage in {FUNC}',
      parts=((STACK, _STACK_BACKTRACE),), skip=RCU_USAGE_SKIP, locks_of_any=True),
    F(name='lockdep_invalid_wait', type='lockdep', keys=('WARNING', 'BUG'),
      start=r'(?P<level>WARNING|BUG): Invalid wait context',
      title='BUG: Invalid wait context in {FUNC}',
      parts=((AT, r'is trying to lock'), (STACK, _STACK_BACKTRACE)),
      task=_LOCKDEP_TRYING + r'is trying to lock', locks_of_any=True),
    F(name='lockdep_nested_not_taken', type='lockdep', keys=('WARNING',),
      start=r'WARNING: Nested lock was not taken',
      title='WARNING: Nested lock was not taken in {FUNC}',
      parts=((AT, r'is trying to lock'), (STACK, _STACK_BACKTRACE)), locks_of_any=True),
    F(name='lockdep_non_static_key', type='lockdep', keys=('INFO:',),
      start=r'INFO: trying to register non-static key',
      title='INFO: trying to register non-static key in {FUNC}',
      parts=((STACK, None),), skip=LOCKDEP_KEY_SKIP, locks_of_any=True),
    F(name='lockdep_limit', type='lockdep', keys=('BUG',),
      start=r'BUG: (?P<what>MAX_\w+) too low!',
      title='BUG: {what} too low!', locks_of_any=True),
    F(name='lockdep_invalid_subclass', type='lockdep', keys=('BUG',),
      start=r'BUG: looking up invalid subclass',
      title='BUG: looking up invalid subclass in {FUNC}', parts=((STACK, None),), locks_of_any=True),
    F(name='lockdep_key_unregistered', type='lockdep', keys=('BUG',),
      start=r'BUG: key \S+ (?:has not been registered|not in \.data)',
      title='BUG: key not registered in {FUNC}', parts=((STACK, None),), skip=LOCKDEP_KEY_SKIP,
      locks_of_any=True),

    # ---- sleeping in atomic context (kernel/sched/core.c:__might_resched, __schedule_bug) ----
    F(name='atomic_sleep', type='atomic_sleep', keys=('BUG',),
      start=r'BUG: sleeping function called from invalid context',
      title='BUG: sleeping function called from invalid context in {FUNC}',
      parts=((STACK, _CALL_TRACE),), skip=ATOMIC_SLEEP_SKIP,
      task=r'in_atomic\(\): \d+, irqs_disabled\(\): \d+,(?: non_block: \d+,)? pid: (?P<pid>\d+), '
           r'name: (?P<task>.+?)\s*$'),
    F(name='scheduling_while_atomic', type='atomic_sleep', keys=('BUG',),
      start=r'BUG: scheduling while atomic: (?P<task>.+)/(?P<pid>\d+)/0x[0-9a-fA-F]+',
      loose=r'BUG: scheduling while atomic',
      title='BUG: scheduling while atomic in {FUNC}', parts=((STACK, _CALL_TRACE),), skip=SCHEDULE_SKIP),

    # ---- hung tasks (kernel/hung_task.c:check_hung_task) --------------------------------
    F(name='hung_task', type='hung_task', keys=('INFO:',),
      start=r'INFO: task (?P<task>.+):(?P<pid>\d+) blocked for more than (?P<seconds>\d+) seconds\.?',
      loose=r"INFO: task (?!.*(?:can't die|is blocked on))\S",
      title='INFO: task hung in {FUNC}', alt_titles=_HANG_ALT, parts=((STACK, None),), extractor='hang',
      after='locks', wait_for_locks=True, int_details=('seconds',)),
    F(name='task_cant_die', type='hung_task', keys=('INFO:',),
      start=r"INFO: task (?P<task>.+):(?P<pid>\d+) can't die for more than (?P<seconds>\d+) seconds",
      title="INFO: task can't die in {FUNC}", alt_titles=_HANG_ALT, parts=((STACK, None),), extractor='hang',
      after='locks', wait_for_locks=True, int_details=('seconds',)),

    # ---- lockups and stalls (kernel/watchdog.c, kernel/watchdog_hld.c, kernel/rcu/tree_stall.h) --
    F(name='soft_lockup', type='soft_lockup', keys=('BUG',),
      start=r'BUG: soft lockup - CPU#(?P<cpu>\d+) stuck for (?P<seconds>\d+)s! \[(?P<task>.+):(?P<pid>\d+)\]',
      loose=r'BUG: soft lockup',
      title='BUG: soft lockup in {FUNC}', alt_titles=_STALL_ALT, parts=((RIP, None), (STACK, None)),
      extractor='stall', skip=STALL_SKIP, skip_irq=True, int_details=('cpu', 'seconds')),
    F(name='hard_lockup', type='hard_lockup', keys=('hard LOCKUP',),
      start=r'(?<!not syncing: )Watchdog detected hard LOCKUP on cpu (?P<cpu>\d+)',
      title='BUG: hard lockup in {FUNC}', alt_titles=_STALL_ALT, parts=((RIP, None), (STACK, None)),
      extractor='stall_nmi', skip=STALL_SKIP, skip_irq=True, absorb=('hard_lockup',), absorb_window=4,
      takes_over=True, int_details=('cpu',)),
    F(name='rcu_stall_self', type='rcu_stall', keys=('INFO:',),
      start=r'INFO: (?P<flavor>rcu_\w+|rcu) self-detected stall',
      title='INFO: rcu detected stall in {FUNC}', alt_titles=_STALL_ALT, parts=((RIP, None), (STACK, None)),
      extractor='stall', skip=STALL_SKIP, skip_irq=True, after='tail', tail=20),
    F(name='rcu_stall', type='rcu_stall', keys=('INFO:',),
      start=r'INFO: (?P<flavor>rcu_\w+|rcu) detected (?:expedited )?stalls?',
      title='INFO: rcu detected stall in {FUNC}', alt_titles=_STALL_ALT, parts=((RIP, None), (STACK, None)),
      gate=r'(?:NMI backtrace for cpu|Task dump for CPU) (?P<cpu>\d+)|^\s*task:\S.*\bstate:',
      extractor='stall_nmi', skip=STALL_SKIP, skip_irq=True, other_cpu=True, after='tail', tail=20),

    # ---- OOM killer (mm/oom_kill.c) -------------------------------------------------------
    # (keys: what is cheapest for the scanner to rule out and in every start line: 'Killed
    # process' (its K is rare in kernel logs), not 'illed process'; one 'of memory' for the
    # two ways a kill line starts, not 'Out of memory' and 'Memory cgroup out of memory')
    F(name='oom_header', type='oom_kill', keys=('invoked oom-killer',),
      start=r'(?P<invoker>\S.*?) invoked oom-killer: gfp_mask=(?P<gfp_mask>0x[0-9a-fA-F]+)(?:\([^)]*\))?,'
            r'(?: nodemask=\S+,)? order=(?P<order>-?\d+)(?:, oom_adj=-?\d+)?(?:, oomkilladj=-?\d+)?'
            r'(?:, oom_score_adj=(?P<oom_score_adj>-?\d+))?',
      loose=r'invoked oom-killer',
      parts=((STACK, None),), skip=OOM_SKIP, after='end', hooks=hooks.OOM,
      absorb=('oom_victim', 'oom_kill_old', 'oom_killed_old', 'oom_no_killable'), max_lines=200000,
      func_optional=True, patience=400, body=_OOM_BODY),
    F(name='oom_victim', type='oom_kill', keys=('of memory',),
      start=r'(?P<oom_kind>Out of memory|Memory cgroup out of memory)(?: \(oom_kill_allocating_task\))?: '
            r'Killed process (?P<pid>\d+) \((?P<task>.*?)\)(?= total-vm| vsz|,|\s*$)',
      hooks=hooks.OOM, func_optional=True),
    F(name='oom_kill_old', type='oom_kill', keys=('of memory',),
      start=r'(?P<oom_kind>Out of memory|Memory cgroup out of memory)(?: \(oom_kill_allocating_task\))?: '
            r'[Kk]ill process (?P<pid>\d+) \((?P<task>.*?)\) score (?P<score>\d+)',
      after='end', hooks=hooks.OOM, absorb=('oom_killed_old',), func_optional=True, max_lines=50),
    F(name='oom_killed_old', type='oom_kill', keys=('Killed process',),
      start=r'^Killed process (?P<pid>\d+)(?:, UID \d+,)? \((?P<task>.*?)\)(?= total-vm| vsz|,|\s*$)',
      hooks=hooks.OOM, func_optional=True),
    F(name='oom_no_killable', type='oom_kill', keys=('of memory',),
      start=r'Out of memory and no killable processes(?P<no_killable>)', hooks=hooks.OOM, func_optional=True),

    # ---- kmemleak (mm/kmemleak.c:print_unreferenced, kmemleak_scan) -----------------------
    F(name='kmemleak_record', type='memory_leak', keys=('unreferenced object',),
      start=r'unreferenced object\s+(?:\((?:percpu|phys)\)\s+)?0x[0-9a-fA-F]+\s+\(size',
      title='memory leak in {FUNC}', hooks=hooks.KMEMLEAK, after='end', max_lines=200),
    F(name='kmemleak_new_leaks', type='memory_leak', keys=('emleak',),
      start=r'(?P<leaks>\d+) new suspected memory leaks?',
      title='kmemleak: new suspected memory leaks', int_details=('leaks',), merge_sum=('leaks',)),
    F(name='syzkaller_memory_leak', type=None, keys=('BUG',), start=r'^BUG: memory leak\s*$'),

    # ---- sanitizers (mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c) ------------------
    F(name='kasan', type='kasan', keys=('BUG',),
      start=r'BUG: KASAN: (?P<kind>[a-z0-9-]+(?: or [a-z-]+)?)(?: in ' + _HFUNC + r'| on address| at addr|\s*$)',
      loose=r'BUG: KASAN: (?P<kind>[a-z0-9-]+(?: or [a-z-]+)?)',
      parts=((HEADER, None), (STACK, None)), skip=KASAN_SKIP, hooks=hooks.KASAN,
      end=_SEPARATOR, after='end', max_lines=400, patience=120, absorb=('kasan',), absorb_window=2),
    F(name='kfence', type='kfence', keys=('BUG',),
      start=r'BUG: KFENCE: (?P<kind>use-after-free|out-of-bounds|memory corruption|invalid free|invalid)'
            r'(?: (?P<access>read|write))? in ' + _HFUNC,
      loose=r'BUG: KFENCE: (?P<kind>use-after-free|out-of-bounds|memory corruption|invalid free|invalid)'
            r'(?: (?P<access>read|write))?',
      title='KFENCE: {kind}{access_sp} in {FUNC}', parts=((HEADER, None), (STACK, None)), skip=KFENCE_SKIP,
      end=_SEPARATOR, after='end', max_lines=200, absorb=('kfence',), absorb_window=2),
    F(name='kcsan', type='bug', keys=('BUG',),
      start=r'BUG: KCSAN: (?P<kind>[a-z-]+) in (?P<what>.+)$', hooks=hooks.KCSAN,
      end=_SEPARATOR, after='end', max_lines=200, func_optional=True),
    F(name='kmsan', type='bug', keys=('BUG',),
      start=r'BUG: KMSAN: (?P<kind>[a-z-]+) in ' + _HFUNC,
      loose=r'BUG: KMSAN: (?P<kind>[a-z-]+)',
      title='KMSAN: {kind} in {FUNC}', parts=((HEADER, None), (STACK, None)), skip=KMSAN_SKIP,
      end=_SEPARATOR, after='end', max_lines=200, absorb=('kmsan',), absorb_window=2),
    F(name='ubsan', type='ubsan', keys=('UBSAN:',),
      start=r'UBSAN: (?P<kind>[A-Za-z][\w -]*?) in (?P<src>\S+)',
      title='UBSAN: {kind} in {FUNC}', parts=((STACK, None),), skip=UBSAN_SKIP,
      end=_SEPARATOR + r'|' + _END_TRACE, after='end', max_lines=200),

    # ---- WARN() (kernel/panic.c:__warn; 3.10 warn_slowpath_common) -------------------------
    F(name='warning', type='warning', keys=('WARNING',),
      start=r'WARNING: (?:CPU: (?P<cpu>\d+) PID: (?P<pid>\d+) )?at (?:(?P<src>[^\s:]+):(?P<srcline>\d+) )?'
            r'(?P<hfunc>[A-Za-z_$][\w.$]*\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+)',
      loose=r'WARNING: (?:CPU: (?P<cpu>\d+) PID: (?P<pid>\d+) )?at (?:(?P<src>[^\s:]+):(?P<srcline>\d+))?',
      title='WARNING in {FUNC}', parts=((HEADER, None), (RIP, None), (STACK, None)),
      skip=(r'^warn_slowpath', r'^__warn', r'^report_bug'), end=_END_TRACE, after='tail', tail=30,
      absorb=('hard_lockup',), absorb_window=4, checkers=WARNING_CHECKERS, source_detail=True,
      int_details=('cpu',)),
    # warn_alloc(): "page allocation failure: order:N" is what memory pressure looks like, not a bug
    # report (syzkaller does not report it either); it is recognized so that it is not taken for
    # anything else, and it does not cut a report printed around it
    F(name='page_alloc_failure', type=None, keys=('allocation failure',),
      start=r'(?:(?P<task>\S.*?): )?page allocation failure: order:(?P<order>\d+)', inert_inside=True),
    F(name='ignored_warning', type=None, keys=('WARNING',),
      start=r'WARNING: kernel stack (?:regs|frame pointer) at'),

    # ---- oopses (arch/x86/mm/fault.c, arch/x86/kernel/traps.c, arch/arm64/mm/fault.c, lib/bug.c) --
    F(name='null_deref', type='bug', keys=('BUG',),
      start=r'BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference,? address)',
      title='BUG: unable to handle kernel NULL pointer dereference in {FUNC}', parts=((RIP, None), (STACK, None)),
      end=_END_TRACE, after='tail', tail=40, absorb=_OOPS_ABSORB),
    F(name='paging_request', type='bug', keys=('BUG',),
      start=r'BUG: unable to handle (?:kernel paging request|page fault for address)',
      title='BUG: unable to handle kernel paging request in {FUNC}', parts=((RIP, None), (STACK, None)),
      end=_END_TRACE, after='tail', tail=40, absorb=_OOPS_ABSORB),
    F(name='unable_to_handle_cut', type='bug', keys=('BUG',),
      start=r'BUG: unable to handle kernel', title='BUG: unable to handle kernel', parts=((RIP, None), (STACK, None)),
      end=_END_TRACE, after='tail', tail=40, absorb=_OOPS_ABSORB, corrupted=True, func_optional=True),
    # arm64 (__do_kernel_fault: "Unable to handle kernel %s at virtual address %016lx") and the
    # older x86 wording: syzbot titles them like the x86 "BUG: unable to handle kernel ..."
    F(name='arm_unable_to_handle', type='bug', keys=('Unable to handle',),
      start=r'Unable to handle kernel (?P<what>NULL pointer dereference|paging request|execute from non-executable '
            r'memory|write to read-only memory|access to user memory \w+ \w+|read from unreadable memory)',
      title='BUG: unable to handle kernel {what} in {FUNC}', parts=((RIP, None), (STACK, None)),
      end=_END_TRACE, after='tail', tail=40, absorb=('oops',)),
    F(name='kernel_bug', type='bug', keys=('BUG',),
      start=r'[Kk]ernel BUG at (?P<src>[^\s!:]+)(?::(?P<srcline>\d+))?',
      title='kernel BUG in {FUNC}', parts=((RIP, None), (STACK, None)),
      end=_END_TRACE, after='tail', tail=40, absorb=_OOPS_ABSORB, skip=KERNEL_BUG_SKIP,
      checkers=KERNEL_BUG_CHECKERS, source_detail=True),
    F(name='gpf', type='bug', keys=(' [#',),
      start=r'general protection fault(?:, (?:probably for non-canonical address|maybe for address) '
            r'0x[0-9a-fA-F]+)?: [0-9a-fA-F]{4}',
      loose=r'general protection fault',
      title='general protection fault in {FUNC}', parts=((RIP, None), (STACK, None)),
      end=_END_TRACE, after='tail', tail=40, absorb=('oops',)),
    F(name='invalid_opcode', type='bug', keys=(' [#',),
      start=r'invalid opcode: [0-9a-fA-F]{4}', title='invalid opcode in {FUNC}',
      parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    F(name='divide_error', type='bug', keys=(' [#',),
      start=r'divide error: [0-9a-fA-F]{4}', title='divide error in {FUNC}',
      parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    F(name='stack_segment', type='bug', keys=(' [#',),
      start=r'stack segment: [0-9a-fA-F]{4}', title='stack segment fault in {FUNC}',
      parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    F(name='double_fault', type='bug', keys=(' [#', 'PANIC: double fault'),
      start=r'PANIC: double fault|^double fault: [0-9a-fA-F]{4}', title='PANIC: double fault in {FUNC}',
      parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),
    F(name='oops', type='bug', keys=(' [#',),
      start=r'(?:^|Internal error: )Oops(?: - BUG)?: ', title='Oops in {FUNC}',
      parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40),

    # ---- other BUG: reports ------------------------------------------------------------------
    F(name='spinlock_bug', type='bug', keys=('BUG',),
      start=r'BUG: (?P<kind>spinlock|rwlock) (?P<what>lockup suspected|already unlocked|recursion|cpu recursion|'
            r'bad magic|wrong owner|wrong CPU|trylock failure on UP)',
      title='BUG: {kind} {what} in {FUNC}', parts=((STACK, None),), skip=SPINLOCK_BUG_SKIP),
    F(name='preemptible', type='bug', keys=('BUG',),
      start=r'BUG: using (?P<what>[\w_]+\(\)) in preemptible',
      title='BUG: using {what} in preemptible code in {FUNC}', parts=((STACK, None),), skip=PREEMPTIBLE_SKIP),
    F(name='bad_page', type='bug', keys=('BUG',),
      start=r'BUG: Bad page (?P<what>state|map|cache)', title='BUG: Bad page {what} in {FUNC}',
      parts=((STACK, None),), skip=BAD_PAGE_SKIP),
    F(name='bad_rss', type='bug', keys=('BUG',),
      start=r'BUG: Bad rss-counter state', title='BUG: Bad rss-counter state'),
    F(name='nonzero_on_freeing_mm', type='bug', keys=('BUG',),
      start=r'BUG: non-zero (?P<what>\w+) on freeing mm', title='BUG: non-zero {what} on freeing mm'),
    F(name='workqueue_lockup', type='bug', keys=('BUG',),
      start=r'BUG: workqueue lockup', title='BUG: workqueue lockup',
      after='tail', tail=40),
    F(name='workqueue_leaked', type='bug', keys=('BUG',),
      start=r'BUG: workqueue leaked lock or atomic',
      title='BUG: workqueue leaked lock or atomic in {FUNC}',
      parts=((LINE, r'last function: (?P<func>[A-Za-z_][\w.]*)'),), after='tail', tail=20),
    F(name='stack_guard', type='bug', keys=('BUG',),
      start=r'BUG: (?:TASK )?stack guard page was hit', title='BUG: stack guard page was hit in {FUNC}',
      parts=((RIP, None), (STACK, None)), end=_END_TRACE, after='tail', tail=40, absorb=('oops',)),
    F(name='dentry_in_use', type='bug', keys=('BUG',),
      start=r'BUG: Dentry \S+ still in use', title='BUG: Dentry still in use'),
    F(name='busy_inodes', type='bug', keys=('Busy inodes',),
      start=r'VFS: Busy inodes after unmount', title='VFS: Busy inodes after unmount'),
    F(name='slub_bug', type='bug', keys=('BUG',),
      start=r'^BUG (?P<slab>[\w:-]+) \((?:Not tainted|Tainted:[^)]*)\): (?P<what>.+)$',
      title='BUG: {slab}: {what}', parts=((STACK, None),), func_optional=True, after='tail', tail=20),
    # any other "BUG: " header (not lib/debugobjects.c's "ODEBUG: " messages)
    F(name='bug_generic', type='bug', keys=('BUG',),
      start=r'(?<![A-Za-z])BUG: (?P<msg>\S.*)$', title='BUG: {msg} in {FUNC}', parts=((RIP, None), (STACK, None)),
      end=_END_TRACE, after='tail', tail=20, needs_frames=True),

    # ---- panic (kernel/panic.c:panic) -----------------------------------------------------
    F(name='panic', type='panic', keys=('Kernel panic',),
      start=r'(?<!end )Kernel panic - not syncing: ?(?P<msg>.*)$', hooks=hooks.PANIC,
      parts=((STACK, None),), end=r'---\[ end Kernel panic', after='finish', func_optional=True),
)
del F

# State notes: lines that are not reports but say something about the kernel's checkers.
# (kind, regex, keys, kmemleak): kind names the note in the results; regex is searched in the
# message text; keys are literal substrings one of which the line contains (the prefilter);
# kmemleak is what the line tells the kmemleak module (kmemleak_log_patterns(): 'initialized',
# 'disabled', 'failure' (kmemleak stopped itself), 'kept' (disabled, records kept)) or None.
# Written from mm/kmemleak.c (pr_fmt "kmemleak: ") and kernel/locking/lockdep.c of linux 6.1,
# with the 3.10-4.x early log of mm/kmemleak.c.
NOTE_FORMATS = (
    ('lockdep_off', r'INFO: lockdep is turned off', ('INFO:',), None),
    ('lockdep_off', r'turning off the locking correctness validator', ('locking correctness validator',), None),
    ('debug_locks_off', r'Disabling lock debugging due to kernel taint', ('Disabling lock',), None),
    ('debug_locks_off', r'DEBUG_LOCKS_WARN_ON\(', ('BUG',), None),
    ('kmemleak_disabled', r'Kernel memory leak detector disabled', ('emleak',), 'disabled'),
    ('kmemleak_alloc_failed', r'Cannot allocate a kmemleak_object structure', ('emleak',), 'failure'),
    ('kmemleak_scan_thread_ended', r'kmemleak: Automatic memory scanning thread ended', ('emleak',), None),
    ('kmemleak_pool_empty', r'kmemleak: Memory pool empty', ('emleak',), 'failure'),
    ('kmemleak_early_log_exceeded', r'kmemleak: Early log buffer exceeded', ('emleak',), 'failure'),
    ('kmemleak_insert_failed', r'Cannot insert 0x[0-9a-fA-F]+ into the object search tree', ('emleak',), 'failure'),
    ('kmemleak_internal_failure', r"kmemleak: .*(?:Cannot|Couldn't|Failed to) (?:allocate|insert)", ('emleak',),
     'failure'),
    ('kmemleak_disabled_kept', r'Kmemleak disabled without freeing internal data', ('emleak',), 'kept'),
    ('kmemleak_initialized', r'Kernel memory leak detector initiali[sz]ed', ('emleak',), 'initialized'),
    ('kmemleak_scan_thread_started', r'kmemleak: Automatic memory scanning thread started', ('emleak',), None),
    ('hung_task_suppressed', r'Future hung task reports are suppressed', ('Future hung task reports',), None),
)

# lines that close the report of their printing context when it is complete
_CUT_HERE_RE = lazy(globals(), r'-{6,}\[ cut here \]-{6,}')
_CPU_LINE_RE = lazy(globals(), r'\bCPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>-?\d+) Comm: (?P<task>\S+)')
_DETECTED_BY_RE = lazy(globals(), r'detected by (?P<cpu>\d+),')
_CALL_TRACE_RE = lazy(globals(), _CALL_TRACE)
_REGS_RE = lazy(globals(), r'^\s*(?:RIP|EIP|RSP|ESP|RAX|EAX|RBX|RCX|RDX|RSI|RDI|RBP|R\d{1,2}|FS|GS|CS|DS|ES|SS|CR\d|DR\d|'
                           r'Code|EFLAGS|ORIG_RAX|PKRU)\s*:')
# a stack line cut mid-way: "[<ffffffff8120", " vfs_wri", " foo+0x1"
_CUT_FRAME_RE = lazy(globals(), r'^\s+(?:\?\s+)?(?:\[<?[0-9a-fA-F ]*$|\[<[^\]]*>\]\s*\S*$|[A-Za-z_][\w.]*(?:\+[0-9a-fA-Fx/]*)?$)')
_WORDING = tuple((group, re.compile(rx), repl) for group, rx, repl in WORDING)
_TEMPLATE_KEY_RE = lazy(globals(), r'\{(\w+)\}')

FORMATS = REPORT_FORMATS
FORMATS_BY_NAME = dict((f.name, f) for f in FORMATS)
if len(FORMATS_BY_NAME) != len(FORMATS):  # pragma: no cover - table guard
    raise ValueError('REPORT_FORMATS: duplicate names')
for _f in FORMATS:
    for _other in _f.absorb:
        if _other not in FORMATS_BY_NAME:  # pragma: no cover - table guard
            raise ValueError('report format %s absorbs unknown format %s' % (_f.name, _other))
    for _c, _skip in _f.checkers:
        if _c.becomes is not None and _c.becomes not in FORMATS_BY_NAME:  # pragma: no cover - table guard
            raise ValueError('report format %s: checker becomes unknown format %s' % (_f.name, _c.becomes))
_NOTES = tuple((kind, re.compile(regex), keys) for kind, regex, keys, _kmemleak in NOTE_FORMATS)


#: bytes rare in kernel log text first: capitals, then the rarer lower-case letters
_GATE_ORDER = u'ABCDEFGHIJKLMNOPQRSTUVWXYZ#[:jqzwkyvhxbgmupdlcfnoasrite'


def _gate_branch(key):
    """A regex that finds key, written to begin with the key's rarest character (the part
    before it checked by a look-behind): a search tries its branches only where the text holds
    one of their first characters, and with "e" (of "emleak") or " " (of " [#") among them
    that is nearly everywhere. Only the speed depends on the choice, not whether key is found."""
    best = min(range(len(key)), key=lambda i: (_GATE_ORDER.find(key[i]) % (len(_GATE_ORDER) + 1), i))
    if best == 0:
        return re.escape(key)
    return '%s(?<=%s)%s' % (re.escape(key[best]), re.escape(key[:best + 1]), re.escape(key[best + 1:]))


def _keys_regex(keys):
    """A regex found in a text exactly when one of keys is (where it is found may differ)."""
    return re.compile('|'.join(_gate_branch(k) for k in sorted(set(keys), key=lambda k: (-len(k), k))))


_ALL_KEYS = []
_SCAN_KEYS = []
for _f in FORMATS:
    _ALL_KEYS.extend(_f.keys)
    if _f.type is not None:
        _SCAN_KEYS.extend(_f.keys)
for _n in _NOTES:
    _ALL_KEYS.extend(_n[2])
    _SCAN_KEYS.extend(_n[2])
# (long keys are cheaper to scan for: bytes.find skips by the needle's length)
_ALL_KEYS.extend(('[ cut here ]', 'Showing all locks'))
_SCAN_KEYS.extend(('[ cut here ]', 'Showing all locks'))
#: prefilter: a line that matches none of these cannot start a report or be a note
PREFILTER_KEYS = tuple(sorted(set(_ALL_KEYS)))
PREFILTER_RE = _keys_regex(PREFILTER_KEYS)


#: the formats' keys, and the formats (in table order) that have one of some keys, by those keys
_START_KEYS = tuple(sorted(set(key for fmt in FORMATS for key in fmt.keys)))
_CANDIDATES = {}


def _candidates(present):
    """The formats with one of the keys in present (a tuple of _START_KEYS), in table order."""
    out = _CANDIDATES.get(present)
    if out is None:
        if len(_CANDIDATES) >= 256:  # (a line holds one or two keys; bounded all the same)
            _CANDIDATES.clear()
        out = _CANDIDATES[present] = tuple(fmt for fmt in FORMATS if any(key in present for key in fmt.keys))
    return out


def match_start(text):
    """(format, match, strict) for a line that starts a report, else None."""
    if not PREFILTER_RE.search(text):
        return None
    # the formats whose keys are in the line, as the loop over the whole table would find them
    # (a key test per key, not per format and key: 21 instead of about 100)
    present = tuple(k for k in _START_KEYS if k in text)
    if not present:
        return None
    for fmt in _candidates(present):
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


def _line_facts(text):
    """What the collector asks of a line's text that holds a prefilter key: (note kind, a "cut
    here" line, match_start()'s hit, "Showing all locks held in the system"), remembered in
    _KEY_FACTS (the match objects in the hits are never changed)."""
    facts = (match_note(text), _CUT_HERE_RE.search(text) is not None, match_start(text),
             'Showing all locks held in the system' in text)
    if len(_KEY_FACTS) >= _KEY_FACTS_MAX:
        _KEY_FACTS.clear()
    _KEY_FACTS[text] = facts
    return facts


#: _line_facts() of the texts seen last: a log's reports are few and repeat, and
#: finding which report a line starts is the dearest test of a line (kept small: a few texts
#: per report; test_properties bounds the memory a longer input may take)
_KEY_FACTS = {}
_KEY_FACTS_MAX = 128


def kmemleak_log_patterns():
    """[(kind, compiled regex)] of the lines kmemleak prints about itself, in table order
    (NOTE_FORMATS' kmemleak column): the kmemleak module's evidence, from the same table."""
    return [(kmemleak, re.compile(regex)) for _kind, regex, _keys, kmemleak in NOTE_FORMATS if kmemleak]


def note_kind(text):
    """The NOTE_FORMATS kind of one log line, or None (the table other modules read)."""
    try:
        return match_note(to_text(text))
    except Exception:  # pragma: no cover - defensive
        return None


def _seen(line):
    if line is None:
        return None
    if line.ts is not None:
        return line.ts
    if line.wallclock is not None:
        return line.wallclock
    return line.lineno


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _damaged(line):
    """True for a line that lost bytes on the way: a NUL or invalid UTF-8 (decoded as U+FFFD)."""
    if u'\ufffd' in line.text:
        return True
    raw = line.raw
    try:
        return raw is not None and (b'\x00' in raw if isinstance(raw, bytes) else u'\x00' in raw)
    except TypeError:  # pragma: no cover - defensive
        return False


def worded(groups):
    """Start-line groups in syzbot's wording (title_rules.WORDING)."""
    out = dict(groups)
    for group, regex, repl in _WORDING:
        value = out.get(group)
        if value:
            out[group] = regex.sub(repl, value)
    return out


class _FuncReader(object):
    """Where a report's FUNC comes from: the format's parts read in order (lock "at:" lines,
    trigger + frame, instruction pointer, call trace), the candidate frames and the stack."""

    def __init__(self, report):
        self.report = report
        self.fmt = report.fmt
        self.skip = self.fmt.skip
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
        self.done = False        # all parts read

    def reset(self, fmt, keep_func=False):
        """Read the parts of another format (the report changed format)."""
        self.fmt = fmt
        self.skip = fmt.skip
        if not keep_func:
            self.cands = []
            self.func = None
            self.func_final = False
        self.part_i = 0
        self.part_armed = False

    def set_skip(self, skip):
        """Another skip list (a checker was recognized): the candidates read so far are judged again."""
        self.skip = skip
        if self.fmt.extractor == 'first':
            self.func = None
            self.func_final = False
            for f in self.cands:
                if self._blamable(f):
                    self.func = f.func
                    self.func_final = True
                    break

    def _blamable(self, f):
        return not (f.raw or not f.reliable or not f.func or f.inline) and not self.skip.search(f.func)

    def header(self, hfunc):
        """The function named in the start line."""
        f = parse_frame(hfunc)
        if f is None:
            f = Frame(func=hfunc.split('+')[0].split('.')[0], symbol=hfunc.split('+')[0])
        self.cand(f)

    def cand(self, f):
        if len(self.cands) < MAX_FRAMES * 2:
            self.cands.append(f)
        if self.func is None and self.fmt.extractor == 'first' and self._blamable(f):
            self.func = f.func
            self.func_final = True

    def feed(self, line):
        """One line of the report; True when a part took it."""
        parts = self.fmt.parts
        n = len(parts)
        i = self.part_i
        if i < n and self.stack_started and parts[i][0] == STACK:
            # a line of the stack being read (most lines of a report): what _try_part(i) does
            if self._stack_line(line) is not None:
                return True
            i += 1
        while i < n:
            if self._try_part(i, line) is not None:
                return True
            i += 1
        # no part took the line; an unfinished stack of the current part ends here
        if self.part_i < n and parts[self.part_i][0] == STACK and self.stack_started and self.stack_frames:
            self.end_stack()
        return False

    def _advance(self, i):
        self.part_i = i + 1
        self.part_armed = False
        if self.part_i >= len(self.fmt.parts) and not self.done:
            self.done = True
            self.finalize()

    def end_stack(self):
        self.stack_done = True
        self._advance(self.part_i)

    def interrupted(self):
        """Another report started: a stack read so far is complete."""
        parts = self.fmt.parts
        if (not self.done and self.part_i < len(parts) and parts[self.part_i][0] == STACK
                and self.stack_frames):
            self.end_stack()

    def _jump(self, i):
        if i != self.part_i:
            self.part_i = i
            self.part_armed = False

    def _try_part(self, i, line):
        """True if part i consumed the line (and moves to it), None otherwise."""
        text = line.text
        kind, rx = self.fmt.parts[i]
        current = i == self.part_i
        armed = self.part_armed if current else False
        if kind == STACK:
            return self._try_stack(i, rx, line, current)
        if kind == LINE:
            m = rx.search(text)
            if not m:
                return None
            self._jump(i)
            func = m.group('func')
            self.cand(Frame(func=func.split('.')[0], symbol=func))
            self._advance(i)
            return True
        if rx is not None and not armed:
            m = rx.search(text)
            if not m:
                return None
            if self.fmt.other_cpu and not self.report.other_cpu(m):
                return None
            self._jump(i)
            self.part_armed = True
            if not (kind == AT and ' at: ' in text):
                return True
            # trigger and lock on the same line (rare): read the lock too
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
            self.cand(f)
            self._advance(i)
            return True
        if kind == FRAME:
            f = parse_frame(text)
            if f is None:
                return None
            self._jump(i)
            if f.inline:
                return True
            self.cand(f)
            self._advance(i)
            return True
        if kind == RIP:
            if not current and self.stack_started:
                return None
            f = parse_rip(text) if ('IP' in text or 'pc' in text or 'PC' in text or 'epc' in text) else None
            if f is None:
                return None
            self._jump(i)
            self.cand(f)
            self._advance(i)
            return True
        return None

    def _try_stack(self, i, rx, line, current):
        text = line.text
        if current and self.stack_started:
            return self._stack_line(line)
        # not started: trigger or first frame
        if rx is not None:
            if current and self.part_armed:
                if self._stack_line(line, starting=True):
                    return True
                self.stack_wait += 1
                if self.stack_wait > 80:
                    self._advance(i)  # trigger without a stack
                return True
            m = rx.search(text)
            if m and (not self.fmt.other_cpu or self.report.other_cpu(m)):
                self._jump(i)
                self.part_armed = True
                return True
            return None
        # no trigger: "Call Trace:" or a frame line starts the stack
        if 'race' in text and _CALL_TRACE_RE.match(text):  # ('race': of Trace, trace, Backtrace)
            self._jump(i)
            self.part_armed = True
            return True
        if parse_frame(text) is None:  # (None for a line of markers only: "<IRQ>", "</TASK>")
            return None
        self._jump(i)
        return self._stack_line(line, starting=True)

    def _stack_line(self, line, starting=False):
        text = line.text
        if (self.stack_started or self.part_armed) and _damaged(line):
            # a frame line garbled on the way (NUL, invalid UTF-8): the stack goes on without it
            self.report.cut = True
            return True
        sec = section_marker(text) if '<' in text else None  # (a marker starts with '<')
        if sec is not None:
            name, opening = sec
            self.section = name if opening else None
            if opening or self.stack_started:
                self.stack_started = True
            if name == 'TASK' and not opening and self.stack_frames:
                self.end_stack()  # "</TASK>": the task stack is complete
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
                self.cand(rf)
            return True
        if f is None:
            if 'race' in text and _CALL_TRACE_RE.match(text):  # ('race': of Trace, trace, Backtrace)
                self.stack_started = self.stack_started or starting
                return True
            if not self.stack_frames:
                # lines between "Call Trace:"/trigger and the first frame
                if starting:
                    return False
                self.stack_wait += 1
                if self.stack_wait > 80:
                    self.end_stack()
                return True
            if _CUT_FRAME_RE.match(text):
                self.report.cut = True  # a frame line cut mid-way (serial capture)
            self.end_stack()
            return None
        self.stack_started = True
        self.stack_frames += 1
        if len(self.stack) < MAX_FRAMES:
            self.stack.append(f.normalized())
        if not (self.fmt.skip_irq and self.section == 'NMI'):
            self.cand(f)
        if is_bottom(f) and self.section in (None, 'TASK'):
            self.end_stack()
        return True

    def finalize(self):
        if self.func_final:
            return
        if self.fmt.extractor != 'first':
            self.func = guilty_frame(self.cands, self.skip, self.fmt.extractor)
            self.func_final = self.stack_done or not self.fmt.has_stack

    def result(self):
        """FUNC and whether the reading was complete."""
        if not self.done:
            # cut before the parts were all read
            self.finalize()
            if self.fmt.extractor != 'first' and self.cands:
                self.func = guilty_frame(self.cands, self.skip, self.fmt.extractor)
        incomplete = self.fmt.extractor != 'first' and not self.func_final and self.fmt.has_stack
        return self.func, incomplete


class _Report(object):
    """One report being read: its lines, details, task, and when it is over."""

    def __init__(self, fmt, m, strict, line):
        self.fmt = fmt
        self.line = line
        self.lineno = line.lineno
        self.cur_lineno = line.lineno
        self.seen = _seen(line)
        self.origin = line.origin
        self.groups = dict((k, v) for k, v in m.groupdict().items() if v is not None)
        self.details = {}
        self.state = {}          # the hooks' own state
        self.header_cut = not strict
        self.excerpt = [line.text]
        self.excerpt_chars = len(line.text)
        self.nlines = 1
        self.phase = 'parts'
        self.tail_left = fmt.tail
        self.done = False
        self.cut = False
        self.task = self.groups.get('task')
        self.pid = _int(self.groups.get('pid'))
        self.locks = HeldLocksParser(max_tasks=64)
        self.title_tpl = fmt.title
        self.checker = None
        self.gated = fmt.gate is not None
        self.quiet = 0
        self.touched = False
        self.last_line = 0
        self.reader = _FuncReader(self)
        self._start()

    def _start(self):
        fmt = self.fmt
        g = self.groups
        if fmt.checkers:
            func = g.get('hfunc', '').split('+')[0].split('.')[0].split(' ')[0]
            for checker, skip in fmt.checkers:
                if checker.matches_site(g.get('src'), func):
                    self._use_checker(checker, skip)
                    break
        for name in fmt.int_details:
            if name in g:
                self.details[name] = _int(g[name])
        if fmt.other_cpu:
            m = _DETECTED_BY_RE.search(self.line.text)
            if m:
                self.details['detector'] = _int(m.group('cpu'))
        if fmt.source_detail and g.get('src'):
            self.details['source'] = '%s:%s' % (g['src'], g['srcline']) if g.get('srcline') else g['src']
        if self.fmt.hooks.start is not None:
            self.fmt.hooks.start(self)
        if self.fmt.parts and self.fmt.parts[0][0] == HEADER:
            if g.get('hfunc'):
                self.reader.header(g['hfunc'])
            self.reader.part_i = 1
        if self.fmt.after == 'now':
            self.done = True

    def message_before(self, text):
        """The line printed just before the start line (after "cut here"): WARN()'s message."""
        if self.checker is None:
            for checker, skip in self.fmt.checkers:
                if checker.matches_message(text):
                    self._use_checker(checker, skip)
                    break

    def _use_checker(self, checker, skip):
        self.checker = checker
        self.title_tpl = checker.title
        self.reader.set_skip(skip)
        if checker.becomes is not None:
            self.become(FORMATS_BY_NAME[checker.becomes])

    def become(self, fmt, keep_func=False):
        """Turn this report into another format (3.10 hard lockup printed with WARN())."""
        self.fmt = fmt
        self.title_tpl = fmt.title
        self.tail_left = fmt.tail
        self.reader.reset(fmt, keep_func)

    # -- absorbing a start line of another format ------------------------------------------
    def can_absorb(self, fmt):
        if fmt.name not in self.fmt.absorb:
            return False
        return not (self.fmt.absorb_window and self.nlines > self.fmt.absorb_window)

    def absorb(self, fmt, m, line):
        self._excerpt(line.text)
        self.nlines += 1
        g = dict((k, v) for k, v in m.groupdict().items() if v is not None)
        if fmt is self.fmt and g.get('hfunc'):
            # the header again, for the out-of-line function (decode_stacktrace.sh)
            f = parse_frame(g['hfunc'])
            if f is not None:
                self.reader.cand(f)
            return
        if fmt.takes_over:
            self.become(fmt)
            for name in fmt.int_details:
                if name in g:
                    self.details[name] = _int(g[name])
            return
        if self.fmt.hooks.absorb is not None:
            self.fmt.hooks.absorb(self, fmt, g, line)
        # otherwise (Oops / invalid opcode lines inside an oops report): nothing to do

    # -- lines ----------------------------------------------------------------------------
    def _excerpt(self, text):
        if len(self.excerpt) < MAX_EXCERPT_LINES and self.excerpt_chars < MAX_EXCERPT_CHARS:
            text = text[:MAX_EXCERPT_CHARS - self.excerpt_chars]
            self.excerpt.append(text)
            self.excerpt_chars += len(text) + 1

    def feed(self, line):
        """Feed a continuation line; sets self.done when the report is over."""
        text = line.text
        self.nlines += 1
        self.cur_lineno = line.lineno
        room = MAX_EXCERPT_CHARS - self.excerpt_chars
        if room > 0 and len(self.excerpt) < MAX_EXCERPT_LINES:
            piece = text[:room]  # what _excerpt() does, without the call (every line of a short report)
            self.excerpt.append(piece)
            self.excerpt_chars += len(piece) + 1
        fmt = self.fmt
        if fmt.hooks.line is not None and fmt.hooks.line(self, text):
            return  # the hook read the line
        if fmt.end is not None and fmt.end.search(text) and self.nlines > 1:
            self.done = True
            return
        self.touched = False
        self._feed_line(line)
        if self.touched or not text.strip() or (fmt.body is not None and fmt.body.match(text)) or \
                (('0x' in text or '[inline]' in text) and parse_frame(text) is not None):
            self.quiet = 0
        else:
            self.quiet += 1
            if self.quiet > fmt.patience:
                self.done = True  # nothing more of this report: it was cut or it is over

    def other_cpu(self, m):
        """True unless the match names the CPU that detected the stall."""
        cpu = m.groupdict().get('cpu')
        det = self.details.get('detector')
        if cpu is None or det is None:
            return True
        return _int(cpu) != det

    def _task_from(self, text):
        if self.task is None:
            m = _CPU_LINE_RE.search(text) if 'CPU: ' in text else None
            if m:
                self.task = m.group('task')
                self.pid = _int(m.group('pid'))
            elif not self.gated:
                t = parse_task_line(text)
                if t is not None:
                    self.task = t['task']
                    self.pid = t['pid']
        if self.fmt.task is not None:
            m = self.fmt.task.search(text)
            if m:
                self.task = m.group('task')
                self.pid = _int(m.group('pid'))

    def _feed_line(self, line):
        text = line.text
        fmt = self.fmt
        if fmt.other_cpu and 'detector' not in self.details:
            m = _DETECTED_BY_RE.search(text)
            if m:
                self.details['detector'] = _int(m.group('cpu'))
        if self.gated:
            m = fmt.gate.search(text)
            if not (m and self.other_cpu(m)):
                return
            self.gated = False  # the stalled CPU's or task's dump starts here
            self.touched = True
        consumed_lock = self.locks.feed(text)
        if consumed_lock:
            self.touched = True
        if self.task is None or fmt.task is not None:
            self._task_from(text)
        if self.checker is None and fmt.checkers and not self.reader.stack_started:
            for checker, skip in fmt.checkers:
                if checker.matches_message(text):
                    self._use_checker(checker, skip)
                    fmt = self.fmt
                    break
        if self.nlines > fmt.max_lines:
            self.done = True
            return
        if self.phase == 'parts':
            if self.reader.feed(line):
                self.touched = True
            if self.reader.done:
                self.phase = 'after'
                if fmt.after in ('finish', 'now'):
                    self.done = True
            return
        # the parts are read
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

    # -- the finding ------------------------------------------------------------------------
    def finish(self, eof=False, interrupted=False):
        """Returns the finding dict (without count/first_seen merging) or None."""
        fmt = self.fmt
        corrupted = fmt.corrupted or self.header_cut or self.cut
        if interrupted:
            self.reader.interrupted()
        if fmt.hooks.finish is not None:
            return fmt.hooks.finish(self, corrupted)
        func, incomplete = self.reader.result()
        if fmt.needs_frames and not self.reader.cands:
            return None
        if incomplete or (not fmt.func_optional and func is None):
            corrupted = True
        for req in fmt.require:
            if self.details.get(req) is None:
                corrupted = True
        if fmt.hooks.check is not None and fmt.hooks.check(self):
            corrupted = True
        title = self.title(func)
        if title is None:
            return None
        finding = self.make_finding(title, func, corrupted, task=self.task, pid=self.pid,
                                    stack=self.reader.stack, details=self.details)
        finding['alt_titles'] = self.alt_titles(func, title)
        return finding

    def values(self):
        """Title values: the start-line groups in syzbot's wording, variable parts replaced."""
        values = {}
        for k, v in worded(self.groups).items():
            values[k] = sanitize_title(v) if self.fmt.sanitize else v
            values[k + '_sp'] = ' ' + values[k]
        return values

    def _format(self, tpl, func, values):
        if func is None:
            tpl = tpl.replace(' in {FUNC}', '').replace(' {FUNC}', '').replace('{FUNC}', '')
        else:
            values['FUNC'] = title_func(func)
        for key in _TEMPLATE_KEY_RE.findall(tpl):
            if key.endswith('_sp') and key not in values:
                values[key] = ''
        try:
            return tpl.format(**values).strip()
        except (KeyError, IndexError, ValueError):
            return re.sub(r'\{[^}]*\}', '', tpl).strip()

    def title(self, func):
        if self.fmt.hooks.title is not None and self.checker is None:
            return self.fmt.hooks.title(self, func)
        return self._format(self.title_tpl, func, self.values())

    def alt_titles(self, func, title):
        out = []
        if func is None:
            return out
        for tpl in self.fmt.alt_titles:
            alt = self._format(tpl, func, self.values())
            if alt and alt != title and alt not in out:
                out.append(alt)
        return out

    def make_finding(self, title, func, corrupted, task=None, pid=None, stack=(), details=None):
        locks = []
        entry = None
        if self.locks.entries:
            entry = self.locks.find(task, pid)
            if entry is None and self.fmt.locks_of_any:
                entry = self.locks.entries[0]
        if entry is not None:
            locks = list(entry['locks'])
        return dict(type=self.fmt.type, title=title, alt_titles=[], function=func, count=1,
                    first_seen=self.seen, last_seen=self.seen, task=task, pid=pid, locks=locks,
                    stack=list(stack or ()), source=None, line=self.lineno, corrupted=bool(corrupted),
                    excerpt=u'\n'.join(self.excerpt), details=dict(details or {}))


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
        # caller id -> [lines left, text]: the message line after a "cut here" line, which x86
        # WARN() prints before the WARNING line (a checker may be known by it)
        self.before = {}
        self.await_message = False

    # -- input --------------------------------------------------------------------------
    def feed(self, line):
        """Feed one line (str, bytes or kmsg.LogLine)."""
        try:
            if isinstance(line, LogLine):
                self._feed(line)
            else:
                self._feed_text(to_text(line))
        except Exception:  # pragma: no cover - defensive: never raise on input
            self.active = {}

    def _feed_text(self, text):
        """One line of text, prefixes not parsed yet."""
        if self.prev_kmsg and is_dict_line(text):
            return
        if u'\r' in text and u'\r' in text.rstrip(u'\r\n'):
            parts = []
            for piece in text.split(u'\r'):
                if piece:
                    parts.extend(split_glued(parse_line(piece, self.lines + 1)))
        else:  # one piece (every line from a file: the reader made its CRs line ends)
            parts = split_glued(parse_line(text, self.lines + 1))
        if parts and self._partial_next and not text.endswith(u'\r'):
            parts[-1].partial = True
        for part in parts:
            self._feed(part)

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
        lineno = line.lineno
        if lineno is None or lineno != self.last_lineno:
            self.lines += 1  # pieces of one physical line (CR, glued lines) count once
        if lineno is None:
            lineno = line.lineno = self.lines
        self.last_lineno = lineno
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
            note, cut_here, hit, all_locks = _KEY_FACTS.get(text) or _line_facts(text)
            if note is not None:
                self._note(note, line)
            if cut_here:
                if report is not None and not foreign and (report.phase != 'parts' or report.reader.func_final):
                    self._close(key)
                if len(self.before) >= MAX_ACTIVE:
                    self.before.clear()
                self.before[key] = [2, None]
                self.await_message = True
                return
            if hit is not None and hit[0].type is None:
                # a known line that is not a report (printed by another context in between)
                if report is not None and hit[0].inert_inside:
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
            if all_locks:
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
        pending = self.before.get(key)
        if pending is not None:
            if pending[1] is None and text.strip():
                pending[1] = text
            pending[0] -= 1
            if pending[0] <= 0 and pending[1] is None:
                del self.before[key]
            self.await_message = any(v[1] is None for v in self.before.values())
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
        pending = self.before.pop(key, None)
        if pending is not None:
            self.await_message = any(v[1] is None for v in self.before.values())
            if pending[1]:
                report.message_before(pending[1])
        if report.done:
            self._record(report.finish(), report)
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
            for name in (report.fmt.merge_sum if report is not None else ()):
                if finding['details'].get(name):
                    old['details'][name] = (old['details'].get(name) or 0) + finding['details'][name]
            target = old
        else:
            if len(self.findings) >= self.max_findings:
                self.truncated = True
                return
            self.findings[key] = finding
            self.order.append(key)
            target = finding
        if report is not None and report.fmt.wait_for_locks and not target['locks']:
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
        """A file object read by the one chunked reader (kmsg.LineReader: CR line ends, lines
        cut and counted); a LineReader passed in is read as it is, and keeps its counts and
        read error for the caller."""
        reader = stream if isinstance(stream, LineReader) else LineReader(stream)
        scanner = _Scanner()
        for block in reader.blocks():
            if block.endswith(b'\n'):
                reader.counted(self._scan_block(scanner, block, len(block)))
            else:  # the last line, without its line end (cut mid-way?)
                self._partial_next = True
                self._feed_bytes_line(block)
                self._partial_next = False

    def _feed_bytes_line(self, raw):
        if len(raw) > MAX_LINE * 4:
            raw = raw[:MAX_LINE * 4]
        try:
            self._feed_text(raw.decode('utf-8', 'replace'))  # what feed() does with text
        except Exception:  # pragma: no cover - defensive: never raise on input
            self.active = {}

    def _scan_block(self, scanner, buf, end):
        """Process buf[:end] (ends with a newline); returns its line ends, each counted once
        (the skipped lines by bytes.count, the others as they are fed), for the reader, which
        then does not count them again (LineReader.counted)."""
        pos = 0
        seen = 0  # line ends in buf[:pos]
        scanner.reset(buf, end)
        while pos < end:
            if not self.active and self.all_locks is None and not self.await_message:
                hit = scanner.next_hit(pos, seen)
                if hit < 0:
                    skipped = scanner.lines_before(end) - seen
                    self.lines += skipped
                    self.prev_kmsg = False
                    return seen + skipped
                nl = buf.rfind(b'\n', pos, hit)
                start = nl + 1 if nl >= 0 else pos
                if start > pos:
                    skipped = scanner.lines_before(start) - seen
                    self.lines += skipped
                    seen += skipped
                    self.prev_kmsg = False
                pos = start
            nl = buf.find(b'\n', pos, end)
            if nl < 0:
                nl = end
            self._feed_bytes_line(buf[pos:nl])
            seen += 1
            pos = nl + 1
        return seen


def _scanner_needles():
    """The keywords of lines that start a report or are a note (not those of lines that are
    recognized only to be ignored), without those containing another one."""
    keys = set(_SCAN_KEYS)
    return tuple(sorted((k.encode('utf-8') for k in keys if not any(o != k and o in k for o in keys)),
                        key=lambda n: (-len(n), n)))


# The scanner's skeleton: the bytes of a block that are rare in kernel log text (the capitals,
# '#' and '[' of the keywords and the rarer lower-case letters, enough of them that every
# keyword keeps at least SKELETON_MIN of its bytes), and the line ends; the rest is deleted (bytes.translate, C speed).
# A keyword in a block leaves its own skeleton in the block's skeleton (deleting bytes keeps
# the order of the others), so a block whose skeleton holds no keyword's skeleton holds no
# keyword: most blocks are ruled out by a few finds in a text a fifth as long. Only the speed
# depends on the choice of bytes, not the result. The line ends are counted in the skeleton
# (bytes.count over the whole block took 0.46 ns a byte, a tenth of the parse), split it into
# the lines the scanner remembers (see _Scanner) and keep a keyword's skeleton from being
# found across two lines.
#: lower-case letters, the rarest in kernel logs first (added to the skeleton in this order)
_RARE_LETTERS = b'jqzwkyvhxbgmupdlcfnoasrite'
SKELETON_MIN = 3
#: bytes per block the skeleton is made of (cut at a line end: a keyword never spans two);
#: with the remembered lines (see _Scanner) 16 KiB took 6-11% less CPU than 32 KiB on the
#: bench log (a report leaves a smaller block to search), 8 KiB no less
SCAN_BLOCK = 16384
# The skeleton is a fifth of the text and dense in the keywords' bytes, so a find of each
# keyword's skeleton in it still reads most of the scanner's time. A second skeleton, made from
# the first by deleting all but the bytes that are rare in the input being read (at most
# RARE_SHARE of the first buffer each), is a few percent of the text; a keyword whose bytes
# there (capitals mostly: 'BUG', 'WARNING', 'INFO:') still rule out most of the first buffer's
# blocks is looked for in it. Only the speed depends on that choice, not the hits.
RARE_SHARE = 0.005


def _skeleton_table(needles):
    keep = set(bytearray(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ#[\n'))
    for needle in needles:
        for letter in bytearray(_RARE_LETTERS):
            if sum(1 for c in bytearray(needle) if c in keep) >= SKELETON_MIN:
                break
            if letter in bytearray(needle):
                keep.add(letter)
    # a capital no keyword holds only makes the skeleton longer
    keep &= set(bytearray(b'\n'.join(needles) + b'\n'))
    return bytes(bytearray(c for c in range(256) if c not in keep))


def _skeleton_pairs(needles, delete):
    """(keyword, its skeleton, or None when it is shorter than 2 bytes: too common to rule a
    block out) for each keyword."""
    out = []
    for needle in needles:
        sk = needle.translate(None, delete)
        out.append((needle, sk if len(sk) >= 2 else None))
    return tuple(out)


class _Scanner(object):
    """Finds the next place that may start a report: per block, a find of each keyword's
    skeleton in the block's skeleton (or in the second, smaller one: see RARE_SHARE), then
    bytes.find of the keywords the skeleton may hold (C speed). A keyword with a skeleton
    shorter than 2 bytes, or whose skeleton was found in most blocks so far (too common in
    this input to rule a block out), is looked for directly in the whole buffer, one find per
    buffer (cheaper than one per block). Only the speed depends on which keywords are looked
    for directly or in which skeleton, not the hits.

    Kernel logs repeat their messages, and a message's skeleton lines are the same whatever its
    numbers (digits are not in the skeleton): the skeleton lines that hold no keyword's
    skeleton are remembered (at most KNOWN_MAX of them), and a block whose skeleton lines are
    all remembered holds no keyword (a set lookup per line instead of a find per keyword); in
    another block the keywords' skeletons are looked for in its lines not remembered only.
    Where too few blocks are all remembered (a log of messages each unlike the others) the
    lines are forgotten and not looked up for KNOWN_PAUSE blocks."""

    NEEDLES = _scanner_needles()
    DELETE = _skeleton_table(NEEDLES)
    PAIRS = _skeleton_pairs(NEEDLES, DELETE)
    #: blocks a keyword's skeleton is tried in before it may be looked for directly
    TRIES = 16
    #: skeleton lines remembered as holding no keyword's skeleton, at most, and their longest
    KNOWN_MAX = 1024
    KNOWN_LEN = 96
    #: blocks per window after which the remembered lines are kept only if at least a quarter
    #: of the window's blocks were all remembered; else forgotten and not used for KNOWN_PAUSE
    KNOWN_WINDOW = 32
    KNOWN_PAUSE = 256
    _SKELETONS = tuple(sk for _needle, sk in PAIRS if sk is not None)

    def __init__(self):
        self.buf = b''
        self.end = 0
        self.lo = 0      # start of the current block
        self.hi = 0      # end of the current block
        self.lines_lo = 0   # line ends in buf[:lo] (when next_hit is told them)
        self.lines_hi = 0   # line ends in buf[:hi]
        self.next = []   # [position, keyword] of the keywords found in the current block
        self.direct = [needle for needle, sk in self.PAIRS if sk is None]
        # [keyword, skeleton, tries, skeleton hits, level]: level 0 is looked for in the
        # skeleton, 1 in the second skeleton (RARE_SHARE)
        self.pairs = [[needle, sk, 0, 0, 0] for needle, sk in self.PAIRS if sk is not None]
        self.direct_next = []  # [position, keyword] of the keywords looked for in the whole buffer
        self.rare_delete = None  # delete table of the second skeleton (from the first), once chosen
        self.levels = 1
        self.known = set()     # skeleton lines without a keyword's skeleton
        self.window = [0, 0]   # blocks looked up in this window, and of them all remembered
        self.pause = 0         # blocks left before the remembered lines are used again
        self.ruled_out = 0     # blocks ruled out by the remembered lines (tries of every skeleton)

    def _plan(self, sample):
        """Choose the second skeleton's bytes from the byte counts of sample (the first
        buffer) and the keywords looked for in it: those whose second skeleton is in at most a
        quarter of the sample's blocks."""
        most = len(sample) * RARE_SHARE
        deleted = set(bytearray(self.DELETE))
        self.rare_delete = bytes(bytearray(c for c in range(256) if c not in deleted and
                                           sample.count(bytes(bytearray((c,)))) > most))
        blocks = []
        lo = 0
        while lo < len(sample):
            hi = sample.find(b'\n', lo + SCAN_BLOCK) + 1 or len(sample)
            blocks.append(sample[lo:hi].translate(None, self.DELETE).translate(None, self.rare_delete))
            lo = hi
        for pair in self.pairs:
            sk = pair[1].translate(None, self.rare_delete)
            if sk and sum(1 for b in blocks if sk in b) * 4 <= len(blocks):
                pair[1] = sk
                pair[4] = 1
                self.levels = 2

    def reset(self, buf, end):
        if self.rare_delete is None:
            self._plan(buf[:end])
        self.buf = buf
        self.end = end
        self.lo = self.hi = 0
        self.lines_lo = self.lines_hi = 0
        self.next = []
        nxt = []
        for needle in self.direct:
            p = buf.find(needle, 0, end)
            if p >= 0:
                nxt.append([p, needle])
        self.direct_next = nxt

    def _load(self, lo):
        """Make [lo, next line end after lo + SCAN_BLOCK) the current block."""
        buf = self.buf
        end = self.end
        hi = buf.find(b'\n', lo + SCAN_BLOCK, end) + 1 if lo + SCAN_BLOCK < end else 0
        if hi <= 0:
            hi = end
        self.lo = lo
        self.hi = hi
        skel = buf[lo:hi].translate(None, self.DELETE)
        if self.pause:
            self.pause -= 1
            self.lines_hi = self.lines_lo + skel.count(b'\n')
        else:
            lines = skel.split(b'\n')
            self.lines_hi = self.lines_lo + len(lines) - 1
            skel = self._unknown(lines)
            if skel is None:
                self.next = []
                self.ruled_out += 1  # a try of every keyword's skeleton, not found
                return
        skels = (skel, skel.translate(None, self.rare_delete)) if self.levels > 1 else (skel,)
        nxt = []
        common = None
        ruled_out = self.ruled_out
        for pair in self.pairs:
            pair[2] += 1
            if pair[1] in skels[pair[4]]:
                pair[3] += 1
                p = buf.find(pair[0], lo, hi)
                if p >= 0:
                    nxt.append([p, pair[0]])
                tries = pair[2] + ruled_out
                if tries >= self.TRIES and pair[3] * 4 > tries * 3:
                    common = pair
        self.next = nxt
        if common is not None:  # from the next block on: found in the rest of the buffer
            self.pairs.remove(common)
            self.direct.append(common[0])
            p = buf.find(common[0], hi, end)
            if p >= 0:
                self.direct_next.append([p, common[0]])

    def _unknown(self, lines):
        """None when every skeleton line of the block is remembered; else the block's other
        skeleton lines (a keyword's skeleton can only be in them), joined, after remembering
        those of them that hold no keyword's skeleton. Ends a window (see KNOWN_WINDOW)."""
        known = self.known
        window = self.window
        window[0] += 1
        if known.issuperset(lines):
            window[1] += 1
            rest = None
        else:
            room = self.KNOWN_MAX - len(known)
            longest = self.KNOWN_LEN
            skeletons = self._SKELETONS
            others = []
            for line in set(lines).difference(known):
                if room > 0 and len(line) <= longest and not any(sk in line for sk in skeletons):
                    known.add(line)
                    room -= 1
                else:
                    others.append(line)
            rest = b'\n'.join(others)
        if window[0] >= self.KNOWN_WINDOW:
            if window[1] * 4 < window[0]:
                known.clear()
                self.pause = self.KNOWN_PAUSE
            window[0] = window[1] = 0
        return rest

    @staticmethod
    def _first(buf, items, pos, hi):
        """The first position >= pos of the keywords in items (refound in buf[pos:hi] when
        behind pos; those not found there are dropped), or -1."""
        best = -1
        alive = []
        for item in items:
            p = item[0]
            if p < pos:
                p = buf.find(item[1], pos, hi)
                if p < 0:
                    continue
                item[0] = p
            alive.append(item)
            if best < 0 or p < best:
                best = p
        items[:] = alive
        return best

    def next_hit(self, pos, seen=0):
        """Position of the first keyword at or after pos in buf[:end], or -1. seen: the line
        ends in buf[:pos], for lines_before() (which is right only where the caller gives it)."""
        buf = self.buf
        end = self.end
        direct = self._first(buf, self.direct_next, pos, end) if self.direct_next else -1
        if pos >= self.hi:
            self.lines_hi = seen  # the next block starts at pos
        while pos < end:
            if pos >= self.hi:
                self.lines_lo = self.lines_hi
                self._load(pos)  # may move a keyword to those looked for directly
                if self.direct_next:
                    direct = self._first(buf, self.direct_next, pos, end)
            hi = self.hi
            best = self._first(buf, self.next, pos, hi)
            if best >= 0:
                return direct if 0 <= direct < best else best
            if 0 <= direct < hi:
                return direct
            pos = hi
        return direct

    def lines_before(self, x):
        """Line ends in buf[:x], for x in the current block (the hit next_hit returned, the start
        of its line, or end after next_hit found nothing): the skeleton's counts and a count of
        the shorter part of the block."""
        lo = self.lo
        hi = self.hi
        if x - lo <= hi - x:
            return self.lines_lo + self.buf.count(b'\n', lo, x)
        return self.lines_hi - self.buf.count(b'\n', x, hi)


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
