# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests of the parser library (hypothesis):

- random and mutated input never raises and always gives well-formed results;
- feeding the same reports twice doubles the counts;
- cutting a report anywhere gives no finding, a corrupted finding, or the finding the whole
  report gives (never a wrong title presented as sound);
- memory stays bounded: the peak does not grow with the length of the input.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io
import tracemalloc

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import (
    FINDING_TYPES, FindingCollector, collect,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import (
    parse_records, summarize, summarize_stream,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import iter_lines
from ansible_collections.kdebug.kernel.plugins.module_utils.locks import parse_blocked_tasks, parse_held_locks
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALL = pf.names()
ALL_LINES = sorted(set(line for name in ALL for line in pf.load(name).splitlines()))
FRAGMENTS = [b'[  12.345678] ', b'[  1.0][  T12] ', b'<4>', b'6,1,2,-;', b'kmemleak: ', b'Call Trace:', b' <IRQ>',
             b' </TASK>', b' ? ', b'+0x1/0x2', b'---[ end trace 0 ]---', b'=' * 66, b'#0: ', b'\r', b'\x1b[0m',
             b'\xff', b'\x00', b'INFO: task ', b':1 blocked for more than 1 seconds.', b'BUG: ', b'WARNING: ',
             b'unreferenced object 0x1 (size 8):', b'  backtrace:', b'Kernel panic - not syncing: ']


def _well_formed(result):
    assert set(result) == {'findings', 'counts', 'notes', 'truncated', 'lines'}
    total = {}
    for f in result['findings']:
        assert f['type'] in FINDING_TYPES
        assert isinstance(f['title'], str) and f['title']
        assert f['count'] >= 1
        assert isinstance(f['corrupted'], bool)
        assert isinstance(f['locks'], list) and isinstance(f['stack'], list)
        total[f['type']] = total.get(f['type'], 0) + f['count']
    if not result['truncated']:
        assert total == result['counts']


def _all_parsers(data):
    _well_formed(collect(io.BytesIO(data)))
    _well_formed(collect(data.decode('utf-8', 'replace').splitlines()))
    summary = summarize_stream(io.BytesIO(data))
    assert summary['records'] >= len(summary['findings'])
    assert summary == summarize(parse_records(iter_lines(io.BytesIO(data))))
    lines = list(iter_lines(io.BytesIO(data)))
    parse_held_locks(lines)
    parse_blocked_tasks(lines)


@SETTINGS
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(data):
    _all_parsers(data)


@SETTINGS
@given(st.text(max_size=2000))
def test_random_text_never_raises(text):
    _well_formed(collect(text))
    _well_formed(collect([text]))


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(ALL_LINES), st.sampled_from(FRAGMENTS),
                          st.lists(st.sampled_from(FRAGMENTS), max_size=5).map(b''.join)), max_size=150))
def test_random_kernel_like_lines_never_raise(lines):
    _all_parsers(b'\n'.join(lines))


@st.composite
def mutated_fixture(draw):
    lines = pf.load(draw(st.sampled_from(ALL))).splitlines()
    for _step in range(draw(st.integers(0, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(['delete', 'duplicate', 'truncate', 'junk', 'swap', 'strip_prefix']))
        if op == 'delete':
            del lines[i]
        elif op == 'duplicate':
            lines.insert(i, lines[i])
        elif op == 'truncate':
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
        elif op == 'junk':
            lines.insert(i, draw(st.binary(max_size=80)))
        elif op == 'swap' and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == 'strip_prefix':
            lines[i] = lines[i].split(b'] ', 1)[-1]
    return b'\n'.join(lines)


@SETTINGS
@given(mutated_fixture())
def test_mutated_fixtures_never_raise(data):
    _all_parsers(data)


@pytest.mark.parametrize('name', ALL)
def test_feeding_twice_doubles_counts(name):
    data = pf.load(name)
    once = collect(io.BytesIO(data))
    twice = collect(io.BytesIO(data + data))
    assert twice['counts'] == dict((k, 2 * v) for k, v in once['counts'].items())
    assert [(f['type'], f['title'], f['task'], 2 * f['count']) for f in once['findings']] == [
        (f['type'], f['title'], f['task'], f['count']) for f in twice['findings']]
    assert [(n['kind'], 2 * n['count']) for n in once['notes']] == [(n['kind'], n['count']) for n in twice['notes']]
    leaks_once = summarize_stream(io.BytesIO(data))
    leaks_twice = summarize_stream(io.BytesIO(data + data))
    assert leaks_twice['records'] == 2 * leaks_once['records']
    assert [2 * f['count'] for f in leaks_once['findings']] == [f['count'] for f in leaks_twice['findings']]


@SETTINGS
@given(st.lists(st.sampled_from(pf.KERNEL_LOG_FIXTURES), min_size=1, max_size=6))
def test_feeding_a_mix_twice_doubles_counts(names):
    data = b''.join(pf.load(n).rstrip(b'\n') + b'\n' for n in names)
    once = collect(data.decode('utf-8').splitlines())
    twice = collect((data + data).decode('utf-8').splitlines())
    assert twice['counts'] == dict((k, 2 * v) for k, v in once['counts'].items())


def _cut_is_honest(full, cut_result):
    """Every finding of the cut input that is not marked corrupted is one of the whole input's
    findings (same type and title; the task may still be unknown when the cut came before it)."""
    _well_formed(cut_result)
    for f in cut_result['findings']:
        if f['corrupted']:
            continue
        assert any(g['type'] == f['type'] and g['title'] == f['title'] and f['task'] in (None, g['task'])
                   for g in full['findings']), (f['type'], f['title'], f['task'])


@pytest.mark.parametrize('name', pf.KERNEL_LOG_FIXTURES)
def test_cut_at_every_line(name):
    lines = pf.load(name).splitlines(True)
    full = collect(io.BytesIO(b''.join(lines)))
    for i in range(len(lines)):
        _cut_is_honest(full, collect(io.BytesIO(b''.join(lines[:i]))))


@SETTINGS
@given(st.sampled_from(pf.KERNEL_LOG_FIXTURES), st.floats(0, 1))
def test_cut_mid_line(name, where):
    data = pf.load(name)
    full = collect(io.BytesIO(data))
    _cut_is_honest(full, collect(io.BytesIO(data[:int(len(data) * where)])))


def test_cut_reports_are_flagged():
    """Cutting inside the part that identifies a report (before the guilty frame is known, or
    in the middle of a line) gives a corrupted finding, not a sound one with another title."""
    lines = pf.load('hung_task_rhel7.log').splitlines(True)
    # header + stack up to mutex_lock_nested: no usable frame yet
    res = collect(io.BytesIO(b''.join(lines[:9])))
    assert [(f['title'], f['corrupted']) for f in res['findings']] == [('INFO: task hung', True)]
    # in the middle of the stack: the hung-task heuristic needs the whole stack
    res = collect(io.BytesIO(b''.join(lines[:13])))
    assert [f['corrupted'] for f in res['findings']] == [True]
    # in the middle of the header line
    res = collect(io.BytesIO(lines[0][:40]))
    assert [f['corrupted'] for f in res['findings']] == [True]


def _log_stream(n_reports):
    """A long kernel log: every report of the fixtures again and again, with distinct
    functions so that the number of distinct findings exceeds max_findings, and benign lines."""
    reports = [pf.load(n) for n in pf.KERNEL_LOG_FIXTURES]
    benign = b'[ 1.000000] e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX\n' * 20
    for i in range(n_reports):
        rep = reports[i % len(reports)].replace(b'_', b'_%d_' % (i % 5000), 3)
        yield rep
        yield benign


class _Reader(object):
    def __init__(self, chunks):
        self.chunks = chunks
        self.buf = b''

    def read(self, n):
        while len(self.buf) < n:
            try:
                self.buf += next(self.chunks)
            except StopIteration:
                break
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def _peak(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def small_chunks(monkeypatch):
    """Read in 64 KiB chunks so that short test inputs already span many chunks."""
    from ansible_collections.kdebug.kernel.plugins.module_utils import kmsg
    monkeypatch.setattr(kmsg, 'CHUNK_SIZE', 4096)  # kmsg.LineReader, the reader of every parser


def test_memory_bounded_independent_of_length(small_chunks):
    def run(n):
        def work():
            res = collect(_Reader(_log_stream(n)), max_findings=50)
            assert res['truncated'] is True
        return _peak(work)

    def run_lines(n):
        def work():
            collector = FindingCollector(max_findings=50)
            for chunk in _log_stream(n):
                for line in chunk.split(b'\n'):
                    collector.feed(line)
            collector.result()
        return _peak(work)

    small, large = run(150), run(1200)
    assert large < 4 * 1024 * 1024, large
    assert large < small * 1.25 + 256 * 1024, (small, large)
    small, large = run_lines(150), run_lines(1200)
    assert large < 4 * 1024 * 1024, large
    assert large < small * 1.25 + 256 * 1024, (small, large)


def _kmemleak_stream(n):
    for i in range(n):
        yield (b'unreferenced object 0xffff8880%08x (size %d):\n'
               b'  comm "worker", pid %d, jiffies 4294937296\n'
               b'  hex dump (first 16 bytes):\n'
               b'    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n'
               b'  backtrace:\n'
               b'    [<ffffffff81000000>] kmemleak_alloc+0x4e/0xb0\n'
               b'    [<ffffffff81000001>] __kmalloc+0x185/0x330\n'
               b'    [<ffffffffc0000000>] leaker_%d+0x2b/0x100 [leak]\n'
               b'    [<ffffffff81000002>] do_one_initcall+0x4b/0x1c0\n') % (i, 32 + i % 64, i, i % 20000)


def test_kmemleak_memory_bounded_independent_of_length(small_chunks):
    def run(n):
        def work():
            res = summarize_stream(_Reader(_kmemleak_stream(n)), max_findings=100)
            assert res['records'] == n and res['truncated'] is True
        return _peak(work)

    small, large = run(2000), run(16000)
    assert large < 4 * 1024 * 1024, large
    assert large < small * 1.25 + 256 * 1024, (small, large)


@st.composite
def mutated_kmemleak_report(draw):
    """A kmemleak report (debugfs form) with bytes replaced or inserted inside its lines:
    NUL, control bytes, invalid UTF-8, CR."""
    lines = pf.load(draw(st.sampled_from(['kmemleak_debugfs_6x.txt', 'kmemleak_debugfs_rhel7.txt']))).split(b'\n')
    for _step in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        pos = draw(st.integers(0, len(line)))
        junk = draw(st.sampled_from([b'\x00', b'\x07', b'\x1b[0m', b'\x1b[', b'\x1b]', b'\xff', b'\xc3', b'\r', b'\t',
                                     b'\x0b', b'\x0c', b'\x1c', b'\xef\xbb\xbf', b'\x7f', b'"', b', pid 1']))
        if draw(st.booleans()) and pos < len(line):
            lines[i] = line[:pos] + junk + line[pos + 1:]
        else:
            lines[i] = line[:pos] + junk + line[pos:]
    return b'\n'.join(lines)


@SETTINGS
@given(mutated_kmemleak_report())
def test_kmemleak_fast_path_equals_line_parser_on_mutated_reports(data):
    """Issue 11, item 6: the fast path and the line parser give equal results."""
    assert summarize_stream(io.BytesIO(data)) == summarize(parse_records(iter_lines(io.BytesIO(data))))


@SETTINGS
@given(mutated_kmemleak_report(), st.sampled_from([None, [r'kmalloc'], [r'^modprobe$'], [r'no-such-frame']]))
def test_kmemleak_fast_path_equals_line_parser_on_repeated_records(data, ignore):
    """The fast path counts a record of a finding it already has in its own loop: the report
    twice (every finding seen again), with ignore patterns or without, gives what the line
    parser gives."""
    data = data + b'\n' + data
    assert summarize_stream(io.BytesIO(data), ignore=ignore) == \
        summarize(parse_records(iter_lines(io.BytesIO(data))), ignore=ignore)


@SETTINGS
@given(mutated_kmemleak_report(), st.sampled_from([7, 100, 1000, 4096]), st.integers(1, 3))
def test_kmemleak_fast_path_counts_line_ends_for_the_reader(data, chunk_size, times):
    """Read in small chunks (many blocks, records cut across them), the fast path counts each
    block's line ends itself, from its records' headers and their cached backtraces, and tells
    the reader (LineReader.counted): the summary, line numbers included, is the line parser's,
    and the reader's count of lines is that of the input."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import LineReader
    data = b'\n'.join([data] * times) + b'\n'
    reader = LineReader(io.BytesIO(data), chunk_size=chunk_size)
    assert summarize_stream(reader) == summarize(parse_records(iter_lines(io.BytesIO(data))))
    assert reader.lines == len(list(iter_lines(io.BytesIO(data))))


@st.composite
def log_with_keywords(draw):
    """Kernel log text (benign lines, random bytes) with scanner keywords put anywhere, whole
    or cut, in blocks of any size."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import _Scanner
    alphabet = st.sampled_from(list(b'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 []#:-.()\n'))
    pieces = []
    for _i in range(draw(st.integers(1, 40))):
        pieces.append(bytes(bytearray(draw(st.lists(alphabet, max_size=300)))))
        needle = draw(st.sampled_from(_Scanner.NEEDLES))
        if draw(st.booleans()):
            needle = needle[:draw(st.integers(0, len(needle)))]  # cut: not a keyword
        pieces.append(needle)
    return b''.join(pieces) + b'\n'


@SETTINGS
@given(log_with_keywords(), st.sampled_from([64, 700, 16384]))
def test_scanner_finds_what_every_find_finds(buf, block):
    """The scanner's skeleton only rules blocks out: it finds the same lines as a bytes.find
    of every keyword, whatever the block size."""
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kfm
    saved = kfm.SCAN_BLOCK
    kfm.SCAN_BLOCK = block
    try:
        scanner = kfm._Scanner()
        scanner.reset(buf, len(buf))
        hits = []
        pos = 0
        while True:
            hit = scanner.next_hit(pos)
            if hit < 0:
                break
            hits.append(hit)
            pos = buf.find(b'\n', hit) + 1
    finally:
        kfm.SCAN_BLOCK = saved
    assert hits == pf.naive_hits(buf, kfm._Scanner.NEEDLES)
