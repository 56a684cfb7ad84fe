# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/kdebug_common.py (the modules' shared helpers)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import gzip
import os

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils import kdebug_common as kc
from ansible_collections.kdebug.kernel.plugins.module_utils.kdebug_common import READ_ERRORS
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import MAX_LINE_BYTES, LineReader


def test_kmsg_reader_regular_file_yields_complete_lines_and_tail(tmp_path):
    path = tmp_path / 'kmsg'
    path.write_bytes(b'6,1,0,-;one\n6,2,10,-;two\n6,3,20,-;thr')
    with kc.KmsgReader(str(path), read_size=7) as reader:  # small reads split records
        lines = list(reader.lines())
    assert lines == [b'6,1,0,-;one\n', b'6,2,10,-;two\n', b'6,3,20,-;thr']


def test_kmsg_reader_seek_end_then_reads_only_appended_lines(tmp_path):
    path = tmp_path / 'kmsg'
    path.write_bytes(b'6,1,0,-;old\n')
    reader = kc.KmsgReader(str(path))
    try:
        reader.seek_end()
        with open(str(path), 'ab') as fobj:
            fobj.write(b'6,2,5,-;new\n')
        assert list(reader.lines()) == [b'6,2,5,-;new\n']
        assert list(reader.lines()) == []
    finally:
        reader.close()


def test_kmsg_reader_fifo_stops_on_eagain(tmp_path):
    fifo = str(tmp_path / 'kmsg')
    os.mkfifo(fifo)
    reader = kc.KmsgReader(fifo)
    writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(writer, b'6,7,1,-;a\n6,8,2,-;b\n')
        # a writer is connected and no more data: read() fails with EAGAIN -> end
        assert list(reader.lines()) == [b'6,7,1,-;a\n', b'6,8,2,-;b\n']
        os.write(writer, b'6,9,3,-;c\n')
        assert list(reader.lines()) == [b'6,9,3,-;c\n']
    finally:
        os.close(writer)
        reader.close()


def test_kmsg_reader_epipe_is_noted_and_reading_continues(tmp_path, monkeypatch):
    path = tmp_path / 'kmsg'
    path.write_bytes(b'6,100,0,-;after overrun\n')
    real_read = os.read
    calls = []

    def fake_read(fd, size):
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(errno.EPIPE, 'Broken pipe')
        return real_read(fd, size)

    monkeypatch.setattr(kc.os, 'read', fake_read)
    with kc.KmsgReader(str(path)) as reader:
        lines = list(reader.lines())
    assert lines == [b'6,100,0,-;after overrun\n']
    assert reader.overruns == 1
    assert len(reader.notes) == 1 and 'overwritten' in reader.notes[0]


def test_kmsg_reader_other_errors_propagate(tmp_path, monkeypatch):
    path = tmp_path / 'kmsg'
    path.write_bytes(b'x\n')

    def fake_read(fd, size):
        raise OSError(errno.EINVAL, 'Invalid argument')

    monkeypatch.setattr(kc.os, 'read', fake_read)
    with kc.KmsgReader(str(path)) as reader:
        with pytest.raises(OSError):
            list(reader.lines())


def test_kmsg_reader_waits_for_stop_line(tmp_path):
    path = tmp_path / 'kmsg'
    path.write_bytes(b'a\nEND\nafter\n')
    with kc.KmsgReader(str(path)) as reader:
        got = list(reader.lines(stop=lambda line: line.startswith(b'END')))
        assert got == [b'a\n', b'END\n']
        assert list(reader.lines()) == [b'after\n']


def test_write_kmsg_writes_one_prefixed_line(tmp_path):
    path = tmp_path / 'kmsg'
    path.write_bytes(b'')
    kc.write_kmsg(str(path), 'kdebug: hello\nworld')
    kc.write_kmsg(str(path), u'second', level=4)
    assert path.read_bytes() == b'<5>kdebug: hello world\n<4>second\n'


@pytest.mark.parametrize('boot_id,seq,ts', [
    ('0f3c5e0a-0d6b-4c43-9a0e-4f2a1d8b9c11', 1234, 245.678901),
    ('0f3c5e0a-0d6b-4c43-9a0e-4f2a1d8b9c11', None, 12.5),
    (None, 7, None),
])
def test_kmsg_cursor_round_trip(boot_id, seq, ts):
    text = kc.format_kmsg_cursor(boot_id, seq, ts)
    parsed = kc.parse_cursor(text)
    assert parsed['kind'] == 'kmsg'
    assert parsed['boot_id'] == boot_id
    assert parsed['seq'] == seq
    if ts is None:
        assert parsed['ts'] is None
    else:
        assert abs(parsed['ts'] - ts) < 1e-6


def test_file_cursor_round_trip():
    assert kc.parse_cursor(kc.format_file_cursor([0, 42])) == dict(kind='file', offsets=[0, 42])


@pytest.mark.parametrize('bad', ['', 'kmsg:x', 'kmsg:b:notanumber:1', 'kmsg:b:-5:1',
                                 'file:1,x', 'journal:abc', '1234'])
def test_bad_cursors_raise_with_help(bad):
    with pytest.raises(ValueError) as info:
        kc.parse_cursor(bad)
    assert 'cursor' in str(info.value)


def test_mounts_find_mount_and_mountpoint(tmp_path):
    mounts = tmp_path / 'mounts'
    mounts.write_text(u'/dev/vda1 / ext4 rw 0 0\n'
                      u'debugfs /sys/kernel/debug debugfs rw 0 0\n'
                      u'/dev/vdb1 /mnt/with\\040space xfs rw 0 0\n')
    table = kc.read_mounts(str(mounts))
    assert ('/dev/vdb1', '/mnt/with space', 'xfs') in table
    assert kc.find_mount('/sys/kernel/debug/kmemleak', table) == ('/sys/kernel/debug', 'debugfs')
    assert kc.find_mount('/sys/kernel/debugx/kmemleak', table) == ('/', 'ext4')
    assert kc.find_mount('/mnt/with space/f', table) == ('/mnt/with space', 'xfs')
    assert kc.is_mountpoint('/sys/kernel/debug', table)
    assert not kc.is_mountpoint('/sys/kernel', table)
    assert kc.read_mounts(str(tmp_path / 'missing')) == []


def test_kernel_config_value_prefers_proc_config_gz(tmp_path):
    proc = tmp_path / 'config.gz'
    with gzip.open(str(proc), 'wb') as fobj:
        fobj.write(b'CONFIG_DEBUG_KMEMLEAK=y\n# CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF is not set\n')
    boot_fmt = str(tmp_path / 'config-%s')
    (tmp_path / 'config-6.1.0').write_text(u'# CONFIG_DEBUG_KMEMLEAK is not set\n')
    assert kc.kernel_config_value('CONFIG_DEBUG_KMEMLEAK', '6.1.0', str(proc), boot_fmt) == \
        ('y', str(proc))
    assert kc.kernel_config_value('CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF', '6.1.0', str(proc),
                                  boot_fmt) == ('n', str(proc))
    # absent from a readable config means "not set"
    assert kc.kernel_config_value('CONFIG_KASAN', '6.1.0', str(proc), boot_fmt) == \
        ('n', str(proc))


def test_kernel_config_value_falls_back_to_boot_config_and_none(tmp_path):
    boot_fmt = str(tmp_path / 'config-%s')
    (tmp_path / 'config-3.10.0').write_text(u'CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF=y\n')
    missing = str(tmp_path / 'nope.gz')
    assert kc.kernel_config_value('CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF', '3.10.0', missing,
                                  boot_fmt) == ('y', str(tmp_path / 'config-3.10.0'))
    assert kc.kernel_config_value('CONFIG_DEBUG_KMEMLEAK', '9.9', missing, boot_fmt) == \
        (None, None)


def test_corrupt_config_gz_is_skipped(tmp_path):
    proc = tmp_path / 'config.gz'
    proc.write_bytes(b'not gzip at all')
    boot_fmt = str(tmp_path / 'config-%s')
    (tmp_path / 'config-1').write_text(u'CONFIG_DEBUG_KMEMLEAK=y\n')
    assert kc.kernel_config_value('CONFIG_DEBUG_KMEMLEAK', '1', str(proc), boot_fmt)[0] == 'y'


def test_read_boot_id(tmp_path):
    path = tmp_path / 'boot_id'
    path.write_text(u'0F3C5E0A-0d6b-4c43-9a0e-4f2a1d8b9c11\n')
    assert kc.read_boot_id(str(path)) == '0f3c5e0a-0d6b-4c43-9a0e-4f2a1d8b9c11'
    path.write_text(u'garbage here!\n')
    assert kc.read_boot_id(str(path)) is None
    assert kc.read_boot_id(str(tmp_path / 'missing')) is None


def read_all(reader, size=4):
    data = b''
    while True:
        chunk = reader.read(size)
        if not chunk:
            return data
        data += chunk


# kmsg.LineReader replaced ReadCounter (issue 11: one chunked reader); these are its tests on
# real files, the line-end and cap rules are in test_kmsg.py

def test_line_reader_offset_stops_after_the_last_complete_line(tmp_path):
    path = tmp_path / 'serial.txt'
    path.write_bytes(b'one\ntwo\r\nthr')
    with open(str(path), 'rb') as fobj:
        reader = LineReader(fobj, 0, chunk_size=4)
        assert read_all(reader) == b'one\ntwo\nthr'
    assert reader.offset == len(b'one\ntwo\r\n')
    assert reader.lines == 3
    reader.check()  # no read error: nothing raised


def test_line_reader_start_offset_is_kept(tmp_path):
    path = tmp_path / 'capture.txt'
    path.write_bytes(b'old\nnew\n')
    with open(str(path), 'rb') as fobj:
        fobj.seek(4)
        reader = LineReader(fobj, 4)
        assert read_all(reader) == b'new\n'
    assert (reader.offset, reader.lines) == (8, 1)


def _gzip(path, data):
    with open(str(path), 'wb') as raw:
        with gzip.GzipFile(fileobj=raw, mode='wb') as gz:
            gz.write(data)
    return path.read_bytes()


def test_line_reader_keeps_the_read_error_for_check(tmp_path):
    path = tmp_path / 'cut.log.gz'
    whole = _gzip(tmp_path / 'whole.gz', b'line\n' * 20000)
    path.write_bytes(whole[:len(whole) // 2])
    with kc.open_input_file(str(path)) as fobj:
        reader = LineReader(fobj, 0)
        read_all(reader, size=65536)
        assert reader.read(10) == b''  # the parser sees the end of the input
        with pytest.raises(READ_ERRORS):
            reader.check()


def _gzip_cases(tmp_path):
    whole = _gzip(tmp_path / 'whole.gz', b''.join(b'line %d\n' % i for i in range(30000)))
    crc = bytearray(whole)
    crc[-8] ^= 0xff  # the CRC32 of the trailer
    size = bytearray(whole)
    size[-1] ^= 0x01  # ISIZE
    middle = bytearray(whole)
    middle[len(whole) // 2] ^= 0xff
    cases = dict(truncated=whole[:len(whole) // 2], truncated_trailer=whole[:-4], crc=bytes(crc),
                 size=bytes(size), damaged=bytes(middle), plain=b'not gzip at all\n', empty=b'',
                 two_members=whole + whole, padded=whole + b'\x00' * 100)
    out = {}
    for name, data in cases.items():
        path = tmp_path / ('%s.log.gz' % name)
        path.write_bytes(data)
        out[name] = str(path)
    return out


def test_inspect_gzip_tells_every_kind_of_bad_file(tmp_path):
    """Issue 11, item 5: the same answer on every Python (2.7 calls a truncated file a CRC
    error); the module tests run it on 2.7 and 3.6 through the integration targets."""
    paths = _gzip_cases(tmp_path)
    expected = dict(truncated='truncated gzip file', truncated_trailer='truncated gzip file',
                    crc='corrupt gzip file', size='corrupt gzip file', damaged='corrupt gzip file',
                    plain='not a gzip file', empty='not a gzip file', two_members=None, padded=None)
    assert dict((name, kc.inspect_gzip(path)) for name, path in paths.items()) == expected


def test_describe_read_error_reads_what_gzip_raised(tmp_path):
    paths = _gzip_cases(tmp_path)
    for name, path in paths.items():
        with kc.open_input_file(path) as fobj:
            reader = LineReader(fobj)
            read_all(reader, 65536)
        if name in ('two_members', 'padded', 'empty'):
            reader.check()  # gzip reads these whole (an empty file as empty) on every Python
            continue
        with pytest.raises(READ_ERRORS) as info:
            reader.check()
            raise AssertionError('%s: no read error' % name)
        text = kc.describe_read_error(path, info.value)
        assert text.startswith('is a truncated gzip file' if name.startswith('truncated') else
                               'is not a gzip file' if name == 'plain' else
                               'is a corrupt gzip file'), (name, text)
    assert kc.describe_read_error('x.log', OSError(errno.EIO, 'Input/output error')) == \
        'could not be read: EIO (Input/output error)'
    assert kc.describe_gzip_error(EOFError('cut')).startswith('is a truncated gzip file')
    assert kc.describe_gzip_error(OSError(errno.EIO, 'I/O error')) is None


def test_open_input_file_refuses_what_is_not_a_regular_file(tmp_path):
    """Issue 11, items 2 and 3: a FIFO (whose open would block forever), a directory, a
    device or a path with a NUL byte is refused with a clear message, before any open."""
    fifo = str(tmp_path / 'fifo')
    os.mkfifo(fifo)
    link = str(tmp_path / 'link-to-fifo')
    os.symlink(fifo, link)
    for path, kind in ((fifo, 'a FIFO'), (link, 'a FIFO'), (str(tmp_path), 'a directory'),
                       ('/dev/null', 'a character device')):
        with pytest.raises(kc.InputPathError) as info:
            kc.open_input_file(path, 'path[0]')
        assert str(info.value).startswith('path[0] %s is %s' % (path, kind)), info.value
    with pytest.raises(kc.InputPathError) as info:
        kc.open_input_file(str(tmp_path / 'a\x00b'))
    assert 'NUL byte' in str(info.value)
    with pytest.raises(OSError) as info:
        kc.open_input_file(str(tmp_path / 'missing'))
    assert info.value.errno == errno.ENOENT
    regular = tmp_path / 'ok.log'
    regular.write_bytes(b'x\n')
    with kc.open_input_file(str(regular)) as fobj:
        assert fobj.read() == b'x\n'


def test_describe_access_denied_names_what_is_not_allowed(tmp_path, monkeypatch):
    """Issue 11, item 7: the message says what is true for the path given."""
    monkeypatch.setattr(kc.os, 'geteuid', lambda: 1000)
    monkeypatch.setattr(kc.os, 'access', lambda path, mode: not (path == str(tmp_path) and mode == os.X_OK))
    text = kc.describe_access_denied(str(tmp_path / 'report.txt'))
    assert 'uid 1000' in text and 'may not enter the directory %s' % tmp_path in text
    monkeypatch.setattr(kc.os, 'access', lambda path, mode: True)
    text = kc.describe_access_denied(str(tmp_path / 'report.txt'))
    assert 'may not read %s' % (tmp_path / 'report.txt') in text and 'debugfs' not in text
    monkeypatch.setattr(kc.os, 'geteuid', lambda: 0)
    assert 'although the task runs as root' in kc.describe_access_denied(str(tmp_path))


def test_cap_text_lines():
    lines, cut = kc.cap_text_lines(['a', 'b', 'c'], 2)
    assert (lines, cut) == (['a', 'b'], True)
    lines, cut = kc.cap_text_lines(['x' * 2000], 5, max_len=10)
    assert cut and lines[0].startswith('x' * 10) and len(lines[0]) < 20
    assert kc.cap_text_lines([b'bytes\n'], 5) == (['bytes'], False)


def test_compile_regexes_names_the_bad_entry():
    assert len(kc.compile_regexes(['^a', 'b+'], 'ignore')) == 2
    with pytest.raises(ValueError) as info:
        kc.compile_regexes(['ok', '(unclosed'], 'ignore')
    assert 'ignore[1]' in str(info.value)


def test_stat_errno(tmp_path):
    assert kc.stat_errno(str(tmp_path)) is None
    assert kc.stat_errno(str(tmp_path / 'missing')) == errno.ENOENT


def test_kmsg_reader_splits_like_every_other_reader(tmp_path):
    """One line splitter (issue 11): CR runs end lines, over-long lines are cut and noted."""
    path = tmp_path / 'kmsg'
    path.write_bytes(b'6,1,0,-;one\r\n6,2,10,-;two\r6,3,20,-;' + b'x' * 20000 + b'\n6,4,30,-;four\r')
    with kc.KmsgReader(str(path), read_size=7) as reader:
        lines = list(reader.lines())
    assert [line[:12] for line in lines] == [b'6,1,0,-;one\n', b'6,2,10,-;two', b'6,3,20,-;xxx', b'6,4,30,-;fou']
    assert [len(line) for line in lines][2] == MAX_LINE_BYTES + 1
    assert lines[-1] == b'6,4,30,-;four\n'
    assert (reader.cut_lines, reader.cut_bytes) == (1, 20009 - MAX_LINE_BYTES)
    assert reader.notes == []


def test_kernel_path_is_the_kernels_unless_a_test_points_it_elsewhere(monkeypatch):
    monkeypatch.delenv('KDEBUG_KERNEL_TEST_PATH_KMSG', raising=False)
    assert kc.kernel_path('kmsg') == '/dev/kmsg'
    assert kc.kernel_path('sysrq_trigger') == '/proc/sysrq-trigger'
    monkeypatch.setenv('KDEBUG_KERNEL_TEST_PATH_KMSG', '/tmp/stand-in/kmsg')
    assert kc.kernel_path('kmsg') == '/tmp/stand-in/kmsg'
    assert kc.kernel_path('boot_id') == '/proc/sys/kernel/random/boot_id'
