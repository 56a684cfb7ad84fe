# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel log line reader.

Turns one line of kernel log text, in any of the forms it really arrives in,
into a LogLine with the message text and the metadata stripped off it:

- raw ``dmesg`` and serial consoles: ``[   12.345678] msg``, with an optional
  caller id (CONFIG_PRINTK_CALLER): ``[   12.345678][  T123] msg`` or
  ``[   12.345678] [  T123] msg``;
- ``dmesg -T``: ``[Fri Nov 27 05:13:37 2026] msg``; ``dmesg --time-format iso``;
- ``dmesg -r`` / console captures with a level: ``<4>[   12.345678] msg``;
- ``dmesg -x``: ``kern  :warn  : [   12.345678] msg``;
- ``journalctl -k`` / syslog files: ``Nov 27 05:13:37 host kernel: msg``,
  ``-o short-iso``, ``-o short-precise``, ``-o short-monotonic``
  (``[   12.345678] host kernel: msg``);
- ``/dev/kmsg`` records: ``6,1234,5678,-;msg`` and ``4,1234,5678,-,caller=T1;msg``;
- plain text (``/sys/kernel/debug/kmemleak``, captures without timestamps).

Input is read by one reader (LineReader): every run of CRs, with or without an
LF after it, is a line end like LF (serial captures end lines with CR LF,
CR CR LF, or CR alone), and over-long lines are cut and counted. Lines are then
cleaned: NUL, ANSI escapes and other control bytes are removed, invalid UTF-8
is replaced, the escapes of /dev/kmsg records are decoded, and a kernel line
glued behind user-space output (``login: [  12.3] BUG: ...``) is found.

Stdlib only; runs on Python 2.7 and 3.6+.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import itertools
import sys

from ansible_collections.kdebug.kernel.plugins.module_utils.lazy_regex import lazy

try:  # pragma: no cover - python 2
    _text_type = unicode  # pylint: disable=undefined-variable
except NameError:  # pragma: no cover - python 3
    _text_type = str

#: Maximum number of characters kept from one line (the kernel's own record
#: limit is 1024 bytes; anything longer is junk from a broken capture).
MAX_LINE = 4096

#: Bytes read per chunk from file objects.
CHUNK_SIZE = 65536
#: Bytes LineReader reads at a time: blocks this small stay in the CPU cache through the
#: passes made over them (1 MiB blocks took 1.6x the time to read and split on the bench
#: inputs), and a block (this plus the unfinished line before it, at most MAX_LINE) and the
#: copies made of it stay under glibc's mmap threshold (128 KiB): they come from the heap
#: again and again. Blocks of 256 KiB were mapped and unmapped each time: a 200 MB log took
#: 19,300 page faults (0.09 s of system time) instead of 2,850 (0.02 s), about 6% of its
#: parse.
READ_SIZE = 112 * 1024

ORIGINS = ('kmsg', 'dmesg', 'dmesg-T', 'journal', 'syslog', 'plain')

_MONTHS = r'(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
_DAYS = r'(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'

# /dev/kmsg: "prio,seq,usec,flags[,more fields];message"
_KMSG_RE = lazy(globals(), r'(\d{1,4}),(\d{1,20}),(\d{1,20}),([^,;]*)((?:,[^;]*)?);')
_KMSG_CALLER_RE = lazy(globals(), r'caller=([TC]\d+)')
# "<4>" level prefix (dmesg -r, console captures)
_LEVEL_RE = lazy(globals(), r'<(\d{1,3})>')
# "[   12.345678]" timestamp; the caller id may follow with or without a space
_TS_RE = lazy(globals(), r'\[\s*(\d{1,10})\.(\d{1,9})\]\s?')
_CALLER_RE = lazy(globals(), r'\[\s*([TC]\d{1,10})\]\s?')
# both in one match, for the dmesg line (the caller group is empty when _CALLER_RE would not
# match after _TS_RE: it begins with "[", which the time stamp's optional blank cannot be)
_TS_CALLER_RE = lazy(globals(), r'\[\s*(\d{1,10})\.(\d{1,9})\]\s?(?:\[\s*([TC]\d{1,10})\]\s?)?')
# dmesg -T
_DMESG_T_RE = lazy(globals(), r'\[(' + _DAYS + r' ' + _MONTHS +
                              r' [ \d]\d \d\d:\d\d:\d\d \d{4})\]\s?')
# dmesg -x "kern  :warn  : "
_DMESG_X_RE = lazy(globals(), r'(kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|'
                              r'local[0-7])\s*:\s*(emerg|alert|crit|err|warn|notice|info|debug)\s*: ')
# syslog / journal "Nov 27 05:13:37[.123456] host prog[pid]: "
_SYSLOG_RE = lazy(globals(), r'(' + _MONTHS + r' [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?) (\S+) '
                             r'([^\s:\[]+)(?:\[(\d+)\])?: ?')
# ISO time stamps: journal short-iso ("... host kernel: msg") or dmesg --time-format iso
_ISO_RE = lazy(globals(), r'(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) ')
_HOST_PROG_RE = lazy(globals(), r'(\S+) ([^\s:\[]+)(?:\[(\d+)\])?: ?')
# kernel time stamp somewhere inside a line (serial capture, user output in front)
_EMBEDDED_TS_RE = lazy(globals(), r'\[\s*\d{1,10}\.\d{6}\]')
# /dev/kmsg dictionary continuation line
_DICT_RE = lazy(globals(), r' [A-Z_][A-Z0-9_]*=')
# terminal escapes and control characters (TAB is kept)
_ANSI_RE = lazy(globals(), r'\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])')
_CTRL_RE = lazy(globals(), u'[\x00-\x08\x0b-\x1f\x7f\ufeff]')

_LEVEL_NAMES = {'emerg': 0, 'alert': 1, 'crit': 2, 'err': 3, 'warn': 4,
                'notice': 5, 'info': 6, 'debug': 7}


class LogLine(object):
    """One kernel log line, prefixes parsed off.

    Attributes: raw, text, ts, wallclock, seq, level, origin, lineno, plus
    caller (``'T123'``/``'C1'`` or None), facility, host, program,
    kernel (True: known kernel message, False: known user-space message,
    None: cannot tell) and partial (the input ended inside this line).
    """

    __slots__ = ('raw', 'text', 'ts', 'wallclock', 'seq', 'level', 'origin', 'lineno',
                 'caller', 'facility', 'host', 'program', 'kernel', 'partial')

    def __init__(self, raw, text, lineno=None, origin='plain', ts=None, wallclock=None,
                 seq=None, level=None, caller=None, facility=None, host=None,
                 program=None, kernel=None):
        self.raw = raw
        self.text = text
        self.lineno = lineno
        self.origin = origin
        self.ts = ts
        self.wallclock = wallclock
        self.seq = seq
        self.level = level
        self.caller = caller
        self.facility = facility
        self.host = host
        self.program = program
        self.kernel = kernel
        self.partial = False  # last line of the input without its newline (cut mid-way?)

    def as_dict(self):
        return dict((k, getattr(self, k)) for k in self.__slots__)

    def __repr__(self):
        return 'LogLine(%r, origin=%r, ts=%r, lineno=%r)' % (self.text, self.origin, self.ts, self.lineno)


def to_text(value):
    """Decode bytes as UTF-8 (invalid bytes replaced); pass text through."""
    if isinstance(value, _text_type):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode('utf-8', 'replace')
    try:
        return _text_type(value)
    except Exception:  # pragma: no cover - exotic objects
        return u''


#: str.isprintable (Python 3): False for every character _CTRL_RE removes (controls and the
#: BOM), so a printable line (most lines; a TAB is not printable) needs no search for them
_printable = getattr(_text_type, 'isprintable', None)


def clean(text):
    """Remove CR/LF at the ends, NUL, ANSI escapes and control characters; cap length."""
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE]
    text = text.rstrip(u'\r\n')
    if u'\x1b' in text:
        text = _ANSI_RE.sub(u'', text)
    if not (_printable is not None and isinstance(text, _text_type) and _printable(text)) and _CTRL_RE.search(text):
        text = _CTRL_RE.sub(u'', text)
    return text


#: 10.0 ** n for the digits of a time stamp's fraction (the same values, computed once)
_POW10 = tuple(10.0 ** n for n in range(10))


def _ts_value(secs, frac):
    try:
        return int(secs) + int(frac) / _POW10[len(frac)]
    except ValueError:  # pragma: no cover - guarded by the regex
        return None


def _parse_after_ts(line, pos, text):
    """Caller id after a [ts] prefix; returns (caller, new_pos)."""
    m = _CALLER_RE.match(text, pos)
    if m:
        return m.group(1), m.end()
    return None, pos


def _parse_prefixes(line, text, depth=0):
    """Fill ``line`` from ``text``; returns nothing."""
    pos = 0
    n = len(text)
    if n == 0:
        line.text = text
        return
    c = text[0]
    # /dev/kmsg record
    if c.isdigit():
        m = _KMSG_RE.match(text)
        if m:
            prio = int(m.group(1))
            line.origin = 'kmsg'
            line.level = prio & 7
            line.facility = prio >> 3
            line.seq = int(m.group(2))
            line.ts = int(m.group(3)) / 1000000.0
            extra = m.group(5)
            if extra:
                cm = _KMSG_CALLER_RE.search(extra)
                if cm:
                    line.caller = cm.group(1)
            line.kernel = line.facility == 0
            line.text = text[m.end():]
            return
        m = _ISO_RE.match(text)
        if m:
            line.wallclock = m.group(1)
            rest = m.end()
            hm = _HOST_PROG_RE.match(text, rest)
            if hm and not text.startswith('[', rest):
                line.host = hm.group(1)
                line.program = hm.group(2)
                line.kernel = hm.group(2) == 'kernel'
                line.origin = 'journal' if line.kernel else 'syslog'
                rest = hm.end()
                tm = _TS_RE.match(text, rest)
                if tm:
                    line.ts = _ts_value(tm.group(1), tm.group(2))
                    line.caller, rest = _parse_after_ts(line, tm.end(), text)
            else:
                line.origin = 'dmesg-T'
                line.kernel = True
                line.caller, rest = _parse_after_ts(line, rest, text)
            line.text = text[rest:]
            return
    elif c == '<':
        m = _LEVEL_RE.match(text)
        if m:
            prio = int(m.group(1))
            line.level = prio & 7
            line.facility = prio >> 3
            pos = m.end()
            if pos < n and text[pos] == '[':
                c = '['
            else:
                line.origin = 'dmesg'
                line.kernel = True
                line.text = text[pos:]
                return
    if c == '[':
        m = _TS_CALLER_RE.match(text, pos)
        if m:
            secs, frac, caller = m.groups()
            line.ts = int(secs) + int(frac) / _POW10[len(frac)]  # _ts_value(), without the call
            line.origin = 'dmesg'
            line.kernel = True
            pos = m.end()
            line.caller = caller
            if caller is None:
                # journalctl -o short-monotonic: "[  12.345678] host kernel: msg"
                hm = _HOST_PROG_RE.match(text, pos) if u'kernel' in text else None
                if hm and hm.group(2) in ('kernel',) and hm.group(1) != 'kernel':
                    line.origin = 'journal'
                    line.host = hm.group(1)
                    line.program = hm.group(2)
                    pos = hm.end()
            line.text = text[pos:]
            return
        m = _DMESG_T_RE.match(text, pos)
        if m:
            line.wallclock = m.group(1)
            line.origin = 'dmesg-T'
            line.kernel = True
            line.caller, pos = _parse_after_ts(line, m.end(), text)
            line.text = text[pos:]
            return
    elif c.isupper():
        m = _SYSLOG_RE.match(text)
        if m:
            line.wallclock = m.group(1)
            line.host = m.group(2)
            line.program = m.group(3)
            line.kernel = line.program == 'kernel'
            line.origin = 'journal' if line.kernel else 'syslog'
            pos = m.end()
            if line.kernel:
                tm = _TS_RE.match(text, pos)
                if tm:
                    line.ts = _ts_value(tm.group(1), tm.group(2))
                    line.caller, pos = _parse_after_ts(line, tm.end(), text)
            line.text = text[pos:]
            return
    elif c.islower():
        m = _DMESG_X_RE.match(text)
        if m:
            line.facility = m.group(1)
            line.level = _LEVEL_NAMES.get(m.group(2))
            line.origin = 'dmesg'
            line.kernel = True
            pos = m.end()
            tm = _TS_RE.match(text, pos)
            if tm:
                line.ts = _ts_value(tm.group(1), tm.group(2))
                line.caller, pos = _parse_after_ts(line, tm.end(), text)
            else:
                tm = _DMESG_T_RE.match(text, pos)
                if tm:
                    line.wallclock = tm.group(1)
                    line.origin = 'dmesg-T'
                    pos = tm.end()
            line.text = text[pos:]
            return
    # plain text; a kernel line may be glued behind user-space output
    if depth == 0 and u'[' in text:
        m = _EMBEDDED_TS_RE.search(text, 1)
        if m:
            _parse_prefixes(line, text[m.start():], depth + 1)
            if line.origin != 'plain':
                return
    line.origin = 'plain'
    line.text = text


# /dev/kmsg escapes every byte < 0x20, >= 0x7f and the backslash as \\xNN
# (kernel/printk/printk.c:msg_add_ext_text in 5.10+, msg_print_ext_body before); the kernel's
# own readers decode them (util-linux dmesg: unhexmangle_to_buffer; systemd-journald's
# dev_kmsg_record: cunescape_length_with_prefix)
_KMSG_ESCAPE_RE = lazy(globals(), r'\\x([0-9a-fA-F]{2})')


def _kmsg_unescape(text):
    """Text of a /dev/kmsg record with its \\xNN escapes decoded (bytes >= 0x80 as UTF-8);
    newlines are kept (split_glued makes lines of them), other control characters removed."""
    data = _KMSG_ESCAPE_RE.sub(lambda m: u'\x00%s' % m.group(1).lower(), text)
    out = bytearray()
    for i, part in enumerate(data.split(u'\x00')):
        if i:
            out.append(int(part[:2], 16))
            part = part[2:]
        out.extend(part.encode('utf-8'))
    text = bytes(out).decode('utf-8', 'replace').strip(u'\n')
    if u'\x1b' in text:
        text = _ANSI_RE.sub(u'', text)
    if _CTRL_RE.search(text):
        text = _CTRL_RE.sub(u'', text)
    return text


def parse_line(raw, lineno=None):
    """Parse one line (str or bytes) into a LogLine. Never raises.

    The text of a /dev/kmsg record has its escapes decoded; when it held escaped newlines
    (``\\x0aShowing all locks held in the system:``), split_glued() makes one LogLine of each."""
    try:
        text = clean(raw if isinstance(raw, _text_type) else to_text(raw))
        line = LogLine(raw, text, lineno)
        _parse_prefixes(line, text)
        if line.origin == 'kmsg' and u'\\x' in line.text:
            line.text = _kmsg_unescape(line.text)
        return line
    except Exception:  # pragma: no cover - defensive: never raise on input
        return LogLine(raw, u'', lineno)


def split_glued(line):
    """A kernel line glued behind a line cut mid-way on a serial console:
    "[ 1.000000]  vfs_wri[ 2.000000] BUG: ..." -> [LogLine(" vfs_wri"), LogLine("BUG: ...")];
    a /dev/kmsg record that holds newlines: one LogLine per line."""
    text = line.text
    if u'\n' in text:
        # a /dev/kmsg record with escaped newlines: one LogLine per line, same metadata
        out = []
        for piece in text.split(u'\n'):
            copy = LogLine(line.raw, piece, line.lineno, line.origin, line.ts, line.wallclock,
                           line.seq, line.level, line.caller, line.facility, line.host,
                           line.program, line.kernel)
            out.append(copy)
        return out
    if line.ts is None or u'[' not in text or u'.' not in text:  # (a time stamp holds both)
        return [line]
    m = _EMBEDDED_TS_RE.search(text)
    if not m:
        return [line]
    rest = parse_line(text[m.start():], line.lineno)
    rest.raw = line.raw
    line.text = text[:m.start()]
    return [line] + split_glued(rest)


def is_dict_line(text):
    """True for a /dev/kmsg dictionary continuation line (" SUBSYSTEM=pci")."""
    return bool(text) and text[0] == ' ' and _DICT_RE.match(text) is not None


# --- the one chunked reader and line splitter ----------------------------------------------
#
# A serial console ends lines with CR LF (the tty adds the CR), with CR CR LF (the kernel's
# console driver and the tty both add one), or with CR alone (a progress meter redrawing its
# line; a capture taken without LF translation). Every run of CRs, with or without an LF after
# it, is one line end, and so is a lone LF: LineReader turns each into one LF, so that every
# parser splits on LF only and counts the same lines.

#: Longest line, in bytes, a reader passes on; the rest of a longer line is dropped and
#: counted (LineSplitter.cut_lines), so that memory stays bounded on a capture without line
#: ends and a caller can say what was dropped. The same number as MAX_LINE: a character is at
#: least one byte, so parse_line never cuts a line a reader passed on once more, silently.
MAX_LINE_BYTES = MAX_LINE

_CR_RUN_RE = lazy(globals(), b'\r+\n?')
_TEXT_CR_RUN_RE = lazy(globals(), u'\r+\n?')


if sys.version_info[0] >= 3:
    def _join2(head, data, end):
        """head + data[:end], copying data once."""
        return b''.join((head, memoryview(data)[:end]))
else:  # pragma: no cover - Python 2: str.join takes no buffer
    def _join2(head, data, end):
        return head + data[:end]


class LineSplitter(object):
    """The one line splitter: feed() raw bytes in pieces of any size, get back bytes of the
    complete lines in them, each ending with LF.

    - line ends become LF (see above); trailing CRs are held back until the next byte shows
      whether an LF follows them;
    - lines longer than max_line are cut there; ``cut_lines`` counts them and ``cut_bytes``
      the bytes dropped, so that a caller can say that input was dropped;
    - ``lines`` counts the complete lines given out; ``consumed`` is the number of raw bytes
      up to the last line end that is certainly complete (not trailing CRs). A block of the
      common path is counted when ``lines`` is next read or the next data comes, unless the
      consumer, which reads the block anyway, counted its line ends and said so
      (``counted(n)``): then its line ends are counted once, not twice;
    - close() (end of input) or flush() (no more input for now, as on /dev/kmsg) gives the
      unfinished last line, without an LF.
    """

    def __init__(self, max_line=MAX_LINE_BYTES):
        self.max_line = max_line
        self._lines = 0
        self._uncounted = None  # (data, end) of the last block given out, not counted yet
        self.cut_lines = 0
        self.cut_bytes = 0
        self.consumed = 0
        self._raw = 0       # raw bytes fed before `_held`
        self._held = b''    # trailing CRs: an LF may follow them
        self._line = b''    # the unfinished last line (LF ends applied), at most max_line
        self._cutting = False  # dropping the rest of an over-long line

    @property
    def lines(self):
        if self._uncounted is not None:
            self._settle()
        return self._lines

    def _settle(self):
        """Count the line ends of the last block, if its consumer did not."""
        if self._uncounted is not None:
            data, end = self._uncounted
            self._uncounted = None
            self._lines += data.count(b'\n', 0, end)

    def counted(self, n):
        """The consumer counted the n line ends of the last block given out (which it read
        anyway): the splitter need not count them. Nothing to do when it counted them itself."""
        if self._uncounted is not None:
            self._uncounted = None
            self._lines += n

    def feed(self, data):
        if self._uncounted is not None:
            self._settle()  # data comes: the consumer did not count the last block
        if not self._held and not self._cutting and b'\r' not in data:
            out = self._feed_lf(data)
            if out is not None:
                return out
        raw = self._held + data if self._held else data
        k = len(raw)
        if raw.endswith(b'\r'):
            k = len(raw.rstrip(b'\r'))
        end = max(raw.rfind(b'\n', 0, k), raw.rfind(b'\r', 0, k))
        if end >= 0:
            self.consumed = self._raw + end + 1
        self._held = raw[k:]
        self._raw += k
        body = raw[:k] if self._held else raw
        if b'\r' in body:
            body = _CR_RUN_RE.sub(b'\n', body)
        if not body:
            return b''
        return self._complete(body)

    def _feed_lf(self, data):
        """feed() of data without CR when no line is being cut (the common case, one pass
        less than _complete: no CR to replace, no line to cap); None when a line in it may be
        longer than max_line (then feed() takes the general path, with the same state)."""
        last = data.rfind(b'\n')
        if last < 0:
            return None
        max_line = self.max_line
        first = data.find(b'\n')
        if len(self._line) + first > max_line:
            return None
        end = last + 1
        if end - first > max_line // 2 and self._long_line_in(data, first + 1, end):
            return None
        self.consumed = self._raw + end
        self._raw += len(data)
        self._uncounted = (data, end)  # counted once: by the consumer or when asked
        head = self._line
        self._line = b''
        if end < len(data):
            self._extend(data[end:])
        if head:
            return _join2(head, data, end)
        return data if end == len(data) else data[:end]

    def close(self):
        """End of input: (complete lines, unfinished last line); held CRs end a line."""
        self._settle()
        out = b''
        if self._held:
            self._raw += len(self._held)
            self._held = b''
            out = self._complete(b'\n')
        tail = self._line
        self._line = b''
        self._cutting = False
        if tail:
            self._lines += 1
        return out, tail

    def flush(self):
        """No more input for now: like close(), the splitter goes on with the next feed()."""
        return self.close()

    def _complete(self, body):
        """Complete lines of the unfinished line + body; keeps the new unfinished line."""
        last = body.rfind(b'\n')
        max_line = self.max_line
        if last < 0:
            self._extend(body)
            return b''
        first = body.find(b'\n')
        prefix = None
        start = 0
        if self._line or self._cutting or first > max_line:
            head = body[:first]
            if self._cutting:
                self.cut_bytes += len(head)
                head = self._line
            elif self._line:
                head = self._line + head
            if len(head) > max_line:
                self.cut_lines += 1
                self.cut_bytes += len(head) - max_line
                head = head[:max_line]
            prefix = head + b'\n'
            start = first + 1
            self._lines += 1
        end = last + 1
        if end - start > max_line // 2 and self._long_line_in(body, start, end):
            middle = self._cap_lines(body[start:end])
        elif start == 0 and end == len(body):
            middle = body
        else:
            middle = body[start:end]
        self._lines += body.count(b'\n', start, end)
        self._line, self._cutting = b'', False
        if end < len(body):
            self._extend(body[end:])
        return prefix + middle if prefix is not None else middle

    def _extend(self, data):
        """Append data (no line end in it) to the unfinished line."""
        if self._cutting:
            self.cut_bytes += len(data)
            return
        line = self._line + data if self._line else data
        if len(line) > self.max_line:
            self.cut_lines += 1
            self.cut_bytes += len(line) - self.max_line
            line = line[:self.max_line]
            self._cutting = True
        self._line = line

    def _long_line_in(self, block, start, end):
        """True when block[start:end] may hold a line longer than max_line: every such line
        contains a whole aligned window of max_line // 2 bytes without LF (a few finds, C
        speed)."""
        step = max(1, self.max_line // 2)
        for pos in range(start, end - step + 1, step):
            if block.find(b'\n', pos, pos + step) < 0:
                return True
        return False

    def _cap_lines(self, block):
        max_line = self.max_line
        out = []
        for part in block.split(b'\n'):
            if len(part) > max_line:
                self.cut_lines += 1
                self.cut_bytes += len(part) - max_line
                part = part[:max_line]
            out.append(part)
        return b'\n'.join(out)


class LineReader(object):
    """The chunked reader of every parser and module: a file object (binary or text), bytes or
    text, read in chunks and split by a LineSplitter, given out as bytes blocks of whole lines
    (LF ends; the last block of an input without a final line end is that last line).

    - ``lines``, ``cut_lines``, ``cut_bytes``: the splitter's counts (an incomplete last line
      counted in ``lines``); ``partial``: the input ended inside a line;
    - ``offset`` is the position in the source, in its own bytes, after the last line end that
      is certainly complete (not after trailing CRs: an LF may follow them): a later read that
      starts there reads an incomplete last line again, whole;
    - the parsers take a read error for the end of their input; the reader keeps it and
      ``check()`` raises it, so a truncated gzip file or an I/O error fails clearly instead of
      giving a silently short result.

    ``read(size)`` makes it a file object for the parsers' streaming paths (a block may be
    longer than ``size``); ``blocks()`` iterates the blocks.
    """

    def __init__(self, source, start=0, chunk_size=None, max_line=MAX_LINE_BYTES):
        self.source = source
        self.start = start
        self.chunk_size = chunk_size
        self.splitter = LineSplitter(max_line)
        self.partial = False
        self.error = None
        self._gen = None
        self._before = 0  # splitter.lines before the last block
        self._less = 0    # of them, not in the last block (the unfinished last line)

    lines = property(lambda self: self.splitter.lines)
    cut_lines = property(lambda self: self.splitter.cut_lines)
    cut_bytes = property(lambda self: self.splitter.cut_bytes)
    offset = property(lambda self: self.start + self.splitter.consumed)

    @property
    def block_lines(self):
        """Line ends (LF) in the last block given out, so that a parser needs no count of its
        own (read it before the next block)."""
        return self.splitter.lines - self._before - self._less

    def counted(self, n):
        """The parser counted the n line ends of the last block itself (it reads every byte of
        the block anyway): the reader does not count them again (LineSplitter.counted)."""
        self.splitter.counted(n)

    def check(self):
        """Raise the read error the parser took for the end of the input, if any."""
        if self.error is not None:
            raise self.error

    def read(self, size=-1):
        if self._gen is None:
            self._gen = self._blocks()
        for block in self._gen:
            if block:
                return block
        return b''

    def blocks(self):
        while True:
            block = self.read()
            if not block:
                return
            yield block

    def _raw_chunks(self):
        source = self.source
        size = self.chunk_size or READ_SIZE
        if isinstance(source, (bytes, bytearray, _text_type)):
            data = source.encode('utf-8', 'replace') if isinstance(source, _text_type) else bytes(source)
            for i in range(0, len(data), size):
                yield data[i:i + size]
            return
        if source is None:
            return
        while True:
            try:
                data = source.read(size)
            except Exception as exc:  # gzip raises EOFError and zlib.error besides OSError
                self.error = exc
                return
            if not data:
                return
            if isinstance(data, _text_type):
                data = data.encode('utf-8', 'replace')
            elif not isinstance(data, bytes):
                data = bytes(data)
            yield data

    def _blocks(self):
        splitter = self.splitter
        for data in self._raw_chunks():
            self._before = splitter.lines  # counts the last block unless its parser did
            self._less = 0
            out = splitter.feed(data)
            if out:
                yield out
        self._before = splitter.lines
        out, tail = splitter.close()
        if out:
            self._less = 1 if tail else 0
            yield out
        if tail:
            self.partial = True
            self._before = splitter.lines
            self._less = 0
            yield tail


def split_line_ends(text):
    """The lines of one item of text (a str/bytes line, maybe with its end, or a blob), split
    on the same line ends as LineReader; a trailing line end ends the last line."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode('utf-8', 'replace')
    if u'\r' in text:
        text = _TEXT_CR_RUN_RE.sub(u'\n', text)
    if u'\n' not in text:
        return [text]
    parts = text.split(u'\n')
    if not parts[-1]:
        parts.pop()
    return parts


class _Partial(_text_type):
    """The last line of an input that does not end with a line end."""


def _block_lines(block):
    """Text lines of a LineReader block (a last line without its end becomes a _Partial)."""
    parts = block.decode('utf-8', 'replace').split(u'\n')
    tail = parts.pop()
    if tail:
        parts.append(_Partial(tail[:MAX_LINE]))
    return parts


def _reader_lines(reader):
    """Text lines of a LineReader."""
    return itertools.chain.from_iterable(_block_lines(block) for block in reader.blocks())


def _item_lines(item):
    if isinstance(item, LogLine):
        return (item,)
    if not isinstance(item, (bytes, bytearray, _text_type)):
        item = to_text(item)
    return split_line_ends(item)


def _iter_raw(stream):
    """Raw lines (text, or LogLine objects passed through) of any kind of input."""
    if stream is None:
        return iter(())
    if isinstance(stream, LineReader):
        return _reader_lines(stream)
    if isinstance(stream, (bytes, bytearray, _text_type)) or hasattr(stream, 'read'):
        return _reader_lines(LineReader(stream))
    return itertools.chain.from_iterable(_item_lines(item) for item in stream)


def _line_groups(stream, start_lineno):
    """LogLines of each raw line (a glued kernel line or a /dev/kmsg record holding escaped
    newlines makes several, with the same lineno). An error of the source itself (a
    KmsgReader failing) propagates; the reader of a file object keeps its read error for
    LineReader.check()."""
    lineno = start_lineno - 1
    prev_kmsg = False
    for raw in _iter_raw(stream):
        lineno += 1
        if isinstance(raw, LogLine):
            prev_kmsg = raw.origin == 'kmsg'
            yield (raw,)
            continue
        if prev_kmsg and is_dict_line(raw):
            continue
        try:
            line = parse_line(raw, lineno)
            line.raw = _text_type(raw)
            prev_kmsg = line.origin == 'kmsg'
            out = split_glued(line)
            if isinstance(raw, _Partial) and out:
                out[-1].partial = True
        except Exception:  # pragma: no cover - defensive: never raise on input
            continue
        yield out


def iter_lines(stream, start_lineno=1):
    """Iterator of a LogLine for every line of ``stream``.

    ``stream``: a LineReader, a binary or text file object, a str/bytes blob, or an iterable
    of str/bytes/LogLine. Lines end at LF, and at every run of CRs with or without an LF after
    it (LineReader). /dev/kmsg dictionary continuation lines are dropped, and the escapes of
    /dev/kmsg records are decoded (parse_line). Never raises on bad input; memory use is
    bounded by MAX_LINE_BYTES and the chunk size.
    """
    return itertools.chain.from_iterable(_line_groups(stream, start_lineno))
