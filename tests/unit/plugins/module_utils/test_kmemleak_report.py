# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kmemleak_report: records of 3.10 and 6.x, the log (verbose) form, deduplication, ignore,
caps, and the fast debugfs path giving the same result as the line parser."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import (
    parse_records, summarize, summarize_stream,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import iter_lines
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

RECORD_KEYS = {'address', 'size', 'kind', 'comm', 'pid', 'jiffies', 'age', 'hex', 'crc', 'backtrace', 'function',
               'corrupted', 'line'}
FINDING_KEYS = {'title', 'function', 'count', 'bytes', 'sizes', 'comm', 'backtrace', 'signature', 'example'}


def _records(name):
    return list(parse_records(iter_lines(io.BytesIO(pf.load(name)))))


def test_rhel7_records():
    recs = _records('kmemleak_debugfs_rhel7.txt')
    assert len(recs) == 3
    r = recs[0]
    assert set(r) == RECORD_KEYS
    assert (r['address'], r['size'], r['kind'], r['comm'], r['pid'], r['jiffies']) == (
        '0xffff88003a1c2d00', 64, '', 'modprobe', 3560, 4295123456)
    assert r['age'] == pytest.approx(123.456)
    assert r['hex'] == ['6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk',
                        '6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b a5  kkkkkkkkkkkkkkk.']
    assert r['crc'] is None
    assert r['backtrace'][0] == 'kmemleak_alloc+0x4e/0xb0'
    assert r['backtrace'][-1] == '0xffffffffffffffff'
    assert r['function'] == 'quux_setup'
    assert r['corrupted'] is False
    assert r['line'] == 1
    assert [x['function'] for x in recs] == ['quux_setup', 'quux_setup', 'xfs_log_commit_cil']
    assert recs[2]['line'] == 31


def test_6x_records():
    recs = _records('kmemleak_debugfs_6x.txt')
    assert [(r['function'], r['kind'], r['crc'], r['age'], r['corrupted']) for r in recs] == [
        ('foo_newlink', '', '5e6a7d1f', None, False),
        ('bar_handle_event', '', '0', None, False),
        ('baz_init_stats', 'percpu', '0', None, False)]
    assert recs[1]['backtrace'][:2] == ['kmemleak_alloc_recursive include/linux/kmemleak.h:42 [inline]',
                                        'slab_post_alloc_hook mm/slub.c:3945 [inline]']
    assert recs[2]['backtrace'][2] == '0xffffffffc0a0b0c0'
    assert recs[2]['hex'] == []


def test_log_form_with_prefixes():
    recs = _records('kmemleak_log_verbose.log')
    assert [(r['address'], r['function'], r['pid'], len(r['backtrace'])) for r in recs] == [
        ('0xffff888104c5a400', 'foo_newlink', 2205, 5), ('0xffff888104c5a800', 'foo_newlink', 2207, 5)]


def test_summarize_deduplicates_by_call_site():
    s = summarize(_records('kmemleak_debugfs_rhel7.txt'))
    assert s['records'] == 3 and s['truncated'] is False
    first, second = s['findings']
    assert set(first) >= FINDING_KEYS
    assert (first['title'], first['count'], first['bytes'], first['sizes'], first['comm']) == (
        'memory leak in quux_setup', 2, 128, [64], ['modprobe'])
    assert first['example']['address'] == '0xffff88003a1c2d00'
    assert (second['title'], second['count'], second['bytes']) == ('memory leak in xfs_log_commit_cil', 1, 4096)
    assert first['signature'] != second['signature'] and len(first['signature']) == 16


@pytest.mark.parametrize('name', ['kmemleak_debugfs_rhel7.txt', 'kmemleak_debugfs_6x.txt', 'kmemleak_log_verbose.log'])
def test_fast_path_equals_line_parser(name):
    data = pf.load(name)
    slow = summarize(parse_records(iter_lines(io.BytesIO(data))))
    assert summarize_stream(io.BytesIO(data)) == slow
    assert summarize(io.BytesIO(data)) == slow
    assert summarize(data.decode('utf-8')) == slow
    # records as lines (not dicts) are parsed too
    assert summarize(data.decode('utf-8').splitlines()) == slow
    # with the source comment left in, the report still parses the same (line parser path)
    with_comment = summarize_stream(io.BytesIO(pf.raw(name)))
    assert [(f['title'], f['count'], f['signature']) for f in with_comment['findings']] == [
        (f['title'], f['count'], f['signature']) for f in slow['findings']]


def test_fast_path_over_many_chunks():
    one = pf.load('kmemleak_debugfs_rhel7.txt')
    data = one * 4000  # ~8 MB, several read chunks, records cut at chunk edges
    s = summarize_stream(io.BytesIO(data))
    assert s['records'] == 12000
    assert [(f['title'], f['count']) for f in s['findings']] == [
        ('memory leak in quux_setup', 8000), ('memory leak in xfs_log_commit_cil', 4000)]
    assert s == summarize(parse_records(iter_lines(io.BytesIO(data))))


def test_ignore_and_max_findings():
    recs = _records('kmemleak_debugfs_rhel7.txt') + _records('kmemleak_debugfs_6x.txt')
    s = summarize(recs, ignore=['^xfs_', 'modprobe'])
    assert [f['function'] for f in s['findings']] == ['foo_newlink', 'bar_handle_event']
    assert s['ignored'] == 4 and s['records'] == 6
    s = summarize(recs, ignore=['[invalid regex'])
    assert len(s['findings']) == 5
    s = summarize(recs, max_findings=2)
    assert len(s['findings']) == 2 and s['truncated'] is True and s['records'] == 6


def test_cut_records_are_corrupted():
    lines = pf.text_lines('kmemleak_debugfs_6x.txt')
    recs = list(parse_records(lines[:3]))  # header, comm, hex header: no backtrace
    assert len(recs) == 1 and recs[0]['corrupted'] is True
    recs = list(parse_records(['unreferenced object 0xffff888104c5a400 (size 512)']))
    assert recs[0]['corrupted'] is True
    cut = lines[:9] + ['    [<ffffffff8a297b3d>] kmalloc_tr']
    recs = list(parse_records(cut))
    assert recs[0]['corrupted'] is True


def test_feeding_twice_doubles_counts():
    data = pf.load('kmemleak_debugfs_6x.txt')
    once = summarize_stream(io.BytesIO(data))
    twice = summarize_stream(io.BytesIO(data * 2))
    assert twice['records'] == 2 * once['records']
    assert [f['count'] for f in twice['findings']] == [2 * f['count'] for f in once['findings']]


def test_empty_and_junk_input():
    assert summarize([]) == dict(records=0, findings=[], truncated=False, ignored=0, corrupted=0)
    assert summarize_stream(io.BytesIO(b'')) == summarize([])
    assert summarize_stream(io.BytesIO(b'\x00\xff' * 1000))['records'] == 0
    assert list(parse_records([None, 5, b'\xff'])) == []


def _plain(name):
    return b''.join(line for line in pf.raw(name).splitlines(True) if not line.startswith(b'#'))


def test_cr_only_report_loses_no_record():
    """Issue 11, item 1: a report whose lines end with CR only (a serial capture without LF)
    is read whole; before, 1451 of 8706 records of this 6 MB input were found."""
    data = (_plain('kmemleak_debugfs_6x.txt') * 2902).replace(b'\n', b'\r')
    assert len(data) > 6 * 1024 * 1024
    s = summarize_stream(io.BytesIO(data))
    assert s['records'] == 8706
    assert s == summarize_stream(io.BytesIO(data.replace(b'\r', b'\n')))
    crlf = summarize_stream(io.BytesIO(_plain('kmemleak_debugfs_6x.txt').replace(b'\n', b'\r\r\n')))
    assert crlf == summarize_stream(io.BytesIO(_plain('kmemleak_debugfs_6x.txt')))


GARBLED = [b'    [<ffffffff8a297b3d>] kmalloc_tr\xff\xfece+0x2d/0x80',
           b'    [<ffffffff8a2\x00\xc3(b3d>] \xff',
           b'    \xe9\xe9\xe9']


@pytest.mark.parametrize('garbage', GARBLED)
def test_garbled_frame_line_is_skipped_and_the_record_marked(garbage):
    """Issue 11, item 4: one garbled frame line (invalid UTF-8, NUL) no longer ends the
    backtrace: the frames after it are kept, so separate leaks are not merged under an empty
    signature, and the record is marked corrupted."""
    lines = _plain('kmemleak_debugfs_rhel7.txt').split(b'\n')
    bt = [i for i, line in enumerate(lines) if line.strip().startswith(b'backtrace')]
    for i in reversed(bt):
        lines.insert(i + 1, garbage)  # before the first frame of every record
    data = b'\n'.join(lines)
    whole = summarize_stream(io.BytesIO(_plain('kmemleak_debugfs_rhel7.txt')))
    for s in (summarize_stream(io.BytesIO(data)), summarize(parse_records(iter_lines(io.BytesIO(data))))):
        assert s['records'] == 3 and s['corrupted'] == 3
        assert [(f['title'], f['count'], f['signature']) for f in s['findings']] == [
            (f['title'], f['count'], f['signature']) for f in whole['findings']]
    recs = list(parse_records(iter_lines(io.BytesIO(data))))
    assert all(r['corrupted'] for r in recs)
    assert recs[0]['backtrace'] == list(parse_records(iter_lines(io.BytesIO(
        _plain('kmemleak_debugfs_rhel7.txt')))))[0]['backtrace']


def test_fast_path_strips_nul_from_comm_like_the_line_parser():
    """Issue 11, item 6: a NUL (or another control byte) in comm gives the same comm on both
    paths (the fast path kept it)."""
    data = _plain('kmemleak_debugfs_6x.txt').replace(b'comm "ip"', b'comm "i\x00p\x07"', 1)
    fast = summarize_stream(io.BytesIO(data))
    assert fast == summarize(parse_records(iter_lines(io.BytesIO(data))))
    assert 'ip' in fast['findings'][0]['comm'] or 'ip' in fast['findings'][1]['comm']
    assert not any('\x00' in c for f in fast['findings'] for c in f['comm'])
