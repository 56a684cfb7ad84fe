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

Serial captures are cleaned: CR, NUL, ANSI escapes and other control bytes are
removed, invalid UTF-8 is replaced, over-long lines are capped, and a kernel
line glued behind user-space output (``login: [  12.3] BUG: ...``) is found.

Stdlib only; runs on Python 2.7 and 3.6+.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import codecs
import itertools
import re

try:  # pragma: no cover - python 2
    _text_type = unicode  # pylint: disable=undefined-variable
except NameError:  # pragma: no cover - python 3
    _text_type = str

#: Maximum number of characters kept from one line (the kernel's own record
#: limit is 1024 bytes; anything longer is junk from a broken capture).
MAX_LINE = 4096

#: Bytes read per chunk from file objects.
CHUNK_SIZE = 65536

ORIGINS = ('kmsg', 'dmesg', 'dmesg-T', 'journal', 'syslog', 'plain')

_MONTHS = r'(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
_DAYS = r'(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'

# /dev/kmsg: "prio,seq,usec,flags[,more fields];message"
_KMSG_RE = re.compile(r'(\d{1,4}),(\d{1,20}),(\d{1,20}),([^,;]*)((?:,[^;]*)?);')
_KMSG_CALLER_RE = re.compile(r'caller=([TC]\d+)')
# "<4>" level prefix (dmesg -r, console captures)
_LEVEL_RE = re.compile(r'<(\d{1,3})>')
# "[   12.345678]" timestamp; the caller id may follow with or without a space
_TS_RE = re.compile(r'\[\s*(\d{1,10})\.(\d{1,9})\]\s?')
_CALLER_RE = re.compile(r'\[\s*([TC]\d{1,10})\]\s?')
# dmesg -T
_DMESG_T_RE = re.compile(r'\[(' + _DAYS + r' ' + _MONTHS +
                         r' [ \d]\d \d\d:\d\d:\d\d \d{4})\]\s?')
# dmesg -x "kern  :warn  : "
_DMESG_X_RE = re.compile(r'(kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|'
                         r'local[0-7])\s*:\s*(emerg|alert|crit|err|warn|notice|info|debug)\s*: ')
# syslog / journal "Nov 27 05:13:37[.123456] host prog[pid]: "
_SYSLOG_RE = re.compile(r'(' + _MONTHS + r' [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?) (\S+) '
                        r'([^\s:\[]+)(?:\[(\d+)\])?: ?')
# ISO time stamps: journal short-iso ("... host kernel: msg") or dmesg --time-format iso
_ISO_RE = re.compile(r'(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) ')
_HOST_PROG_RE = re.compile(r'(\S+) ([^\s:\[]+)(?:\[(\d+)\])?: ?')
# kernel time stamp somewhere inside a line (serial capture, user output in front)
_EMBEDDED_TS_RE = re.compile(r'\[\s*\d{1,10}\.\d{6}\]')
# /dev/kmsg dictionary continuation line
_DICT_RE = re.compile(r' [A-Z_][A-Z0-9_]*=')
# terminal escapes and control characters (TAB is kept)
_ANSI_RE = re.compile(r'\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])')
_CTRL_RE = re.compile(u'[\x00-\x08\x0b-\x1f\x7f\ufeff]')

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


def clean(text):
    """Remove CR/LF at the ends, NUL, ANSI escapes and control characters; cap length."""
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE]
    text = text.rstrip(u'\r\n')
    if u'\x1b' in text:
        text = _ANSI_RE.sub(u'', text)
    if _CTRL_RE.search(text):
        text = _CTRL_RE.sub(u'', text)
    return text


def _ts_value(secs, frac):
    try:
        return int(secs) + int(frac) / (10.0 ** len(frac))
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
        m = _TS_RE.match(text, pos)
        if m:
            line.ts = _ts_value(m.group(1), m.group(2))
            line.origin = 'dmesg'
            line.kernel = True
            caller, pos = _parse_after_ts(line, m.end(), text)
            line.caller = caller
            if caller is None:
                # journalctl -o short-monotonic: "[  12.345678] host kernel: msg"
                hm = _HOST_PROG_RE.match(text, pos)
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


def parse_line(raw, lineno=None):
    """Parse one line (str or bytes) into a LogLine. Never raises."""
    try:
        text = clean(to_text(raw))
        line = LogLine(raw, text, lineno)
        _parse_prefixes(line, text)
        return line
    except Exception:  # pragma: no cover - defensive: never raise on input
        return LogLine(raw, u'', lineno)


def split_glued(line):
    """A kernel line glued behind a line cut mid-way on a serial console:
    "[ 1.000000]  vfs_wri[ 2.000000] BUG: ..." -> [LogLine(" vfs_wri"), LogLine("BUG: ...")]."""
    text = line.text
    if line.ts is None or u'[' not in text:
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


def _split_text(data, carry_state):
    """Split a text chunk into complete lines; keeps the tail in carry_state."""
    carry = carry_state[0]
    if carry:
        data = carry + data
    parts = data.split(u'\n')
    tail = parts.pop()
    if carry_state[1]:
        # discarding the rest of an over-long line
        if parts:
            parts.pop(0)
            carry_state[1] = False
        else:
            tail = u''
    if len(tail) > MAX_LINE:
        parts.append(tail[:MAX_LINE])
        tail = u''
        carry_state[1] = True
    carry_state[0] = tail
    return parts


def _file_chunks(stream):
    """Lists of complete lines, one list per chunk read (the last line may be a _Partial)."""
    carry_state = [u'', False]
    decoder = None
    while True:
        try:
            data = stream.read(CHUNK_SIZE)
        except Exception:
            data = None
        if not data:
            break
        if not isinstance(data, _text_type):
            if decoder is None:
                decoder = codecs.getincrementaldecoder('utf-8')('replace')
            data = decoder.decode(bytes(data))
        yield _split_text(data, carry_state)
    if decoder is not None:
        tail = decoder.decode(b'', True)
        if tail:
            yield _split_text(tail, carry_state)
    if carry_state[0]:
        yield [_Partial(carry_state[0])]


class _Partial(_text_type):
    """The last line of an input that does not end with a newline."""


def _iter_raw_text(text):
    start = 0
    n = len(text)
    while start < n:
        end = text.find(u'\n', start)
        if end < 0:
            yield _Partial(text[start:min(n, start + MAX_LINE)])
            return
        yield text[start:min(end, start + MAX_LINE)]
        start = end + 1


def _item_lines(item):
    if isinstance(item, LogLine):
        return (item,)
    item = to_text(item)
    if u'\n' in item.rstrip(u'\r\n'):
        return _iter_raw_text(item)
    if item.endswith(u'\n'):
        # a line with its end (readline, splitlines(True)): without the LF, a CRLF end is
        # the same lone trailing CR as in a file read in chunks, not one more (empty) line
        item = item[:-1]
    return (item,)


def _iter_raw(stream):
    """Raw lines (text, or LogLine objects passed through) of any kind of input."""
    if stream is None:
        return iter(())
    if isinstance(stream, (bytes, bytearray)):
        return _iter_raw_text(bytes(stream).decode('utf-8', 'replace'))
    if isinstance(stream, _text_type):
        return _iter_raw_text(stream)
    if hasattr(stream, 'read'):
        return itertools.chain.from_iterable(_file_chunks(stream))
    return itertools.chain.from_iterable(_item_lines(item) for item in stream)


def _line_groups(stream, start_lineno):
    """LogLines of each raw line (a lone CR or a glued kernel line makes several)."""
    lineno = start_lineno - 1
    prev_kmsg = False
    try:
        for raw in _iter_raw(stream):
            lineno += 1
            if isinstance(raw, LogLine):
                prev_kmsg = raw.origin == 'kmsg'
                yield (raw,)
                continue
            partial = isinstance(raw, _Partial)
            if u'\r' in raw:
                pieces = [p for p in raw.split(u'\r') if p]
                if not pieces:
                    pieces = [u'']
            else:
                pieces = [raw]
            out = []
            for piece in pieces:
                if prev_kmsg and is_dict_line(piece):
                    continue
                line = parse_line(piece, lineno)
                line.raw = _text_type(piece)
                prev_kmsg = line.origin == 'kmsg'
                out.extend(split_glued(line))
            if partial and out and not raw.endswith(u'\r'):
                out[-1].partial = True
            yield out
    except Exception:  # pragma: no cover - defensive
        return


def iter_lines(stream, start_lineno=1):
    """Iterator of a LogLine for every line of ``stream``.

    ``stream``: a binary or text file object, a str/bytes blob, or an iterable
    of str/bytes/LogLine. Lines are split on LF, CRLF and lone CR (a lone CR
    yields several LogLines with the same ``lineno``). /dev/kmsg dictionary
    continuation lines are dropped. Never raises on bad input; memory use is
    bounded by MAX_LINE and CHUNK_SIZE.
    """
    return itertools.chain.from_iterable(_line_groups(stream, start_lineno))
