# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stack frame parsing and "guilty frame" selection shared by all reports.

Frame lines as the kernel prints them, 2.6 to 6.x and decode_stacktrace.sh:

    [<ffffffff8150d9ba>] kmemleak_alloc+0x4a/0xa0          3.10 (print_ip_sym)
    [<ffffffff8150d9ba>] ? xfs_file_aio_write+0x71/0x2a0 [xfs]
    [<          (null)>] (null)                             NULL pointer
    [<(____ptrval____)>] kmem_cache_alloc+0x1/0x2           4.15+ hashed pointers
    [<0000000012345678>] kmalloc_trace+0x26/0x90            %pK for non-root
     ? __schedule+0x2e0/0x830                               4.x+ (printk_stack_address)
     mutex_lock_nested+0x1b/0x20 [mod 0123abcd]             with build id
     __dump_stack lib/dump_stack.c:88 [inline]              decode_stacktrace.sh
     dump_stack_lvl+0x7d/0xa5 lib/dump_stack.c:106
     0xffffffffc0a0b0c0                                     unloaded module
     <IRQ> / </IRQ> / <TASK> / <NMI> / <EOI> / <<EOE>>      stack section markers
    [<c010e0f4>] (unwind_backtrace) from [<c010a8d8>] (show_stack+0x10/0x14)   arm
    [c000000001a3fb30] [c000000000ee2a44] dump_stack+0xc4/0x114 (unreliable)   powerpc

and "RIP: 0010:func+0x3/0x20" style instruction pointer lines.

The guilty frame is the first reliable frame whose function is not
infrastructure (locking, scheduling, allocators, reporting, stack tracing,
lockdep, kmemleak, KASAN, printk, syscall entry, kthread...), modelled on
syzkaller's pkg/report/linux.go. Stdlib only; Python 2.7 and 3.6+.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

#: cap on frames kept for one stack
MAX_FRAMES = 64

# address prefixes: "[<ffffffff8150d9ba>]", "[<          (null)>]", "[<(____ptrval____)>]",
# "[]" (stripped), "[c000000001a3fb30]" (powerpc), "[ffffffff8150d9ba]"
_ADDR = r'\[(?:<\s*(?:0x)?(?:[0-9a-fA-F]{1,16}|\(null\)|\(____ptrval____\))?\s*>|(?:0x)?[0-9a-fA-F]{8,16})?\]'
_MARKER = r'<{1,2}/?[A-Z]{2,8}>{1,2}'
_SYM = r'[A-Za-z_$][\w.$]*'
_OFF = r'\+0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?'
_MOD = r'\[([\w.-]+)(?: [0-9a-fA-F]+)?\]'
_SRC = r'\(?([\w./+-]+\.[chS]|[\w./+-]+\.rs):(\d+)(?::\d+)?\)?'

_LEAD_RE = re.compile(r'\s*(?:(?:' + _MARKER + r')\s*)*')
_MARKERS_RE = re.compile(_MARKER)
_SYM_FRAME_RE = re.compile(
    r'(?P<addrs>(?:' + _ADDR + r'\s*){0,2})'
    r'(?P<q>\?\s+)?'
    r'(?P<sym>' + _SYM + r')'
    r'(?P<off>' + _OFF + r')?'
    r'(?:\s+' + _MOD + r')?'
    r'(?:\s+' + _SRC + r')?'
    r'(?P<inline>\s+\[inline\])?'
    r'(?:\s+' + r'\[(?P<mod2>[\w.-]+)(?: [0-9a-fA-F]+)?\]' + r')?'
    r'(?:\s+\(unreliable\))?'
    r'\s*$')
_RAW_FRAME_RE = re.compile(
    r'(?P<addrs>(?:' + _ADDR + r'\s*){0,2})(?P<q>\?\s+)?(?P<raw>0x[0-9a-fA-F]{1,16}|\(null\))\s*$')
_ARM_FRAME_RE = re.compile(
    r'\[<[0-9a-fA-F]+>\]\s+\((?P<sym>' + _SYM + r')(?P<off>' + _OFF + r')?\)\s+from\s+\[<[0-9a-fA-F]+>\]')
_RIP_RE = re.compile(
    r'\s*(?:RIP|EIP|IP|NIP|pc|PC is at|epc|ERA)\s*:?\s*(?:(?P<cs>[0-9a-fA-F]{4}):)?\s*'
    r'(?:' + _ADDR + r'\s*)*(?P<rest>.*)$')
_SECTION_RE = re.compile(r'\s*<{1,2}(/?)([A-Z]{2,8})>{1,2}\s*$')

# frames at which a stack naturally ends (the bottom of a kernel stack)
_BOTTOM_RE = re.compile(
    r'^(?:ret_from_fork(?:_asm|_nospec_begin|_nospec_end)?|kernel_thread_helper|entry_SYSCALL_64_after_hwframe|'
    r'entry_SYSCALL_64_fastpath|entry_SYSCALL_64_after_swapgs|system_call_fastpath|'
    r'tracesys(?:_phase2)?|sysenter_dispatch|cstar_dispatch|ia32_sysret|ia32_do_call|'
    r'entry_INT80_compat|entry_SYSENTER_compat(?:_after_hwframe)?|entry_SYSCALL_compat(?:_after_hwframe)?|'
    r'entry_INT80_32|entry_SYSENTER_32|secondary_startup_64(?:_no_verify)?|x86_64_start_kernel|'
    r'x86_64_start_reservations|start_secondary|startup_64|start_kernel|'
    r'el0t_64_sync|el0_sync|el1_irq|ret_fast_syscall|ret_from_kernel_thread|ret_from_syscall|'
    r'system_call_common|system_call_vectored_common|handle_exception|ret_from_exception|'
    r'int_signal|int_ret_from_sys_call|syscall_call|sysenter_do_call|common_startup_64)$')

#: syzkaller-like infrastructure frames never blamed (regexes on the function name)
COMMON_SKIP = (
    r'__sanitizer', r'__asan', r'kasan', r'hwasan', r'__msan', r'kmsan', r'kcsan_',
    r'check_memory_region', r'check_heap_object', r'check_object', r'read_word_at_a_time',
    r'(?:read|write)_once_.*nocheck', r'print_address_description', r'^panic$', r'^nmi_panic',
    r'invalid_op', r'report_bug', r'fixup_bug', r'fixup_exception', r'^do_error', r'_trap$', r'^do_trap',
    r'^handle_bug', r'^exc_', r'^asm_exc_', r'^asm_sysvec_', r'^asm_common_interrupt',
    r'dump_stack', r'show_stack', r'show_trace', r'^show_regs', r'^__show_regs', r'^show_trace_log_lvl',
    r'^print_stack_trace', r'stack_trace_', r'^save_stack', r'^stack_depot', r'^__stack_depot',
    r'^arch_stack_walk', r'^unwind_', r'^__unwind', r'^print_context_stack', r'^dump_trace',
    r'^printk', r'^vprintk', r'^_printk', r'^console_', r'^__warn_printk', r'^warn_slowpath', r'^__warn$',
    r'warn_alloc', r'warn_bogus', r'^__warn', r'^report_', r'^print_report', r'^end_report', r'^start_report',
    r'^die$', r'^__die', r'^oops_', r'^do_general_protection', r'^do_invalid_op', r'^do_page_fault',
    r'^__do_page_fault', r'^page_fault$', r'^exc_page_fault', r'^handle_page_fault', r'^no_context$',
    r'^__bad_area', r'^bad_area', r'^kernelmode_fixup_or_oops', r'^page_fault_oops', r'^do_user_addr_fault',
    r'^do_kern_addr_fault', r'^async_page_fault', r'^general_protection$',
    r'alloc_page', r'^k?v?(?:m|z|c)alloc', r'^__k?v?(?:m|z|c)alloc', r'^krealloc', r'^__krealloc', r'kmem_cache',
    r'allocate_slab', r'^new_slab', r'^slab_', r'^___slab_', r'^__slab_', r'^kmalloc', r'^__kmalloc',
    r'^kmem_', r'^__kmem_', r'^kfree$', r'^kfree_', r'^__kfree', r'^kvfree', r'^vfree', r'^__vfree',
    r'^vmalloc', r'^__vmalloc', r'^kzalloc', r'^kcalloc', r'^kvzalloc', r'^kvmalloc', r'^kmemdup', r'^kstrdup',
    r'^kstrndup', r'^kasprintf', r'^kvasprintf', r'^__get_free_pages', r'^get_zeroed_page', r'^__alloc_pages',
    r'^alloc_pages', r'^__folio_alloc', r'^folio_alloc', r'^get_page_from_freelist', r'^__rmqueue', r'^rmqueue',
    r'^slob_', r'^cache_alloc', r'^____cache_alloc', r'^__do_cache_alloc', r'^fallback_alloc',
    r'^mempool_alloc', r'^__alloc_skb', r'^__kmalloc_reserve', r'^kmalloc_reserve', r'^pcpu_alloc',
    r'^__alloc_percpu', r'^alloc_percpu',
    r'debug_object', r'^timer_is_static_object', r'^work_is_static_object', r'__might_fault', r'^might_fault',
    r'__might_sleep', r'^__might_resched', r'^___might_sleep', r'^might_sleep', r'^__cant_sleep',
    r'print_unlock', r'imbalance_bug', r'lockdep', r'^check_noncircular', r'^check_prev_add', r'^check_prevs_add',
    r'^validate_chain', r'^__lock_acquire', r'^lock_acquire', r'^lock_release', r'^__lock_release',
    r'^lock_acquired', r'^lock_contended', r'lock_class', r'^mark_lock', r'(?:reacquire|mark)_held_locks',
    r'^print_circular_bug', r'^print_deadlock_bug', r'^print_usage_bug', r'^print_bad_irq_dependency',
    r'^check_deadlock', r'^check_irq_usage', r'^check_usage', r'^valid_state', r'^mark_usage', r'^debug_check_',
    r'^check_flags', r'^print_lock', r'^debug_show_', r'^trace_hardirqs', r'^trace_softirqs', r'^__debug_',
    r'bh_enable', r'bh_disable', r'^perf_trace', r'^trace_', r'^__trace_',
    r'raw_spin_rq', r'spin_lock', r'spin_trylock', r'spin_unlock', r'^_raw_', r'^__raw_', r'^do_raw_',
    r'^queued_spin', r'^native_queued_spin', r'^__pv_queued_spin', r'^pv_queued_spin', r'^queued_read',
    r'^queued_write', r'read_lock', r'read_trylock', r'write_lock', r'write_trylock', r'read_unlock',
    r'write_unlock', r'^down$', r'^down_', r'^__down', r'^rwsem_', r'^__rwsem_', r'^up$', r'^up_read',
    r'^up_write', r'^mutex_', r'^__mutex_', r'^rt_mutex_', r'^__rt_mutex_', r'^rt_spin_', r'owner_on_cpu',
    r'^osq_lock', r'^osq_unlock', r'^percpu_down_', r'^percpu_up_', r'^__percpu_down_', r'^__percpu_rwsem',
    r'^ww_mutex_', r'^__ww_mutex_', r'^lock_sock_nested$', r'^__lock_sock$', r'^lock_timer_base',
    r'^atomic(?:64)?_', r'^arch_atomic', r'^(?:set|clear|change|test)_bit', r'^__wake_up', r'^wake_up_',
    r'^__schedule', r'^schedule$', r'^schedule_', r'^io_schedule', r'^preempt_schedule', r'^__cond_resched',
    r'^_cond_resched', r'^cond_resched', r'^context_switch', r'^__switch_to', r'^switch_to', r'^finish_task_switch',
    r'^rcu_read_lock', r'^rcu_read_unlock', r'^__rcu_read_',
    r'^memcpy', r'^__memcpy', r'^memcmp', r'^memset', r'^__memset', r'^memchr', r'^memmove', r'^__memmove',
    r'^memscan', r'^strcmp', r'^strncmp', r'^strchr', r'^strrchr', r'^strncpy', r'^strscpy', r'^strlcpy',
    r'^strcpy', r'^strcat', r'^strlen', r'^strnlen', r'^strspn', r'^strcspn', r'^strpbrk', r'^strsep',
    r'^strstr', r'^strnstr', r'^strcasecmp', r'^strncasecmp', r'^__fortify', r'^fortify_',
    r'^__read_once_size', r'^__write_once_size', r'^should_fail', r'^vsnprintf', r'^snprintf', r'^sprintf',
    r'^scnprintf', r'^vscnprintf', r'^_?copy_(?:to|from)_user', r'^__copy_(?:to|from)_user',
    r'^copy_user_', r'^__get_user', r'^__put_user', r'^get_user', r'^put_user', r'^rep_movs',
    r'^__x86_indirect_thunk', r'^__x86_return_thunk', r'^__fentry__', r'^ftrace_',
    r'^entry_SYSCALL', r'^do_syscall_', r'^__do_fast_syscall', r'^do_fast_syscall', r'^do_int80_syscall',
    r'^system_call', r'^syscall_', r'^x64_sys_call', r'^ret_from_fork', r'^kthread$', r'^kernel_thread',
    r'^entry_INT80', r'^entry_SYSENTER', r'^tracesys', r'^int_ret_from_sys_call', r'^el0_', r'^el1_',
    r'^invoke_syscall', r'^do_el0_svc', r'^el0t_', r'^ret_fast_syscall', r'^ret_from_kernel_thread',
    r'^__sysvec_', r'^sysvec_', r'^irq_exit', r'^__irq_exit', r'^smp_apic_timer_interrupt',
    r'^apic_timer_interrupt', r'^common_interrupt$', r'^ret_from_intr', r'^nmi_', r'^do_nmi', r'^end_repeat_nmi',
    r'^repeat_nmi', r'^default_do_nmi', r'^exc_nmi', r'^asm_exc_nmi', r'^nmi$',
    r'^memory_failure$',
)

#: kmemleak allocation frames (syzkaller: "BUG: memory leak")
KMEMLEAK_SKIP = (r'kmemleak', r'mmap', r'kmem', r'slab', r'alloc', r'create_object', r'idr_get',
                 r'list_lru_init', r'kasprintf', r'kvasprintf', r'pcpu_create_chunk', r'strdup',
                 r'strndup', r'memdup', r'^__kmalloc', r'^kmalloc', r'^kzalloc', r'^__do_kmalloc')

# hung task: group hangs on common anchors; otherwise skip waiting primitives (syzkaller)
_HANG_ANCHORS = (('blk_trace_ioctl', None), ('bpf_prog_', None), ('bpf_map_', None),
                 ('rtnl_lock', 'rtnl_lock'), ('rtnetlink_rcv_msg', None), ('synchronize_rcu', 'synchronize_rcu'),
                 ('synchronize_net', None), ('synchronize_srcu', None))
_HANG_SKIP_RE = re.compile(r'sched|_lock|_slowlock|down|rwsem|completion|kthread|wait|synchronize|'
                           r'context_switch|__switch_to|cancel_delayed_work|rcu_barrier|freezer|'
                           r'^io_schedule|^bit_wait|^__lock_page|^folio_wait|^wait_on_page')
# stalls and lockups: the looping code is blamed through the frame just above the first
# dispatcher / syscall-layer frame (syzkaller's linuxStallFrameExtractor idea)
_STALL_ANCHORS_RE = re.compile(
    r'__run_timers|run_timer_softirq|run_ksoftirqd|smpboot_thread_fn|process_one_work|^call_timer_fn|'
    r'^handle_irq|^do_softirq|^__do_softirq|^net_rx_action|^tasklet_action|^do_syscall_|^do_fast_syscall|'
    r'^entry_SYSCALL|^system_call|^__do_sys_|^__do_compat_sys_|^__x64_sys_|^__ia32_sys_|^__arm64_sys_|'
    r'^__se_sys_|^(?:__)?(?:x64_|ia32_|arm64_)?(?:compat_)?sys_|^SyS_|^compat_SyS_|^ksys_|^__sys_|'
    r'^vfs_|^do_sync_(?:read|write)|^do_vfs_ioctl|^do_sys_|^do_filp_open|^path_openat|^do_iter_')
_SYSCALL_WRAPPER_RE = re.compile(r'^(?:__(?:x64|ia32|arm64)_|__se_|__do_|SyS_|compat_SyS_)?(?:compat_)?sys_')


class Frame(object):
    """One parsed stack frame."""

    __slots__ = ('func', 'symbol', 'offset', 'module', 'address', 'reliable', 'inline', 'src', 'raw')

    def __init__(self, func=None, symbol=None, offset=None, module=None, address=None,
                 reliable=True, inline=False, src=None, raw=False):
        self.func = func
        self.symbol = symbol
        self.offset = offset
        self.module = module
        self.address = address
        self.reliable = reliable
        self.inline = inline
        self.src = src
        self.raw = raw

    def normalized(self):
        """Frame text without addresses: "? func+0x4a/0xa0 [mod]", "func file.c:12 [inline]"."""
        if self.raw:
            out = self.address or '?'
        else:
            out = self.symbol or '?'
            if self.offset:
                out += self.offset
            if self.src:
                out += ' ' + self.src
            if self.inline:
                out += ' [inline]'
            if self.module:
                out += ' [%s]' % self.module
        if not self.reliable:
            out = '? ' + out
        return out

    def site(self):
        """Call-site key for signatures: symbol+offset [mod] ('?' for raw addresses)."""
        if self.raw:
            return '?'
        out = self.symbol or '?'
        if self.offset:
            out += self.offset
        elif self.inline:
            out += ' [inline]'
        if self.module:
            out += ' [%s]' % self.module
        return out

    __str__ = normalized

    def __repr__(self):
        return 'Frame(%r)' % self.normalized()


def base_func(symbol):
    """"foo.isra.0" / "foo.cold" / "foo.constprop.3" -> "foo"."""
    if not symbol:
        return symbol
    i = symbol.find('.', 1)
    if i > 0:
        symbol = symbol[:i]
    return symbol


def title_func(func):
    """Function name as used in titles: SyS_write -> sys_write (3.10 wrappers)."""
    if not func:
        return func
    if func.startswith('SyS_'):
        return 'sys_' + func[4:]
    if func.startswith('compat_SyS_'):
        return 'compat_sys_' + func[11:]
    return func


def _address_of(addrs):
    if not addrs:
        return None
    end = addrs.find(']')
    value = addrs[1:end].strip('<> ') if end > 0 else ''
    return value or None


def strip_markers(text):
    """Remove leading stack section markers ("<IRQ>", "<<EOE>>"); returns (markers, rest)."""
    m = _LEAD_RE.match(text)
    if not m or m.end() == 0:
        return (), text
    lead = text[:m.end()]
    return tuple(_MARKERS_RE.findall(lead)), text[m.end():]


def section_marker(text):
    """For a line that is only a marker: ('IRQ', True) for "<IRQ>", ('IRQ', False) for "</IRQ>"."""
    m = _SECTION_RE.match(text)
    if not m:
        return None
    name = m.group(2)
    opening = not m.group(1)
    if name in ('EOI', 'EOE'):
        opening = False
        name = 'IRQ' if name == 'EOI' else 'NMI'
    return name, opening


def parse_frame(text):
    """Parse one stack frame line; returns a Frame or None. Never raises."""
    try:
        return _parse_frame(text)
    except Exception:  # pragma: no cover - defensive
        return None


def _parse_frame(text):
    if not text:
        return None
    if text.startswith('kmemleak:'):
        text = text[9:]
    text = text.strip()
    if not text or len(text) > 512:
        return None
    c = text[0]
    if c == '<':
        _markers, text = strip_markers(text)
        if not text:
            return None
        c = text[0]
    if not (c == '[' or c == '?' or c == '_' or c == '$' or c.isalpha() or c == '0' or c == '('):
        return None
    if '0x' not in text and '[inline]' not in text and '(null)' not in text:
        return None  # every frame form has an offset, an address or "[inline]"
    m = _SYM_FRAME_RE.match(text)
    if m:
        sym = m.group('sym')
        off = m.group('off')
        src = None
        if m.group(6):
            src = '%s:%s' % (m.group(6), m.group(7))
        inline = m.group('inline') is not None
        addrs = m.group('addrs')
        if not (off or src or inline):
            # "func" alone is not a frame (stack words, a line cut mid-way)
            return None
        if sym == 'null':  # pragma: no cover - "(null)" handled as raw
            return None
        return Frame(func=base_func(sym), symbol=sym, offset=off, module=m.group(5) or m.group('mod2'),
                     address=_address_of(addrs), reliable=not m.group('q'), inline=inline, src=src)
    m = _RAW_FRAME_RE.match(text)
    if m:
        raw = m.group('raw')
        if raw == '(null)' and not m.group('addrs'):
            return None
        return Frame(address=raw if raw != '(null)' else '0x0', reliable=not m.group('q'), raw=True)
    m = _ARM_FRAME_RE.match(text)
    if m:
        sym = m.group('sym')
        return Frame(func=base_func(sym), symbol=sym, offset=m.group('off'))
    return None


def parse_rip(text):
    """Frame from an instruction pointer line ("RIP: 0010:func+0x3/0x20", "IP: [<..>] func+..",
    "pc : func+..", "PC is at func+..", "NIP [c00..] func+.."). None for user-space RIPs."""
    try:
        m = _RIP_RE.match(text)
        if not m:
            return None
        cs = m.group('cs')
        if cs and cs.lower() in ('0033', '0023', '002b', '0073'):
            return None
        rest = m.group('rest').strip()
        if not rest:
            return None
        # "RSP: ..." etc. on the same line (i386 "EIP: ... SS:ESP ...")
        rest = re.split(r'\s+(?:SS:ESP|RSP|ESP|LR|lr)\b', rest)[0]
        f = parse_frame(rest)
        if f is not None and f.raw and f.address and f.address.lower().startswith('0x7f'):
            return None
        return f
    except Exception:  # pragma: no cover - defensive
        return None


def is_bottom(frame):
    """True if the frame is the natural bottom of a kernel stack."""
    if frame is None or frame.raw:
        return bool(frame is not None and frame.address and frame.address.lower() == '0xffffffffffffffff')
    return _BOTTOM_RE.match(frame.symbol or '') is not None or _BOTTOM_RE.match(frame.func or '') is not None


class SkipMatcher(object):
    """Matches function names never blamed. ``search(name)`` like a compiled regex, but the
    patterns anchored at the start are tried only there, and answers are memoized (the same
    frames come back in every report)."""

    MAX_CACHE = 2048

    def __init__(self, patterns):
        anchored = []
        floating = []
        for p in patterns:
            if p.startswith('^'):
                anchored.append(p[1:])
            else:
                floating.append(p)
        self.anchored = re.compile('(?:%s)' % '|'.join('(?:%s)' % p for p in anchored)) if anchored else None
        self.floating = re.compile('|'.join('(?:%s)' % p for p in floating)) if floating else None
        self.cache = {}

    def search(self, name):
        hit = self.cache.get(name)
        if hit is None:
            hit = bool((self.anchored is not None and self.anchored.match(name)) or
                       (self.floating is not None and self.floating.search(name)))
            if len(self.cache) >= self.MAX_CACHE:
                self.cache.clear()
            self.cache[name] = hit
        return hit


_SKIP_CACHE = {}


def skip_regex(extra=(), common=True):
    """Matcher (``.search(name)``) of function names never blamed: the common list plus ``extra``."""
    key = (tuple(extra), common)
    r = _SKIP_CACHE.get(key)
    if r is None:
        r = SkipMatcher((COMMON_SKIP if common else ()) + tuple(extra))
        _SKIP_CACHE[key] = r
    return r


def usable_funcs(frames, skip=None):
    """Function names of the reliable, symbolized frames not matching ``skip``."""
    if skip is None:
        skip = skip_regex()
    out = []
    for f in frames:
        # inlined frames (decode_stacktrace.sh "[inline]" lines) repeat the location of the real
        # frame that follows; like syzkaller, blame the real (out of line) function
        if f is None or f.raw or not f.reliable or not f.func or f.inline:
            continue
        if skip.search(f.func):
            continue
        out.append(f.func)
    return out


def hang_extractor(funcs):
    """syzkaller's hung-task frame choice: anchor frames first, then skip waiting primitives."""
    for func in funcs:
        for anchor, replacement in _HANG_ANCHORS:
            if anchor in func:
                return replacement or func
    for func in funcs:
        if not _HANG_SKIP_RE.search(func):
            return func
    return None


def stall_extractor(frames, skip=None):
    """Stall/lockup frame choice: the last blamable frame above the first dispatcher or
    syscall-layer frame; a syscall wrapper itself when nothing is above it; else the first
    blamable frame. ``frames``: Frame objects in order (instruction pointer first)."""
    if skip is None:
        skip = skip_regex()
    prev = None
    first = None
    for f in frames:
        if f is None or f.raw or not f.reliable or not f.func or f.inline:
            continue
        func = f.func
        if _STALL_ANCHORS_RE.search(func):
            if prev is not None:
                return prev
            if _SYSCALL_WRAPPER_RE.match(func) and not skip.search(func):
                return _SYSCALL_WRAPPER_RE.sub('sys_', func)
            continue
        if not skip.search(func):
            prev = func
            if first is None:
                first = func
    return first


EXTRACTORS = {None: None, 'first': None, 'hang': hang_extractor}


def guilty_frame(frames, skip=None, extractor=None):
    """Name of the guilty function in ``frames`` (Frame objects, in order), or None."""
    try:
        if extractor == 'stall':
            return stall_extractor(frames, skip)
        funcs = usable_funcs(frames, skip)
        if not funcs:
            return None
        fn = EXTRACTORS.get(extractor, extractor) if not callable(extractor) else extractor
        if fn is None:
            return funcs[0]
        return fn(funcs)
    except Exception:  # pragma: no cover - defensive
        return None


def parse_stack(lines, max_frames=MAX_FRAMES):
    """Frames from consecutive lines (text); stops at the first non-frame line after frames."""
    frames = []
    started = False
    for text in lines:
        f = parse_frame(text)
        if f is not None:
            started = True
            if len(frames) < max_frames:
                frames.append(f)
            continue
        if section_marker(text) is not None or text.strip() in ('Call Trace:', 'Call trace:', 'Backtrace:'):
            continue
        if started:
            break
    return frames
