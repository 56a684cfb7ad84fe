# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kmemleak report parser.

Reads the records of /sys/kernel/debug/kmemleak, and the same records when the
kernel prints them to its log (kmemleak verbose mode: every line prefixed by
``kmemleak: ``), as printed by mm/kmemleak.c:print_unreferenced() and
hex_dump_object() from linux 3.10 (RHEL 7) to 6.x::

    unreferenced object 0xffff88003a1c2d00 (size 64):
      comm "modprobe", pid 3560, jiffies 4295123456 (age 123.456s)   <- "(age ..)" until 5.x
      hex dump (first 32 bytes):
        6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk
      backtrace:                                                      <- 6.x: "backtrace (crc 1a2b3c):"
        [<ffffffff8160e5ee>] kmemleak_alloc+0x4e/0xb0                   <- or "[<(____ptrval____)>]",
        [<ffffffffa01234ab>] foo_init+0x2b/0x100 [foo]                     "[<0000000012345678>]",
        [<ffffffffffffffff>] 0xffffffffffffffff                           bare "func+0x1a/0x40",
                                                                          "0xffffffffc0a0b0c0",
                                                                          "func file.c:12 [inline]"

Newer kernels mark per-cpu and physical objects: ``unreferenced object (percpu)
0x... (size N):`` or ``... (size N) (percpu):`` (both accepted).

Stdlib only; Python 2.7 and 3.6+; streaming with bounded memory; never raises.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import itertools
import operator
import re
import sys

from ansible_collections.kdebug.kernel.plugins.module_utils.lazy_regex import lazy
from ansible_collections.kdebug.kernel.plugins.module_utils.frames import (
    KMEMLEAK_SKIP, MAX_FRAMES, guilty_frame, parse_frame, skip_regex,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import (
    MAX_LINE, LineReader, clean, iter_lines, to_text,
)

#: hex dump lines kept per record (the kernel prints at most 2: HEX_MAX_LINES)
MAX_HEX = 4
#: distinct findings kept by summarize() unless told otherwise
DEFAULT_MAX_FINDINGS = 1000
#: distinct sizes / comms listed per finding
MAX_LIST = 64

HEADER_RE = lazy(globals(), r'unreferenced object\s+(?:\((percpu|phys)\)\s+)?(0x[0-9a-fA-F]+)\s+\(size\s+(\d+)\)'
                            r'(?:\s*\((percpu|phys)\))?\s*(:?)')
COMM_RE = lazy(globals(), r'^\s*comm\s+"(.*)",\s*pid\s+(-?\d+),\s*jiffies\s+(\d+)(?:\s*\(age\s+(\d+)\.(\d+)s\))?')
HEX_HEADER_RE = lazy(globals(), r'^\s*hex dump \(first (\d+) bytes\):')
HEX_LINE_RE = lazy(globals(), r'^\s*(?:[0-9a-fA-F]{2}(?: |$)){1,32}')
BACKTRACE_RE = lazy(globals(), r'^\s*backtrace(?:\s*\(crc\s+([0-9a-fA-F]+)\))?\s*:')
# something that starts like a frame but did not parse: a line cut mid-way
_FRAMEISH_RE = lazy(globals(), r'^\s*(?:\[<|\[\s*$|[A-Za-z_][\w.]*\+0x[0-9a-f]*$|0x[0-9a-fA-F]*$)')
_KMEMLEAK_PREFIX = 'kmemleak: '

KMEMLEAK_SKIP_RE = skip_regex(KMEMLEAK_SKIP)

#: what a line of a backtrace is (backtrace_line)
FRAME, DAMAGED, END = 'frame', 'damaged', 'end'


def backtrace_line(text):
    """(kind, Frame or None) of a line read inside a backtrace (message text, cleaned).

    FRAME: a frame. DAMAGED: an indented line that starts like a frame but does not parse, or
    holds bytes that were not UTF-8 (a garbled or cut frame): the record is corrupted, and the
    frames after it still belong to it. END: anything else ends the backtrace.
    """
    f = parse_frame(text)
    if f is not None:
        return FRAME, f
    if text[:1].isspace() and (u'\ufffd' in text or _FRAMEISH_RE.match(text)):
        return DAMAGED, None
    return END, None


def new_record(address=None, size=0, kind=''):
    return dict(address=address, size=size, kind=kind, comm=None, pid=None, jiffies=None,
                age=None, hex=[], crc=None, backtrace=[], function=None, corrupted=False, line=None)


class RecordParser(object):
    """Incremental kmemleak record parser: feed(text) returns a finished record or None."""

    def __init__(self, max_frames=MAX_FRAMES):
        self.max_frames = max_frames
        self.rec = None
        self.state = None
        self.frames = []

    @property
    def active(self):
        return self.rec is not None

    def _finish(self):
        rec = self.rec
        self.rec = None
        self.state = None
        frames = self.frames
        self.frames = []
        if rec is None:
            return None
        rec['backtrace'] = [f.normalized() for f in frames]
        rec['function'] = guilty_frame(frames, KMEMLEAK_SKIP_RE)
        if rec['comm'] is None or not frames:
            rec['corrupted'] = True
        rec['_sites'] = [f.site() for f in frames if not (f.raw and f.address == '0xffffffffffffffff')]
        return rec

    def feed(self, text, lineno=None):
        """Feed one line (message text, prefixes removed). Returns a finished record or None."""
        try:
            return self._feed(text, lineno)
        except Exception:  # pragma: no cover - defensive
            self.rec = None
            self.state = None
            self.frames = []
            return None

    def _feed(self, text, lineno):
        if text.startswith(_KMEMLEAK_PREFIX):
            text = text[len(_KMEMLEAK_PREFIX):]
        if 'unreferenced object' in text:
            m = HEADER_RE.search(text)
            if m:
                done = self._finish()
                rec = new_record(m.group(2), int(m.group(3)), m.group(1) or m.group(4) or '')
                rec['line'] = lineno
                if not m.group(5):
                    rec['corrupted'] = True  # header cut before the ':'
                self.rec = rec
                self.state = 'header'
                return done
        rec = self.rec
        if rec is None:
            return None
        state = self.state
        if state == 'bt':
            kind, f = backtrace_line(text)
            if kind == FRAME:
                if len(self.frames) < self.max_frames:
                    self.frames.append(f)
                return None
            if kind == DAMAGED:
                rec['corrupted'] = True
                return None
            if _FRAMEISH_RE.match(text):
                rec['corrupted'] = True
            return self._finish()
        if state == 'header':
            m = COMM_RE.match(text)
            if m:
                rec['comm'] = m.group(1)
                rec['pid'] = int(m.group(2))
                rec['jiffies'] = int(m.group(3))
                if m.group(4) is not None:
                    rec['age'] = int(m.group(4)) + int(m.group(5)) / (10.0 ** len(m.group(5)))
                self.state = 'comm'
                return None
        if HEX_HEADER_RE.match(text):
            self.state = 'hex'
            return None
        if state == 'hex' and HEX_LINE_RE.match(text):
            if len(rec['hex']) < MAX_HEX:
                rec['hex'].append(text.strip())
            return None
        m = BACKTRACE_RE.match(text)
        if m:
            rec['crc'] = m.group(1)
            self.state = 'bt'
            return None
        if not text.strip():
            return None
        # anything else ends the record (another message in the log)
        rec['corrupted'] = True
        return self._finish()

    def close(self):
        """End of input: the record being read, if any (corrupted when cut before its backtrace)."""
        try:
            if self.rec is not None and self.state != 'bt':
                self.rec['corrupted'] = True
            return self._finish()
        except Exception:  # pragma: no cover - defensive
            return None


def _public(rec):
    rec = dict(rec)
    rec.pop('_sites', None)
    return rec


def _iter_records(lines):
    parser = RecordParser()
    try:
        for line in iter_lines(lines):
            rec = parser.feed(line.text, line.lineno)
            if rec is not None:
                yield rec
    except Exception:  # pragma: no cover - defensive
        pass
    rec = parser.close()
    if rec is not None:
        yield rec


def parse_records(lines):
    """Yield a record dict for every kmemleak record in ``lines`` (iterable of str/bytes/LogLine,
    or a file object / text blob, which is read with kmsg.iter_lines)."""
    for rec in _iter_records(lines):
        yield _public(rec)


def _sha1(data):
    """hashlib.sha1(data); hashlib is imported at the first call, which puts hashlib.sha1 in
    this global (importing hashlib loads OpenSSL: about 3 ms, which a parse that meets no
    kmemleak record does not need)."""
    global _sha1
    import hashlib
    _sha1 = hashlib.sha1
    return _sha1(data)


def signature_of(sites):
    """Stable call-site signature of a backtrace (list of Frame.site() strings)."""
    data = u'\n'.join(sites).encode('utf-8', 'replace')
    return _sha1(data).hexdigest()[:16]


def _sites_of(rec):
    sites = rec.get('_sites')
    if sites is None:
        sites = []
        for text in rec.get('backtrace') or []:
            f = parse_frame(text)
            if f is None:
                continue
            if f.raw and f.address == '0xffffffffffffffff':
                continue
            sites.append(f.site())
    return sites


def compile_ignore(ignore):
    out = []
    for pat in ignore or ():
        if hasattr(pat, 'search'):
            out.append(pat)
        else:
            try:
                out.append(re.compile(to_text(pat)))
            except re.error:
                out.append(re.compile(re.escape(to_text(pat))))
    return out


class Summary(object):
    """Aggregates records into findings deduplicated by call-site signature."""

    def __init__(self, ignore=None, max_findings=None):
        self.ignore = compile_ignore(ignore)
        self.max_findings = DEFAULT_MAX_FINDINGS if max_findings is None else max(0, int(max_findings))
        self.records = 0
        self.ignored = 0
        self.corrupted = 0
        self.truncated = False
        self.findings = {}
        self.order = []

    def _ignored(self, rec):
        if not self.ignore:
            return False
        texts = list(rec.get('backtrace') or [])
        for key in ('comm', 'function'):
            if rec.get(key):
                texts.append(rec[key])
        for regex in self.ignore:
            for text in texts:
                if regex.search(text):
                    return True
        return False

    def add(self, rec, sites=None):
        try:
            self._add(rec, sites)
        except Exception:  # pragma: no cover - defensive
            pass

    def _add(self, rec, sites):
        self.records += 1
        if rec.get('corrupted'):
            self.corrupted += 1
        if self._ignored(rec):
            self.ignored += 1
            return
        if sites is None:
            sites = _sites_of(rec)
        sig = signature_of(sites)
        self._count(sig, rec.get('size') or 0, rec.get('comm'), lambda: rec)

    def ignored_texts(self, texts):
        for regex in self.ignore:
            for text in texts:
                if text and regex.search(text):
                    return True
        return False

    def add_fast(self, sig, size, comm, corrupted, ignored, make_record, *args):
        """Count one record of a known call site; make_record(*args) builds the example if
        needed."""
        self.records += 1
        if corrupted:
            self.corrupted += 1
        if ignored or (self.ignore and self.ignored_texts((comm,))):
            self.ignored += 1
            return
        self._count(sig, size, comm, make_record, *args)

    def _count(self, sig, size, comm, make_record, *args):
        """Count one record under its call-site signature; make_record(*args) gives the
        example."""
        f = self.finding(sig, make_record, *args)
        if f is not None:
            self.count_more(f, size, comm)

    def finding(self, sig, make_record, *args):
        """The finding of a call-site signature, made from the example make_record(*args) if
        it is new; None when max_findings are kept already (truncated)."""
        f = self.findings.get(sig)
        if f is None:
            if len(self.findings) >= self.max_findings:
                self.truncated = True
                return None
            rec = make_record(*args)
            func = rec.get('function')
            f = dict(title='memory leak in %s' % func if func else 'memory leak',
                     function=func, count=0, bytes=0, sizes=set(), comm=set(),
                     backtrace=list(rec.get('backtrace') or []), signature=sig,
                     example=_public(rec))
            self.findings[sig] = f
            self.order.append(sig)
        return f

    @staticmethod
    def count_more(f, size, comm):
        """One more record of finding f."""
        f['count'] += 1
        f['bytes'] += size
        sizes = f['sizes']
        if size not in sizes and len(sizes) < MAX_LIST:
            sizes.add(size)
        comms = f['comm']
        if comm is not None and comm not in comms and len(comms) < MAX_LIST:
            comms.add(comm)

    def result(self):
        findings = []
        for sig in self.order:
            f = dict(self.findings[sig])
            f['sizes'] = sorted(f['sizes'])
            f['comm'] = sorted(f['comm'])
            findings.append(f)
        findings.sort(key=lambda f: (-f['count'], -f['bytes'], f['title']))
        return dict(records=self.records, findings=findings, truncated=self.truncated,
                    ignored=self.ignored, corrupted=self.corrupted)


def summarize(records, ignore=None, max_findings=None):
    """Deduplicate records into findings.

    ``records``: iterable of record dicts (parse_records), or lines (str/bytes/LogLine), or
    a file object / text blob with a kmemleak report (read in a fast streaming path).
    ``ignore``: regexes; a record is dropped when one matches a frame, its comm or function.
    Returns dict(records, findings, truncated, ignored, corrupted).
    """
    if isinstance(records, (bytes, bytearray)) or hasattr(records, 'read') or isinstance(records, type(u'')):
        return summarize_stream(records, ignore=ignore, max_findings=max_findings)
    summary = Summary(ignore, max_findings)
    it = iter(records)
    first = next(it, None)
    if first is None:
        return summary.result()
    if not isinstance(first, dict):
        for rec in _iter_records(itertools.chain((first,), it)):
            summary.add(rec, rec.get('_sites'))
        return summary.result()
    summary.add(first, first.get('_sites'))
    for rec in it:
        if isinstance(rec, dict):
            summary.add(rec, rec.get('_sites'))
    return summary.result()


# ---------------------------------------------------------------------------------------
# fast path for the plain /sys/kernel/debug/kmemleak format
_SEP = b'unreferenced object'
_NLSEP = b'\n' + _SEP
# blanks are [ \t], not \s: a bytes \s matches \x0b and \x0c, which clean() removes for the
# line parser
# One regex for all of a record but its frames (C speed: one match per record): the header line
# after "unreferenced object", the comm line, the hex dump (optional: lines that start with a
# byte in hex, as HEX_LINE_RE) and the backtrace line.
_FAST_RECORD_RE = lazy(
    globals(),
    br'[ \t]+(?:\((percpu|phys)\)[ \t]+)?(0x[0-9a-fA-F]+)[ \t]+\(size[ \t]+(\d+)\)'
    br'(?:[ \t]*\((percpu|phys)\))?[ \t]*:[ \t]*\r?\n'
    br'  comm "(.*)", pid (-?\d+), jiffies (\d+)(?: \(age (\d+)\.(\d+)s\))?\r?\n'
    br'((?:  hex dump \(first \d+ bytes\):\r?\n(?:[ \t]*[0-9a-fA-F]{2}(?: |(?=\r?\n))[^\n]*\n)*)?)'
    br'  backtrace(?: \(crc ([0-9a-fA-F]+)\))?:\r?(?:\n|\Z)')
# The same regex for the exact layout mm/kmemleak.c:print_unreferenced() prints (one blank
# where it prints one: "unreferenced object 0x%08lx (size %zu):\n", "  comm \"%s\", pid %d,
# jiffies %lu" with " (age %d.%03ds)" until 5.x, hex_dump_object()'s "  hex dump (first %zu
# bytes):\n" and "    %s\n" lines, "  backtrace:\n" or 6.x "  backtrace (crc %x):\n"), with the
# same groups: every text it matches _FAST_RECORD_RE matches with the same groups (comm holds
# no '"', so the greedy "(.*)" stops at the same place), and about 3x faster; tried first.
_EXACT_RECORD_RE = re.compile(
    br' (?:\((percpu|phys)\) )?(0x[0-9a-f]+) \(size (\d+)\)(?: \((percpu|phys)\))?:\n'
    br'  comm "([^"\n]*)", pid (-?\d+), jiffies (\d+)(?: \(age (\d+)\.(\d+)s\))?\n'
    br'((?:  hex dump \(first \d+ bytes\):\n(?:    [0-9a-f]{2} [^\n]*\n)*)?)'
    br'  backtrace(?: \(crc ([0-9a-f]+)\))?:(?:\n|\Z)')
# _EXACT_RECORD_RE with only the groups the loop of _fast_block reads (size, comm): the same
# texts, the same match end (a group that does not capture matches the same), and less work
# per match (a record of a known leak needs no other field).
_HOT_RECORD_RE = re.compile(re.sub(br'(?<!\\)\((?!\?)', b'(?:', _EXACT_RECORD_RE.pattern)
                            .replace(br'\(size (?:\d+)\)', br'\(size (\d+)\)')
                            .replace(br'comm "(?:[^"\n]*)"', br'comm "([^"\n]*)"'))
if _HOT_RECORD_RE.groups != 2:  # pragma: no cover - guard of the rewrite above
    raise ValueError('_HOT_RECORD_RE: expected the groups size and comm')
# The fast regexes match fixed printable text around the fields, so a control byte can only be
# inside comm, the text column of a hex dump line or a frame line: the fast path cleans those as
# the line parser does (kmsg.clean). An ESC is the exception: clean() removes the terminal
# escape it starts, which may reach past the field, so a record holding one goes through the
# line parser.
_ESC = b'\x1b'
_CACHE_MAX = 1024
_MAX_CARRY = 1 << 22


class _FastParser(object):
    """Parses one record of the plain format from bytes; each distinct backtrace once."""

    def __init__(self, summary):
        self.summary = summary
        self.cache = {}
        self.comms = {}
        self.batch = _Batch(self) if _BATCH else None

    def _frames_of(self, block):
        hit = self.cache.get(block)
        if hit is not None:
            return hit
        frames = []
        corrupted = False
        ended = False
        for raw in block.split(b'\n'):
            text = clean(raw.decode('utf-8', 'replace'))  # as the line parser sees it
            if ended:
                if text.strip():
                    return False  # more text after the record: not the plain format
                continue
            kind, f = backtrace_line(text)
            if kind == FRAME:
                if len(frames) < MAX_FRAMES:
                    frames.append(f)
                continue
            if kind == DAMAGED:
                corrupted = True
                continue
            if _FRAMEISH_RE.match(text):
                corrupted = True
            ended = True
        backtrace = [f.normalized() for f in frames]
        function = guilty_frame(frames, KMEMLEAK_SKIP_RE)
        sites = [f.site() for f in frames if not (f.raw and f.address == '0xffffffffffffffff')]
        summary = self.summary
        ignored = bool(summary.ignore) and summary.ignored_texts(backtrace + [function])
        # (the last item: the line ends of the block, which the loop of _fast_block counts)
        hit = (backtrace, function, corrupted or not frames, signature_of(sites), ignored, block.count(b'\n'))
        if len(self.cache) >= _CACHE_MAX:
            # drop the oldest quarter (dicts keep insertion order on 3.7+; any order is fine on 2.7)
            for old in list(self.cache)[:_CACHE_MAX // 4]:
                del self.cache[old]
        self.cache[block] = hit
        return hit

    def _comm(self, raw):
        """comm as the line parser gives it (decoded, cleaned), each distinct one once."""
        comm = self.comms.get(raw)
        if comm is None:
            if len(self.comms) >= _CACHE_MAX:
                self.comms.clear()
            comm = self.comms[raw] = clean(raw.decode('utf-8', 'replace'))
        return comm

    def record(self, part):
        """One record; ``part``: the bytes after "unreferenced object". True when it was
        counted (one more record of a known finding: the common case, kept short); False when
        it is not in the plain format; else (match, frames hit, comm) for add()."""
        if _ESC in part:
            return False
        if len(part) > MAX_LINE and max(len(p) for p in part.split(b'\n')) >= MAX_LINE:
            return False  # the line parser cuts such a line
        m = _EXACT_RECORD_RE.match(part) or _FAST_RECORD_RE.match(part)
        if m is None:
            return False
        frames = part[m.end():]
        hit = self.cache.get(frames)
        if hit is None:
            hit = self._frames_of(frames)
            if hit is False:
                return False
        comm = self.comms.get(m.group(5))
        if comm is None:
            comm = self._comm(m.group(5))
        summary = self.summary
        known = None if summary.ignore or hit[4] else summary.findings.get(hit[3])
        if known is None:
            return m, hit, comm
        summary.records += 1
        if hit[2]:
            summary.corrupted += 1
        summary.count_more(known, int(m.group(3)), comm)
        return True

    def add(self, got, lineno):
        """Count a record record() gave back (a new finding, or ignore patterns to apply)."""
        m, hit, comm = got
        self.summary.add_fast(hit[3], int(m.group(3)), comm, hit[2], hit[4],
                              self._make_record, m, lineno, hit, comm)

    @staticmethod
    def _make_record(m, lineno, hit, comm):
        """The record dict of a record the fast path read (the example of a new finding)."""
        backtrace, function, corrupted = hit[0], hit[1], hit[2]
        kind = m.group(1) or m.group(4) or b''
        rec = dict(address=m.group(2).decode('ascii'), size=int(m.group(3)), kind=kind.decode('ascii'),
                   comm=comm, pid=int(m.group(6)), jiffies=int(m.group(7)), age=None,
                   hex=[clean(h.decode('utf-8', 'replace')).strip()
                        for h in m.group(10).split(b'\n')[1:-1]][:MAX_HEX],
                   crc=m.group(11).decode('ascii') if m.group(11) else None,
                   backtrace=list(backtrace), function=function, corrupted=corrupted, line=lineno)
        if m.group(8) is not None:
            rec['age'] = int(m.group(8)) + int(m.group(9)) / (10.0 ** len(m.group(9)))
        return rec


# The batch path (Python 3.7+: it needs dicts that keep their insertion order, see _Batch): the
# regex of the loop plus the rest of the record, the backtrace's lines ("(.*)" with re.S takes
# the rest of the text in one step; the pattern has no other '.').
# Its groups: size, comm, the hex dump (its line ends are counted) and the backtrace's lines.
_TAIL_RE = re.compile(_HOT_RECORD_RE.pattern.replace(b'(?:(?:  hex dump', b'((?:  hex dump') + br'(.*)', re.S)
if _TAIL_RE.groups != 4:  # pragma: no cover - guard of the rewrite above
    raise ValueError('_TAIL_RE: expected the groups size, comm, hex dump and backtrace')
_TAIL_MATCH = _TAIL_RE.match
_LINE_ENDS = itertools.repeat(b'\n')
_GROUPS = operator.methodcaller('groups')
_BATCH = sys.version_info >= (3, 7)
#: (backtrace, size) or (backtrace, comm) pairs the batch holds before it flushes them, and
#: backtraces it knows (as many as _FastParser caches) before it forgets them
_BATCH_MAX = 4096
_KNOWN_MAX = _CACHE_MAX


def _add_to_list(f, key, value):
    """One more value in finding f's list of sizes or comms (key), if not full (f None: a
    finding not kept)."""
    if f is not None:
        values = f[key]
        if value not in values and len(values) < MAX_LIST:
            values.add(value)


class _Batch(object):
    """Counts whole blocks of records at C speed, with no Python statement per record: the
    records of a block are matched by a map of _TAIL_MATCH over the texts bytes.split() cut,
    (backtrace, size) pairs are counted in a Counter and (backtrace, comm) pairs looked up in a
    set. The counts reach the findings in flush(), which runs before anything else counts a
    record (the loop of _fast_block, the line parser), at the end, and when _BATCH_MAX pairs
    are held. A pair new to the Counter (its last keys: it keeps the order they came in) or
    the set gives its size or comm to the finding at once, in the order of the records, since
    a finding lists the first MAX_LIST of each, as the loop of _fast_block gives them."""

    def __init__(self, fast):
        self.fast = fast
        self.summary = fast.summary
        self.known = {}  # backtrace text -> (its finding, or None: not kept; corrupted)
        self.same = {}  # backtrace text -> the same text, the object known holds (less memory)
        self.lines_of = {}  # backtrace text -> its line ends
        self.sizes = collections.Counter()  # (backtrace, size text) -> records not flushed
        self.comms = set()  # (backtrace, comm text) pairs given to their findings

    def block(self, parts, lineno):
        """Count the records of ``parts`` (the texts after each "unreferenced object" of a
        block; lineno: the line of the first) and return the block's line ends. None, with
        nothing counted, when one is not in the exact plain format or its backtrace is not the
        plain format's: the loop of _fast_block reads them."""
        tail = parts[-1]
        newlines = len(parts) - 1  # each separator holds one
        if tail[-1:] == b'\n':  # as the separator holds it for the others
            parts = parts[:-1]
            parts.append(tail[:-1])
            newlines += 1
        ms = list(map(_TAIL_MATCH, parts))
        if None in ms or max(map(len, parts)) > MAX_LINE:
            return None
        sizes, comms, hexes, backtraces = zip(*map(_GROUPS, ms))
        try:
            backtraces = list(map(self.same.__getitem__, backtraces))
        except KeyError:  # a backtrace not seen before
            known = self.known
            new = set(backtraces).difference(known)
            if len(known) + len(new) > _KNOWN_MAX:
                self.flush()
                self.comms.clear()  # (it holds the backtraces too)
                known.clear()
                self.same.clear()
                self.lines_of.clear()
                new = set(backtraces)
            if not self._learn(new, parts, backtraces, comms, lineno):
                return None
            backtraces = list(map(self.same.__getitem__, backtraces))
        self.summary.records += len(parts)
        self._count_sizes(zip(backtraces, sizes))
        self._add_comms(list(zip(backtraces, comms)))
        if len(self.sizes) > _BATCH_MAX:
            self.flush()
        if len(self.comms) > _BATCH_MAX:
            self.comms.clear()  # giving a pair again changes nothing: it is only slower
        if b'' in backtraces:  # "backtrace:" may end its record without a line end
            return newlines + sum(map(bytes.count, parts, _LINE_ENDS))
        # a record: its header line, comm line and backtrace line, its hex dump, its backtrace
        return (newlines + 3 * len(parts) + b''.join(hexes).count(b'\n') +
                sum(map(self.lines_of.__getitem__, backtraces)))

    def _count_sizes(self, pairs):
        """Count (backtrace, size text) pairs; those new to the Counter (its last keys) give
        their size to their finding, in the records' order."""
        counter = self.sizes
        before = len(counter)
        counter.update(pairs)
        if len(counter) > before:
            known = self.known
            for backtrace, text in list(counter)[before:]:
                _add_to_list(known[backtrace][0], 'sizes', int(text))

    def _add_comms(self, pairs):
        """Give the (backtrace, comm text) pairs not seen before to their findings, in the
        records' order (one set lookup per record, no count)."""
        seen = self.comms
        if seen.issuperset(pairs):
            return
        known = self.known
        comm_of = self.fast._comm
        for pair in pairs:
            if pair not in seen:
                seen.add(pair)
                _add_to_list(known[pair[0]][0], 'comm', comm_of(pair[1]))

    def _learn(self, new, parts, backtraces, comms, lineno):
        """Parse the backtraces of ``new`` (each once) and find or make their findings, each
        from the first record that has it, in the order of the block; False if one is not in
        the plain format (nothing made then)."""
        fast = self.fast
        todo = []
        for i, backtrace in enumerate(backtraces):
            if backtrace in new:
                new.discard(backtrace)
                hit = fast.cache.get(backtrace)
                if hit is None:
                    hit = fast._frames_of(backtrace)
                if hit is False or hit[4]:
                    return False
                todo.append((i, backtrace, hit))
                if not new:
                    break
        summary = self.summary
        counted = 0  # lineno is the line of parts[counted]
        for i, backtrace, hit in todo:
            f = summary.findings.get(hit[3])
            if f is None:
                while counted < i:
                    lineno += parts[counted].count(b'\n') + 1
                    counted += 1
                f = summary.finding(hit[3], fast._make_record, _EXACT_RECORD_RE.match(parts[i]),
                                    lineno, hit, fast._comm(comms[i]))
            self.known[backtrace] = (f, hit[2])
            self.same[backtrace] = backtrace
            self.lines_of[backtrace] = hit[5]  # (the line ends of the backtrace text)
        return True

    def flush(self):
        """Give the counts held to the findings. (A pair counted again after it gives its size
        or comm to the finding again, which changes nothing.)"""
        summary = self.summary
        known = self.known
        for (backtrace, size), n in self.sizes.items():
            f, corrupted = known[backtrace]
            if corrupted:
                summary.corrupted += n
            if f is not None:
                f['count'] += n
                f['bytes'] += int(size) * n
        self.sizes.clear()


def _lines_into(summary, parser, data, lineno):
    for line in iter_lines([data], start_lineno=lineno):
        rec = parser.feed(line.text, line.lineno)
        if rec is not None:
            summary.add(rec, rec.get('_sites'))


def _close_into(summary, parser):
    rec = parser.close()
    if rec is not None:
        summary.add(rec, rec.get('_sites'))


def _reader(stream):
    """The reader of blocks of whole lines with LF ends (kmsg.LineReader: CR ends, capped
    lines, the line ends of each block counted)."""
    return stream if isinstance(stream, LineReader) else LineReader(stream)


def _fast_block(summary, fast, block, lineno, batched=False):
    """Records of ``block`` (records start at line starts); lineno: the line of its start;
    batched: the batch path was tried on these records already (and gave them back).

    The loop counts a record of a finding already known itself (most records: a leak repeats);
    anything else goes through _FastParser.record()/add(), or the line parser for a record not
    in the plain format. Line numbers are counted only where one is needed. Returns the line
    ends of block (a record of a known backtrace: those of its header and the cached count of
    its backtrace, fewer bytes counted than the whole record)."""
    parts = block.split(_NLSEP)
    head = parts[0]
    batch = fast.batch
    if head.startswith(_SEP):
        parts[0] = head[len(_SEP):]
        first = 0
        if batch is not None and not batched and not summary.ignore and _ESC not in block:
            newlines = batch.block(parts, lineno)
            if newlines is not None:
                return newlines
    else:
        first = 1
    if batch is not None:
        batch.flush()  # the records the batch holds come before these
    last = len(parts) - 1
    newlines = last  # each separator holds one
    counted = 0  # lineno is the line of parts[counted]
    match = _HOT_RECORD_RE.match  # a record it does not match goes through record()
    cache = fast.cache
    comms = fast.comms
    known = None if summary.ignore else summary.findings  # ignore patterns: record() applies them
    records = corrupted = 0
    if first:
        newlines += head.count(b'\n')
        if head.strip():  # text before the first record
            parser = RecordParser()
            _lines_into(summary, parser, head, lineno)
            _close_into(summary, parser)
    if known is not None and _ESC in block:
        known = None  # a record with an ESC goes through record() (one test per block, not per record)
    for idx in range(first, last + 1):
        part = parts[idx]
        if known is not None and len(part) <= MAX_LINE:
            m = match(part)
            if m is not None:
                end = m.end()
                hit = cache.get(part[end:])
                size, comm = m.groups()
                comm = comms.get(comm)
                if hit is not None and comm is not None and not hit[4]:
                    f = known.get(hit[3])
                    if f is not None:
                        newlines += part.count(b'\n', 0, end) + hit[5]
                        records += 1
                        if hit[2]:
                            corrupted += 1
                        # Summary.count_more, inline (a call per record costs more than its body)
                        size = int(size)
                        f['count'] += 1
                        f['bytes'] += size
                        sizes = f['sizes']
                        if size not in sizes and len(sizes) < MAX_LIST:
                            sizes.add(size)
                        f_comms = f['comm']
                        if comm not in f_comms and len(f_comms) < MAX_LIST:
                            f_comms.add(comm)
                        continue
        newlines += part.count(b'\n')
        got = fast.record(part)
        if got is True:
            continue
        while counted < idx:
            lineno += parts[counted].count(b'\n') + 1
            counted += 1
        if got is False:
            parser = RecordParser()
            _lines_into(summary, parser, _SEP + part, lineno)
            _close_into(summary, parser)
        else:
            fast.add(got, lineno)
    summary.records += records
    summary.corrupted += corrupted
    return newlines


def _chunk_records(summary, fast, carry, chunk, lineno):
    """The fast mode's _fast_block of carry + chunk up to its last record, without copying
    chunk (two copies less of all the input): (line ends of that block, the new carry), or
    None for the general path. carry: the start of a record (line lineno), whole lines;
    chunk: whole lines."""
    if fast.batch is None or summary.ignore or _ESC in chunk or _ESC in carry:
        return None
    parts = chunk.split(_NLSEP)
    if len(parts) < 2:
        return None
    if chunk.startswith(_SEP):  # carry is a whole record (its line end in it), then chunk's
        records = [carry[len(_SEP):-1], parts[0][len(_SEP):]]
    else:  # carry goes on in chunk
        records = [(carry + parts[0])[len(_SEP):]]
    records.extend(parts[1:-1])
    records[-1] += b'\n'  # its line end, held by the separator before the new carry
    newlines = fast.batch.block(records, lineno)
    if newlines is None:
        block = _SEP + _NLSEP.join(records)
        newlines = _fast_block(summary, fast, block, lineno, batched=True)
    return newlines, _SEP + parts[-1]


def summarize_stream(stream, ignore=None, max_findings=None):
    """summarize() of a kmemleak report read from a file object, a kmsg.LineReader (whose
    counts and read error the caller then has) or a text/bytes blob.

    The plain /sys/kernel/debug/kmemleak format is cut into records at C speed and each
    distinct backtrace is parsed once; anything else (log prefixes, "kmemleak: " lines)
    goes through the line parser. Memory is bounded by the chunk size and the number of
    findings kept; the result is the same as summarize(parse_records(iter_lines(stream))).
    """
    summary = Summary(ignore, max_findings)
    fast = _FastParser(summary)
    parser = RecordParser()
    carry = b''
    carry_lines = 0  # line ends in carry, in the fast mode
    lineno = 1
    newlines = 0  # line ends read so far
    mode = None
    try:
        reader = _reader(stream)
        for chunk in reader.blocks():
            # in the fast mode _fast_block counts the line ends of a block of whole lines
            # (for the reader too: LineReader.counted), else the reader counts them
            ours = mode == 'fast' and chunk.endswith(b'\n')
            got = None  # (line ends of the records up to the last one begun, the new carry)
            if ours and carry.startswith(_SEP):
                got = _chunk_records(summary, fast, carry, chunk, lineno)
            if got is None:
                if not ours:
                    newlines += reader.block_lines
                buf = carry + chunk if carry else chunk
                carry = b''
                if mode is None:
                    head = buf.lstrip()
                    if not head:
                        lineno += buf.count(b'\n')
                        continue
                    if len(head) < len(_SEP) and _SEP.startswith(head):
                        carry = buf
                        continue
                    mode = 'fast' if head.startswith(_SEP) else 'slow'
                if mode == 'fast':
                    last = buf.rfind(_NLSEP)
                    if last >= 0:
                        got = _fast_block(summary, fast, buf[:last + 1], lineno), buf[last + 1:]
            if got is not None:
                done, carry = got
                left = carry.count(b'\n')
                if ours:
                    read = done + left - carry_lines  # the line ends of chunk
                    reader.counted(read)
                    newlines += read
                carry_lines = left
                lineno = newlines - left + 1
                continue
            if mode == 'fast':
                if ours:
                    newlines += reader.block_lines
                if len(buf) > _MAX_CARRY:
                    mode = 'slow'  # not a kmemleak report after all
                    if fast.batch is not None:
                        fast.batch.flush()
                else:
                    carry = buf
                    carry_lines = buf.count(b'\n')
                    continue
            if mode == 'slow':
                cut = buf.rfind(b'\n')
                if cut < 0:
                    carry = buf if len(buf) < _MAX_CARRY else b''
                    continue
                _lines_into(summary, parser, buf[:cut + 1], lineno)
                lineno += buf.count(b'\n', 0, cut + 1)
                carry = buf[cut + 1:]
        if mode == 'fast':
            if carry:
                _fast_block(summary, fast, carry, lineno)
            if fast.batch is not None:
                fast.batch.flush()
        else:
            if carry:
                _lines_into(summary, parser, carry, lineno)
            _close_into(summary, parser)
    except Exception:  # pragma: no cover - defensive
        pass
    return summary.result()
