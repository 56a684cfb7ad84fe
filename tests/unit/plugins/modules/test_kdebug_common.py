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


def read_all(counter, size=4):
    data = b''
    while True:
        chunk = counter.read(size)
        if not chunk:
            return data
        data += chunk


def test_read_counter_offset_stops_after_the_last_complete_line(tmp_path):
    path = tmp_path / 'serial.txt'
    path.write_bytes(b'one\ntwo\r\nthr')
    with open(str(path), 'rb') as fobj:
        counter = kc.ReadCounter(fobj, 0)
        assert read_all(counter) == path.read_bytes()
    assert counter.offset == len(b'one\ntwo\r\n')
    assert counter.lines == 3
    counter.check()  # no read error: nothing raised


def test_read_counter_long_line_over_many_reads(tmp_path):
    path = tmp_path / 'capture.txt'
    path.write_bytes(b'x' * 25 + b'\nshort\n' + b'y' * 12)
    with open(str(path), 'rb') as fobj:
        counter = kc.ReadCounter(fobj, 0)
        assert read_all(counter, size=10) == path.read_bytes()
    assert counter.offset == 25 + 1 + 6  # up to the end of the last complete line
    assert counter.lines == 3


def test_read_counter_start_offset_is_kept(tmp_path):
    path = tmp_path / 'capture.txt'
    path.write_bytes(b'old\nnew\n')
    with open(str(path), 'rb') as fobj:
        fobj.seek(4)
        counter = kc.ReadCounter(fobj, 4)
        assert read_all(counter) == b'new\n'
    assert (counter.offset, counter.lines) == (8, 1)


def test_read_counter_keeps_the_read_error_for_check(tmp_path):
    path = tmp_path / 'cut.log.gz'
    with open(str(tmp_path / 'whole.gz'), 'wb') as raw:
        with gzip.GzipFile(fileobj=raw, mode='wb') as gz:
            gz.write(b'line\n' * 20000)
    whole = (tmp_path / 'whole.gz').read_bytes()
    path.write_bytes(whole[:len(whole) // 2])
    with gzip.open(str(path), 'rb') as fobj:
        counter = kc.ReadCounter(fobj, 0)
        with pytest.raises(EOFError):
            read_all(counter, size=65536)
        assert counter.read(10) == b''  # the parser sees the end of the input
        with pytest.raises(EOFError):
            counter.check()


def test_describe_gzip_error_names_truncated_and_corrupt_files_only():
    import zlib
    assert kc.describe_gzip_error(EOFError('cut')) == 'truncated gzip file: cut'
    assert kc.describe_gzip_error(zlib.error('bad crc')) == 'corrupt gzip file: bad crc'
    assert kc.describe_gzip_error(OSError(errno.EIO, 'I/O error')) is None
    assert all(issubclass(cls, BaseException) for cls in kc.READ_ERRORS)


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
