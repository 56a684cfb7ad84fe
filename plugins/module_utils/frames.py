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

Which frame a title blames is decided by the rules in title_rules.py (re-exported
here). Stdlib only; Python 2.7 and 3.6+.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

# the title rules live in title_rules; re-exported here for the frame users
from ansible_collections.kdebug.kernel.plugins.module_utils.lazy_regex import lazy
from ansible_collections.kdebug.kernel.plugins.module_utils.title_rules import (  # noqa: F401  # pylint: disable=unused-import
    COMMON_SKIP, EXTRACTORS, KMEMLEAK_SKIP, SkipMatcher, guilty_frame, hang_extractor, skip_regex,
    stall_extractor, title_func, usable_funcs,
)

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

_LEAD_RE = lazy(globals(), r'\s*(?:(?:' + _MARKER + r')\s*)*')
_MARKERS_RE = lazy(globals(), _MARKER)
_SYM_FRAME_RE = lazy(
    globals(),
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
_RAW_FRAME_RE = lazy(
    globals(),
    r'(?P<addrs>(?:' + _ADDR + r'\s*){0,2})(?P<q>\?\s+)?(?P<raw>0x[0-9a-fA-F]{1,16}|\(null\))\s*$')
_ARM_FRAME_RE = lazy(
    globals(),
    r'\[<[0-9a-fA-F]+>\]\s+\((?P<sym>' + _SYM + r')(?P<off>' + _OFF + r')?\)\s+from\s+\[<[0-9a-fA-F]+>\]')
_RIP_RE = lazy(
    globals(),
    r'\s*(?:RIP|EIP|IP|NIP|pc|PC is at|epc|ERA)\s*:?\s*(?:(?P<cs>[0-9a-fA-F]{4}):)?\s*'
    r'(?:' + _ADDR + r'\s*)*(?P<rest>.*)$')
_SECTION_RE = lazy(globals(), r'\s*<{1,2}(/?)([A-Z]{2,8})>{1,2}\s*$')

# frames at which a stack naturally ends (the bottom of a kernel stack)
_BOTTOM_RE = lazy(
    globals(),
    r'^(?:ret_from_fork(?:_asm|_nospec_begin|_nospec_end)?|kernel_thread_helper|entry_SYSCALL_64_after_hwframe|'
    r'entry_SYSCALL_64_fastpath|entry_SYSCALL_64_after_swapgs|system_call_fastpath|'
    r'tracesys(?:_phase2)?|sysenter_dispatch|cstar_dispatch|ia32_sysret|ia32_do_call|'
    r'entry_INT80_compat|entry_SYSENTER_compat(?:_after_hwframe)?|entry_SYSCALL_compat(?:_after_hwframe)?|'
    r'entry_INT80_32|entry_SYSENTER_32|secondary_startup_64(?:_no_verify)?|x86_64_start_kernel|'
    r'x86_64_start_reservations|start_secondary|startup_64|start_kernel|'
    r'el0t_64_sync|el0_sync|el1_irq|ret_fast_syscall|ret_from_kernel_thread|ret_from_syscall|'
    r'system_call_common|system_call_vectored_common|handle_exception|ret_from_exception|'
    r'int_signal|int_ret_from_sys_call|syscall_call|sysenter_do_call|common_startup_64)$')


class Frame(object):
    """One parsed stack frame."""

    # (_normalized, _bottom: normalized() and is_bottom() of the frame, computed once: a frame
    # is never changed after it was made, and parse_frame hands out the same frame for the
    # lines of a stack seen again)
    __slots__ = ('func', 'symbol', 'offset', 'module', 'address', 'reliable', 'inline', 'src', 'raw',
                 '_normalized', '_bottom')

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
        self._normalized = None
        self._bottom = None

    def normalized(self):
        """Frame text without addresses: "? func+0x4a/0xa0 [mod]", "func file.c:12 [inline]"."""
        out = self._normalized
        if out is None:
            out = self._normalized = self._normalize()
        return out

    def _normalize(self):
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


def _address_of(addrs):
    if not addrs:
        return None
    end = addrs.find(']')
    value = addrs[1:end].strip('<> ') if end > 0 else ''
    return value or None


def strip_markers(text):
    """Remove leading stack section markers ("<IRQ>", "<<EOE>>"); returns (markers, rest)."""
    if '<' not in text:
        # no marker (most stack lines): the regex would only take the leading blanks, which
        # lstrip(' ') does when what follows is no other white space (\s is wider than ' ')
        rest = text.lstrip(' ')
        if not rest[:1].isspace():
            return (), rest
    m = _LEAD_RE.match(text)
    if not m or m.end() == 0:
        return (), text
    lead = text[:m.end()]
    return tuple(_MARKERS_RE.findall(lead)), text[m.end():]


def section_marker(text):
    """For a line that is only a marker: ('IRQ', True) for "<IRQ>", ('IRQ', False) for "</IRQ>"."""
    if '<' not in text:
        return None  # (every stack line comes here; a marker starts with '<')
    m = _SECTION_RE.match(text)
    if not m:
        return None
    name = m.group(2)
    opening = not m.group(1)
    if name in ('EOI', 'EOE'):
        opening = False
        name = 'IRQ' if name == 'EOI' else 'NMI'
    return name, opening


#: frames of the lines seen last (the same stacks repeat in a log: a hung task every interval,
#: a WARNING in a hot path); Frame objects are never changed after parse_frame made them
_FRAME_CACHE = {}
_FRAME_CACHE_MAX = 512


def parse_frame(text):
    """Parse one stack frame line; returns a Frame or None. Never raises."""
    try:
        if '0x' not in text and '[inline]' not in text and '(null)' not in text:
            # what _parse_frame answers for a text without an offset, an address or "[inline]"
            # (most lines of a report that are no frame), without a place in the cache
            return None
        return _FRAME_CACHE[text]
    except (KeyError, TypeError):
        pass
    try:
        frame = _parse_frame(text)
    except Exception:  # pragma: no cover - defensive
        return None
    try:
        if len(_FRAME_CACHE) >= _FRAME_CACHE_MAX:
            _FRAME_CACHE.clear()
        _FRAME_CACHE[text] = frame
    except TypeError:  # pragma: no cover - an unhashable argument
        pass
    return frame


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
        # (one groups() call instead of one group() call per field: every stack line comes here)
        addrs, q, sym, off, mod, src_file, src_line, inline, mod2 = m.groups()
        src = '%s:%s' % (src_file, src_line) if src_file else None
        inline = inline is not None
        if not (off or src or inline):
            # "func" alone is not a frame (stack words, a line cut mid-way)
            return None
        if sym == 'null':  # pragma: no cover - "(null)" handled as raw
            return None
        # (positional: func, symbol, offset, module, address, reliable, inline, src)
        dot = sym.find('.', 1)  # base_func(sym), without the call
        return Frame(sym[:dot] if dot > 0 else sym, sym, off, mod or mod2, _address_of(addrs) if addrs else None,
                     not q, inline, src)
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


#: is_bottom's answers by symbol and function name (asked for every frame of every stack, of
#: the same few hundred names)
_BOTTOM_CACHE = {}


def is_bottom(frame):
    """True if the frame is the natural bottom of a kernel stack."""
    if frame is None:
        return False
    hit = frame._bottom
    if hit is not None:
        return hit
    if frame.raw:
        hit = bool(frame.address and frame.address.lower() == '0xffffffffffffffff')
    else:
        key = (frame.symbol, frame.func)
        hit = _BOTTOM_CACHE.get(key)
        if hit is None:
            hit = _BOTTOM_RE.match(frame.symbol or '') is not None or _BOTTOM_RE.match(frame.func or '') is not None
            if len(_BOTTOM_CACHE) >= _FRAME_CACHE_MAX:
                _BOTTOM_CACHE.clear()
            _BOTTOM_CACHE[key] = hit
    frame._bottom = hit
    return hit


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
