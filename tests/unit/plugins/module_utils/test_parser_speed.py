# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parsers' speed-ups give the same results as the plain code they stand in for."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.kdebug.kernel.plugins.module_utils import kmemleak_report as km
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _records():
    """The records of the kmemleak fixtures, each without its "unreferenced object" (as the
    fast path cuts them)."""
    out = []
    for name in pf.names():
        if name.startswith('kmemleak_debugfs'):
            out.extend(pf.load(name).split(km._SEP)[1:])
    return out


RECORDS = _records()


def test_fixture_records_are_in_the_exact_layout():
    """Not a vacuous comparison below: the fixtures' records take the hot regex's path."""
    assert RECORDS
    assert all(km._EXACT_RECORD_RE.match(r) for r in RECORDS)


@SETTINGS
@given(st.sampled_from(RECORDS), st.integers(0, 400), st.sampled_from([b'', b' ', b'\n', b'"', b'x', b'(', b'0']),
       st.integers(0, 3))
def test_hot_record_regex_matches_what_the_exact_one_matches(record, at, insert, drop):
    """_HOT_RECORD_RE (the fast loop's regex, without the groups it does not read) matches the
    same texts as _EXACT_RECORD_RE, to the same end, with the same size and comm."""
    at = min(at, len(record))
    text = record[:at] + insert + record[at + drop:]
    exact = km._EXACT_RECORD_RE.match(text)
    hot = km._HOT_RECORD_RE.match(text)
    assert (exact is None) == (hot is None)
    if exact is not None:
        assert hot.end() == exact.end()
        assert hot.groups() == exact.group(3, 5)


# --- kmemleak: the batch path (whole blocks at C speed) -------------------------------------

_BACKTRACES = [
    b'    [<ffffffff8179c5be>] kmemleak_alloc+0x4e/0xb0\n'
    b'    [<ffffffffc06a0011>] leak_a+0x22/0x60 [mod_a]\n'
    b'    [<ffffffff8100211a>] do_one_initcall+0xba/0x240\n',
    b'    kmemleak_alloc+0x4c/0x90\n    kmalloc_trace+0x2d/0x80\n    leak_b+0x5d/0x1b0 [mod_b]\n',
    # the same call sites as the one before, at other offsets: another text, the same finding
    b'    kmemleak_alloc+0x4c/0x90\n    kmalloc_trace+0x2d/0x80\n    leak_b+0x61/0x1b0 [mod_b]\n',
    b'',  # no frame: corrupted
    b'    [<ffffffffc0700000>] leak_c+0x1/0x2 [mod_c]\n    0xffffffffc0700010\n',
    b'    [<ffffffffc0800000>] leak_d+0x1/0x2\n',
    b'    [<ffffffffc0800000>] leak_e+0x1/0x2\n',
    b'    [<ffffffffc0800000>] leak_f+0x1/0x2\n',
]


@st.composite
def batch_report(draw):
    """Many records of a few backtraces, with up to 100 sizes and comms each (more than a
    finding lists, so that their order counts), hex dumps or none, some records that only the
    loop or the line parser reads (an ESC in comm, a "kmemleak: " line, junk between records)."""
    out = []
    sizes = draw(st.integers(1, 100))
    comms = draw(st.integers(1, 100))
    for i in range(draw(st.integers(1, 250))):
        size = draw(st.integers(0, sizes))
        comm = b'c%d' % draw(st.integers(0, comms))
        odd = draw(st.integers(0, 40))
        if odd == 0:
            comm += b'\x1b[0m'
        elif odd == 1:
            out.append(b'kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n')
        elif odd == 2:
            comm += b'\x00'
        rec = b'unreferenced object 0xffff8880%08x (size %d):\n  comm "%s", pid %d, jiffies %d%s\n' % (
            i, size, comm, 1000 + i, 4294937296 + i, b' (age 1.%03ds)' % i if draw(st.booleans()) else b'')
        if draw(st.booleans()):
            rec += b'  hex dump (first 16 bytes):\n    6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b a5  kkkkkkkkkkkkkkk.\n'
        rec += b'  backtrace (crc %08x):\n' % i if draw(st.booleans()) else b'  backtrace:\n'
        out.append(rec + draw(st.sampled_from(_BACKTRACES)))
    return b''.join(out)


@pytest.mark.skipif(not km._BATCH, reason='the batch path needs dicts that keep their order (Python 3.7+)')
@settings(SETTINGS, max_examples=150)
@given(batch_report(), st.sampled_from([7, 300, 4096, 1 << 18]), st.sampled_from([2, 5, 4096]),
       st.sampled_from([None, 1, 3]), st.sampled_from([2, 64]))
def test_kmemleak_batch_path_equals_the_loop_and_the_line_parser(
        data, chunk_size, batch_max, max_findings, max_list):
    """The batch path counts blocks of records with no Python statement per record, and flushes
    its counts in order: with blocks of any size, its Counters flushed and its backtraces
    forgotten after as few as 2 (_BATCH_MAX, _KNOWN_MAX), a few findings kept or many, sizes and
    comms lists of 2 (MAX_LIST: which ones are listed depends on the order of the records)
    or 64, the summary (line numbers, those lists, corrupted and truncated counts included) is
    the loop's and the line parser's, and the reader's line count is right."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import LineReader
    used = []
    block = km._Batch.block

    def counting(self, parts, lineno):
        got = block(self, parts, lineno)
        used.append(got)
        return got

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(km, 'MAX_LIST', max_list)
        expected = summarize_lines(data, max_findings)
        mp.setattr(km, '_BATCH_MAX', batch_max)
        mp.setattr(km, '_KNOWN_MAX', batch_max)
        mp.setattr(km._Batch, 'block', counting)
        reader = LineReader(io.BytesIO(data), chunk_size=chunk_size)
        assert km.summarize_stream(reader, max_findings=max_findings) == expected
        assert reader.lines == len(list(km.iter_lines(io.BytesIO(data))))
        mp.setattr(km, '_BATCH', False)
        assert km.summarize_stream(io.BytesIO(data), max_findings=max_findings) == expected
    if chunk_size > 4096 and b'\x1b' not in data and b'kmemleak:' not in data:
        assert used and None not in used  # not a vacuous comparison: the batch path counted them


def summarize_lines(data, max_findings):
    return km.summarize(km.parse_records(km.iter_lines(io.BytesIO(data))), max_findings=max_findings)


# --- kernel log scanner: the second skeleton ------------------------------------------------

BENIGN = (b'[    1.000000] EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.\n'
          b'[    1.000100] e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX\n'
          b'[    1.000200] systemd[1]: Started Session 12 of user root.\n'
          b'[    1.000300] random: crng init done\n')


def _scan(scanner, buf):
    scanner.reset(buf, len(buf))
    hits = []
    pos = 0
    while True:
        hit = scanner.next_hit(pos)
        if hit < 0:
            return hits
        hits.append(hit)
        pos = buf.find(b'\n', hit) + 1


def _scan_counting_lines(scanner, buf, skip=0):
    """_scan() as _scan_block calls the scanner (with the line ends before pos), checking
    lines_before against bytes.count at each hit, its line's start and the end; after a hit
    the hit's line and skip more lines are passed over (the lines a report took). The hits."""
    scanner.reset(buf, len(buf))
    hits = []
    pos = 0
    while pos < len(buf):
        hit = scanner.next_hit(pos, buf.count(b'\n', 0, pos))
        if hit < 0:
            assert scanner.lines_before(len(buf)) == buf.count(b'\n')
            break
        start = buf.rfind(b'\n', 0, hit) + 1
        assert scanner.lines_before(hit) == buf.count(b'\n', 0, hit)
        assert scanner.lines_before(start) == buf.count(b'\n', 0, start)
        hits.append(hit)
        pos = hit
        for _i in range(skip + 1):
            pos = buf.find(b'\n', pos) + 1
            if pos <= 0:
                pos = len(buf)
                break
    return hits


def test_second_skeleton_is_chosen_on_a_benign_first_buffer():
    """Not vacuous: on benign text the capitals of 'WARNING', 'BUG', 'INFO:' are rare, so these
    keywords are looked for in the second skeleton."""
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kfm
    scanner = kfm._Scanner()
    _scan(scanner, BENIGN * 400)
    level = dict((pair[0], pair[4]) for pair in scanner.pairs)
    assert level[b'WARNING'] == level[b'BUG'] == level[b'INFO:'] == 1
    assert scanner.levels == 2


@st.composite
def later_buffers(draw):
    """Buffers of benign lines with keywords put anywhere in them, whole or cut."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import _Scanner
    buffers = []
    for _b in range(draw(st.integers(1, 4))):
        pieces = []
        for _i in range(draw(st.integers(0, 30))):
            pieces.append(BENIGN[:draw(st.integers(0, len(BENIGN)))])
            needle = draw(st.sampled_from(_Scanner.NEEDLES))
            if draw(st.booleans()):
                needle = needle[:draw(st.integers(0, len(needle)))]
            pieces.append(needle)
        buffers.append(b''.join(pieces) + b'\n')
    return buffers


@SETTINGS
@given(st.integers(1, 600), later_buffers(), st.sampled_from([64, 700, 16384]))
def test_scanner_with_a_plan_from_the_first_buffer_finds_what_every_find_finds(first, buffers, block):
    """The plan (which keywords are looked for in the second skeleton) is made on the first
    buffer; later buffers, whose bytes differ, give the same hits as a find of every keyword."""
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kfm
    saved = kfm.SCAN_BLOCK
    kfm.SCAN_BLOCK = block
    try:
        scanner = kfm._Scanner()
        for buf in [BENIGN * first] + buffers:
            assert _scan(scanner, buf) == pf.naive_hits(buf, kfm._Scanner.NEEDLES)
    finally:
        kfm.SCAN_BLOCK = saved


# Message templates for the remembered skeleton lines: benign ones, ones that hold a keyword
# and ones that hold a keyword cut short or with a byte changed (their skeleton may still be a
# keyword's, or look like one's); %d are numbers, which the skeleton deletes.
_TEMPLATES = (
    'e1000: eth0 NIC Link is Up %d Mbps Full Duplex, Flow Control: RX',
    'systemd[1]: Started Session %d of user root.',
    'audit: type=1400 audit(%d.123:%d): apparmor="STATUS" operation="profile_load"',
    'usb 1-1: new high-speed USB device number %d using ehci-pci',
    'perf: interrupt took too long (%d > 2500), lowering kernel.perf_event_max_sample_rate to %d',
)


@st.composite
def repeated_messages(draw):
    """Buffers of a few messages repeated in any order with any numbers, some with a keyword
    (whole, cut or changed) put in them, so that lines are remembered and blocks ruled out."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import _Scanner
    templates = list(_TEMPLATES)
    for _i in range(draw(st.integers(0, 4))):
        needle = draw(st.sampled_from(_Scanner.NEEDLES)).decode()
        how = draw(st.sampled_from(['whole', 'cut', 'changed']))
        if how == 'cut':
            needle = needle[:draw(st.integers(0, len(needle) - 1))]
        elif how == 'changed':
            at = draw(st.integers(0, len(needle) - 1))
            needle = needle[:at] + draw(st.sampled_from(['x', 'Q', ' ', '0'])) + needle[at + 1:]
        base = draw(st.sampled_from(_TEMPLATES))
        at = draw(st.integers(0, len(base)))
        templates.append(base[:at] + needle.replace('%', '%%') + base[at:])
    buffers = []
    for _b in range(draw(st.integers(1, 4))):
        picks = draw(st.lists(st.integers(0, len(templates) - 1), min_size=1, max_size=400))
        numbers = draw(st.lists(st.integers(0, 99999), min_size=2, max_size=2))
        lines = []
        for k in picks:
            t = templates[k]
            lines.append('[%12.6f] %s\n' % (k / 7.0, t.replace('%d', str(numbers[k % 2] + k), 2)))
        buffers.append(''.join(lines).encode())
    return buffers


@SETTINGS
@given(repeated_messages(), st.sampled_from([64, 700, 16384]), st.sampled_from([1, 2, 32]))
def test_remembered_lines_rule_out_only_blocks_without_a_keyword(buffers, block, window):
    """Blocks whose skeleton lines were all remembered are skipped; the hits and the line counts
    stay those of a find of every keyword, across buffers (the lines are remembered from one
    buffer to the next) and whether the remembered lines are forgotten often (small windows)."""
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kfm
    saved = kfm.SCAN_BLOCK, kfm._Scanner.KNOWN_WINDOW
    kfm.SCAN_BLOCK = block
    kfm._Scanner.KNOWN_WINDOW = window
    try:
        scanner = kfm._Scanner()
        for buf in buffers:
            assert _scan_counting_lines(scanner, buf) == pf.naive_hits(buf, kfm._Scanner.NEEDLES)
    finally:
        kfm.SCAN_BLOCK, kfm._Scanner.KNOWN_WINDOW = saved


def test_remembered_lines_rule_out_blocks_of_a_repetitive_log_and_pause_on_a_varied_one():
    """Not vacuous: on repeated benign messages most blocks are ruled out by remembered lines;
    on lines each unlike the others the remembered lines are forgotten and not looked up."""
    import random
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kfm
    scanner = kfm._Scanner()
    _scan(scanner, BENIGN * 20000)
    assert scanner.ruled_out > 0.9 * scanner.window[0] + 30, (scanner.ruled_out, scanner.window)
    assert scanner.pause == 0 and scanner.known
    rnd = random.Random(3)
    letters = 'jqzwkyvhxbgmupdlcfABCDEFGHIJKLMNOPQRSTUVWXYZ'
    varied = ''.join('[%12.6f] %s\n' % (i, ''.join(rnd.choice(letters) for _j in range(30))) for i in range(40000))
    scanner = kfm._Scanner()
    hits = _scan(scanner, varied.encode())
    assert hits == pf.naive_hits(varied.encode(), kfm._Scanner.NEEDLES)
    assert scanner.ruled_out == 0 and scanner.pause > 0 and not scanner.known


@SETTINGS
@given(later_buffers(), st.sampled_from([64, 700, 16384]), st.lists(st.integers(0, 40), min_size=1))
def test_scanner_counts_the_line_ends_before_its_hits(buffers, block, skips):
    """lines_before (the skeleton's line-end counts and a count of part of the block) equals a
    count of the line ends before the hit, before the hit's line and before the end, whether the
    caller goes on in the scanner's block or skips lines past it (a report fed line by line)."""
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings as kfm
    saved = kfm.SCAN_BLOCK
    kfm.SCAN_BLOCK = block
    try:
        scanner = kfm._Scanner()
        for n, buf in enumerate(buffers):
            _scan_counting_lines(scanner, buf, skips[n % len(skips)])
    finally:
        kfm.SCAN_BLOCK = saved


@pytest.mark.parametrize('chunk_size', [1, 7, 100, 4096, None])
def test_reports_across_read_chunks_equal_line_by_line(chunk_size):
    """A log read by the chunked reader in pieces of any size (a keyword cut by a read), with the
    scanner's plan made on its first buffer, gives what feeding it line by line gives."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import FindingCollector, collect
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import LineReader
    reports = [pf.load(n) for n in pf.names('.log') if not n.startswith(('kmemleak', 'sysrq'))][:12]
    assert reports
    data = BENIGN * 50 + b''.join(r + BENIGN * 3 for r in reports)
    by_lines = FindingCollector()
    for line in data.split(b'\n')[:-1]:
        by_lines.feed(line)
    expected = by_lines.result()
    assert len(expected['findings']) >= 10
    reader = LineReader(io.BytesIO(data), chunk_size=chunk_size)
    assert collect(reader) == expected
    # the scanner counts the line ends of the blocks it reads; the reader then does not
    assert reader.lines == expected['lines'] == data.count(b'\n')


@pytest.mark.parametrize('count', [True, False])
def test_reader_counts_each_block_once_whoever_counts(count):
    """LineReader's line counts are the same whether its parser counts a block's line ends
    (LineReader.counted) or not, through CR ends, cut lines and an unfinished last line."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import LineReader
    data = (BENIGN * 300 + b'a\r\nb\r\r' + b'x' * 9000 + b'\n' + BENIGN * 300 + b'tail')
    for chunk_size in (5, 1000, 65536):
        reader = LineReader(io.BytesIO(data), chunk_size=chunk_size)
        per_block = []
        for block in reader.blocks():
            if count and block.endswith(b'\n'):
                reader.counted(block.count(b'\n'))
            per_block.append(reader.block_lines)
        assert reader.lines == BENIGN.count(b'\n') * 600 + 4, chunk_size
        assert reader.cut_lines == 1
        assert sum(per_block) == reader.lines - 1  # the unfinished last line has no line end
