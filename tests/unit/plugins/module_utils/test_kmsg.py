# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kmsg: prefixes of every form the kernel log arrives in, and iter_lines on awkward input."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import (
    CHUNK_SIZE, MAX_LINE, MAX_LINE_BYTES, LineReader, LogLine, iter_lines, parse_line, split_line_ends,
)

# raw line -> (origin, ts, wallclock, caller, level, seq, text)
FORMS = [
    ('[   12.345678] BUG: x', ('dmesg', 12.345678, None, None, None, None, 'BUG: x')),
    ('[    0.000000] Linux version 6.1.0', ('dmesg', 0.0, None, None, None, None, 'Linux version 6.1.0')),
    ('[   12.345678][  T123] msg', ('dmesg', 12.345678, None, 'T123', None, None, 'msg')),
    ('[   12.345678] [    C1] msg', ('dmesg', 12.345678, None, 'C1', None, None, 'msg')),
    ('[   12.345678]  [<ffffffff81000000>] f+0x1/0x2',
     ('dmesg', 12.345678, None, None, None, None, ' [<ffffffff81000000>] f+0x1/0x2')),
    ('[Fri Nov 27 05:13:37 2026] msg', ('dmesg-T', None, 'Fri Nov 27 05:13:37 2026', None, None, None, 'msg')),
    ('2026-11-27T05:13:37,123456+00:00 msg',
     ('dmesg-T', None, '2026-11-27T05:13:37,123456+00:00', None, None, None, 'msg')),
    ('<4>[   12.345678] msg', ('dmesg', 12.345678, None, None, 4, None, 'msg')),
    ('kern  :warn  : [   12.345678] msg', ('dmesg', 12.345678, None, None, 4, None, 'msg')),
    ('Nov 27 05:13:37 host kernel: msg', ('journal', None, 'Nov 27 05:13:37', None, None, None, 'msg')),
    ('Nov  7 05:13:37 host kernel: [   12.345678] msg',
     ('journal', 12.345678, 'Nov  7 05:13:37', None, None, None, 'msg')),
    ('Nov 27 05:13:37.123456 host kernel: msg', ('journal', None, 'Nov 27 05:13:37.123456', None, None, None, 'msg')),
    ('2026-11-27T05:13:37+0000 host kernel: msg',
     ('journal', None, '2026-11-27T05:13:37+0000', None, None, None, 'msg')),
    ('[   12.345678] host kernel: msg', ('journal', 12.345678, None, None, None, None, 'msg')),
    ('6,1234,5678,-;msg', ('kmsg', 0.005678, None, None, 6, 1234, 'msg')),
    ('4,1234,5678,-,caller=T123;  comm "x"', ('kmsg', 0.005678, None, 'T123', 4, 1234, '  comm "x"')),
    ('12,7,100,c;msg;with;semicolons', ('kmsg', 0.0001, None, None, 4, 7, 'msg;with;semicolons')),
    ('Nov 27 05:13:38 lab7 systemd[1]: Started x', ('syslog', None, 'Nov 27 05:13:38', None, None, None, 'Started x')),
    ('unreferenced object 0xffff (size 8):', ('plain', None, None, None, None, None,
                                              'unreferenced object 0xffff (size 8):')),
    ('lab login: [  245.112233][   T35] INFO: task dd:3560',
     ('dmesg', 245.112233, None, 'T35', None, None, 'INFO: task dd:3560')),
    ('', ('plain', None, None, None, None, None, '')),
]


@pytest.mark.parametrize('raw, expected', FORMS)
def test_parse_line_forms(raw, expected):
    line = parse_line(raw, 7)
    got = (line.origin, line.ts, line.wallclock, line.caller, line.level, line.seq, line.text)
    assert got[0] == expected[0]
    assert got[1] == (pytest.approx(expected[1]) if expected[1] is not None else None)
    assert got[2:] == expected[2:]
    assert line.lineno == 7


def test_parse_line_kernel_flag_and_bytes():
    assert parse_line('Nov 27 05:13:38 h systemd[1]: x').kernel is False
    assert parse_line('Nov 27 05:13:38 h kernel: x').kernel is True
    assert parse_line('[ 1.0] x').kernel is True
    assert parse_line('plain').kernel is None
    line = parse_line(b'[ 1.000000] caf\xc3\xa9 \xff')
    assert line.text == u'caf\xe9 \ufffd'
    assert isinstance(line, LogLine) and line.as_dict()['ts'] == 1.0


def test_parse_line_cleans_terminal_noise():
    line = parse_line('\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mx\x1b[0m.\r\n')
    assert line.text == '  OK  ] Started x.'
    assert parse_line('[ 1.0] a\x00b\x07c').text == 'abc'
    assert len(parse_line('x' * (MAX_LINE * 3)).text) == MAX_LINE


def test_iter_lines_binary_file_crlf_cr_dict_lines():
    data = (b'6,1,2,-;hello\r\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:01.0\n'
            b'[ 1.000000] a\rb\r\r\n\n[ 2.000000] last without newline')
    lines = list(iter_lines(io.BytesIO(data)))
    # a lone CR is a line end (issue 11: CR-only captures lost reports); CR CR LF is one
    assert [(ln.lineno, ln.origin, ln.text) for ln in lines] == [
        (1, 'kmsg', 'hello'), (4, 'dmesg', 'a'), (5, 'plain', 'b'), (6, 'plain', ''),
        (7, 'dmesg', 'last without newline')]


def test_iter_lines_lines_with_their_ends_agree_with_the_file():
    # lines as readline() returns them (a serial capture read line by line): a CRLF end is
    # one line end, not a lone CR making one more empty line
    data = (b'6,1,2,-;hello\r\n SUBSYSTEM=pci\n[ 1.000000] a\rb\r\r\n\n'
            b'[ 2.000000] c\r\n[ 3.000000] last without newline')
    from_file = [(ln.lineno, ln.origin, ln.text) for ln in iter_lines(io.BytesIO(data))]
    from_lines = [(ln.lineno, ln.origin, ln.text) for ln in iter_lines(io.BytesIO(data).readlines())]
    assert from_lines == from_file
    assert (6, 'dmesg', 'c') in from_lines and len(from_lines) == 6


def test_iter_lines_inputs_of_every_kind_agree():
    text = u'[ 1.000000] caf\xe9\n[ 2.000000] b\n'
    expected = [(1, u'caf\xe9'), (2, u'b')]
    for source in (text, text.encode('utf-8'), io.StringIO(text), io.BytesIO(text.encode('utf-8')),
                   text.splitlines(True), [ln.encode('utf-8') for ln in text.splitlines()], [text]):
        assert [(ln.lineno, ln.text) for ln in iter_lines(source)] == expected, source


def test_iter_lines_utf8_split_across_chunks():
    head = (b'a' * 99 + b'\n') * (CHUNK_SIZE // 100)
    head += b'a' * (CHUNK_SIZE - 1 - len(head))
    data = head + u'\xe9\n'.encode('utf-8') + b'z\n'
    lines = list(iter_lines(io.BytesIO(data)))
    assert lines[-2].text.endswith(u'a\xe9') and u'\ufffd' not in lines[-2].text
    assert lines[-1].text == 'z'


def test_iter_lines_overlong_line_is_capped_without_buffering_it():
    data = b'[ 1.000000] ' + b'x' * (CHUNK_SIZE * 5) + b'\nnext\n'
    lines = list(iter_lines(io.BytesIO(data)))
    assert [len(ln.text) <= MAX_LINE for ln in lines] == [True, True]
    assert lines[1].text == 'next' and lines[1].lineno == 2


def test_iter_lines_never_raises():
    class Broken(object):
        def read(self, n):
            raise IOError('gone')
    assert list(iter_lines(Broken())) == []
    assert list(iter_lines(None)) == []
    assert [ln.text for ln in iter_lines([b'\xff\xfe\x00', 5])] == [u'\ufffd\ufffd', u'5']


def _read_all(reader):
    out = b''
    while True:
        block = reader.read(65536)
        if not block:
            return out
        out += block


def test_line_reader_line_ends_become_lf():
    for chunk_size in (1, 2, 3, 7, 65536):
        reader = LineReader(io.BytesIO(b'a\r\nb\r\r\nc\rd\r\re\n\nf'), chunk_size=chunk_size)
        assert _read_all(reader) == b'a\nb\nc\nd\ne\n\nf', chunk_size
        assert (reader.lines, reader.partial, reader.cut_lines) == (7, True, 0)


def test_line_reader_offset_after_the_last_certain_line_end():
    # trailing CRs may be followed by an LF: the line before them is read again next time
    for data, offset in ((b'one\ntwo\r\nthr', 9), (b'one\rtwo\r', 4), (b'one\rtwo', 4), (b'x\r\r', 0),
                         (b'a\nb\n', 4)):
        for chunk_size in (1, 3, 65536):
            reader = LineReader(io.BytesIO(data), chunk_size=chunk_size)
            _read_all(reader)
            assert reader.offset == offset, (data, chunk_size)
    reader = LineReader(io.BytesIO(b'new\n'), start=4)
    assert _read_all(reader) == b'new\n' and (reader.offset, reader.lines) == (8, 1)


def test_line_reader_caps_lines_and_counts_what_it_dropped():
    long_line = b'x' * (MAX_LINE_BYTES * 3)
    data = b'short\n' + long_line + b'\nnext\n' + b'y' * (MAX_LINE_BYTES + 10)
    for chunk_size in (1000, MAX_LINE_BYTES, 1 << 20):
        reader = LineReader(io.BytesIO(data), chunk_size=chunk_size)
        out = _read_all(reader).split(b'\n')
        assert [len(p) for p in out] == [5, MAX_LINE_BYTES, 4, MAX_LINE_BYTES], chunk_size
        assert (reader.cut_lines, reader.cut_bytes) == (2, MAX_LINE_BYTES * 2 + 10), chunk_size
        assert reader.lines == 4


def test_line_reader_keeps_the_read_error():
    class Broken(object):
        calls = 0

        def read(self, size):
            self.calls += 1
            if self.calls > 1:
                raise EOFError('cut')
            return b'one\ntw'
    reader = LineReader(Broken())
    assert _read_all(reader) == b'one\ntw'
    with pytest.raises(EOFError):
        reader.check()
    assert reader.offset == 4


def test_cr_only_capture_loses_nothing():
    """Issue 11, item 1: a capture whose lines end with CR only (2 MB and more) is read whole;
    before, the lines after the first 4096 characters were dropped without a word."""
    record = b'[  245.000000] INFO: task dd:3560 blocked for more than 120 seconds.\r'
    data = record * 30000  # ~2 MB, no LF at all
    lines = [ln for ln in iter_lines(io.BytesIO(data)) if ln.text.startswith('INFO: task')]
    assert len(lines) == 30000
    assert [ln.lineno for ln in lines[:3]] == [1, 2, 3]
    # a progress meter printing CR for 20 KB before a report
    meter = b''.join(b'%3d%%\r' % (i % 100) for i in range(4000)) + b'[ 1.000000] BUG: x\n'
    assert [ln.text for ln in iter_lines(io.BytesIO(meter))][-1] == 'BUG: x'


def test_split_line_ends_agrees_with_the_reader():
    for item in (u'a\r\n', u'a\rb\r\r\n', u'a', u'a\n\nb', b'x\ry'):
        expected = _read_all(LineReader(item)).decode('utf-8').split(u'\n')
        if not expected[-1]:
            expected.pop()
        assert split_line_ends(item) == expected, item


KMSG_ESCAPES = [
    # kernel/printk/printk.c:msg_add_ext_text escapes c < ' ', c >= 127 and '\\' as \\x%02x
    (u'4,5002,912000200,-;\\x0aShowing all locks held in the system:', [u'Showing all locks held in the system:']),
    (u'4,5012,912000241,-;=====\\x0a', [u'=====']),
    (u'6,7,8,-;caf\\xc3\\xa9 \\x5cn tab\\x09end', [u'caf\xe9 \\n tab\tend']),
    (u'6,7,8,-;one\\x0atwo\\x0a\\x0athree', [u'one', u'two', u'', u'three']),
    (u'6,7,8,-;\\x1b[0mcolour\\x07', [u'colour']),
    (u'[ 1.000000] not a kmsg record \\x0a', [u'not a kmsg record \\x0a']),
]


@pytest.mark.parametrize('raw, texts', KMSG_ESCAPES)
def test_kmsg_escapes_are_decoded_like_dmesg_does(raw, texts):
    """Issue 11, item 8: /dev/kmsg text is decoded as util-linux dmesg does; a record holding
    newlines gives one line per line, with the record's sequence number and time."""
    lines = list(iter_lines([raw]))
    assert [ln.text for ln in lines] == texts
    assert len(set((ln.lineno, ln.seq, ln.ts) for ln in lines)) == 1
