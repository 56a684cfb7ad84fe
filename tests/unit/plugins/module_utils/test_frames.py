# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""frames: frame line forms from 2.6 to 6.x, instruction pointer lines, guilty frame choice."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils.frames import (
    Frame, base_func, guilty_frame, hang_extractor, is_bottom, parse_frame, parse_rip, parse_stack,
    section_marker, skip_regex, stall_extractor, strip_markers, title_func,
)

# line -> (normalized, func, reliable, module, raw)
FRAMES = [
    (' [<ffffffff8150d9ba>] kmemleak_alloc+0x4a/0xa0',
     ('kmemleak_alloc+0x4a/0xa0', 'kmemleak_alloc', True, None)),
    (' [] ? xfs_file_buffered_aio_write+0x71/0x2a0 [xfs]',
     ('? xfs_file_buffered_aio_write+0x71/0x2a0 [xfs]', 'xfs_file_buffered_aio_write', False, 'xfs')),
    ('    [<(____ptrval____)>] kmem_cache_alloc+0x1/0x2',
     ('kmem_cache_alloc+0x1/0x2', 'kmem_cache_alloc', True, None)),
    ('    [<0000000012345678>] kmalloc_trace+0x26/0x90',
     ('kmalloc_trace+0x26/0x90', 'kmalloc_trace', True, None)),
    (' ? __schedule+0x2e0/0x830',
     ('? __schedule+0x2e0/0x830', '__schedule', False, None)),
    (' mutex_lock_nested+0x1b/0x20 [mod 0123abcd]',
     ('mutex_lock_nested+0x1b/0x20 [mod]', 'mutex_lock_nested', True, 'mod')),
    (' __dump_stack lib/dump_stack.c:88 [inline]',
     ('__dump_stack lib/dump_stack.c:88 [inline]', '__dump_stack', True, None)),
    (' dump_stack_lvl+0x7d/0xa5 lib/dump_stack.c:106',
     ('dump_stack_lvl+0x7d/0xa5 lib/dump_stack.c:106', 'dump_stack_lvl', True, None)),
    ('  foo.isra.0+0x1/0x2',
     ('foo.isra.0+0x1/0x2', 'foo', True, None)),
    ('  bar.cold+0x1b/0x25 [bar]',
     ('bar.cold+0x1b/0x25 [bar]', 'bar', True, 'bar')),
    (' <NMI>  [<ffffffff81609b1e>] dump_stack+0x19/0x1b',
     ('dump_stack+0x19/0x1b', 'dump_stack', True, None)),
    (' <<EOE>>  <IRQ>  [<ffffffff8108a0be>] foo+0x1/0x2',
     ('foo+0x1/0x2', 'foo', True, None)),
    ('kmemleak:     [<ffffffff8150d9ba>] kmemleak_alloc+0x4a/0xa0',
     ('kmemleak_alloc+0x4a/0xa0', 'kmemleak_alloc', True, None)),
    ('[<c010e0f4>] (unwind_backtrace) from [<c010a8d8>] (show_stack+0x10/0x14)',
     ('unwind_backtrace', 'unwind_backtrace', True, None)),
    ('[c000000001a3fb30] [c000000000ee2a44] dump_stack+0xc4/0x114 (unreliable)',
     ('dump_stack+0xc4/0x114', 'dump_stack', True, None)),
    ('       [<ffffffff810d0a8e>] lock_acquire+0xae/0x130',
     ('lock_acquire+0xae/0x130', 'lock_acquire', True, None)),
]
RAW = [
    ('    0xffffffffc0a0b0c0', '0xffffffffc0a0b0c0'),
    ('    [<ffffffffffffffff>] 0xffffffffffffffff', '0xffffffffffffffff'),
    ('    [<          (null)>] (null)', '0x0'),
]
NOT_FRAMES = [
    ' ffff880071f0dc78 0000000000000046 00000000001d4640 ffff880071f0dfd8', 'Call Trace:', 'CPU: 0 PID: 1 Comm: x',
    'Hardware name: QEMU', 'hello world', ' schedule', 'INFO: task', ' #0:  (sb_writers#8){.+.+.+}, at: [] f+0x1/0x2',
    '  </TASK>', 'RIP: 0010:strlen+0x3/0x20', 'Code: 48 89 e5', '', '   ', 'x' * 600,
]


@pytest.mark.parametrize('line, expected', FRAMES)
def test_parse_frame(line, expected):
    f = parse_frame(line)
    assert (f.normalized(), f.func, f.reliable, f.module) == expected
    assert not f.raw


@pytest.mark.parametrize('line, address', RAW)
def test_parse_raw_frame(line, address):
    f = parse_frame(line)
    assert f.raw and f.address == address and f.func is None
    assert f.site() == '?'


@pytest.mark.parametrize('line', NOT_FRAMES)
def test_not_a_frame(line):
    assert parse_frame(line) is None


@pytest.mark.parametrize('line, func', [
    ('RIP: 0010:[<ffffffff8130a9d3>]  [<ffffffff8130a9d3>] strlen+0x3/0x20', 'strlen'),
    ('RIP: 0010:strlen+0x3/0x20', 'strlen'),
    ('IP: [<ffffffff8130a9d3>] strlen+0x3/0x20', 'strlen'),
    (' RIP  [<ffffffff8130a9d3>] strlen+0x3/0x20', 'strlen'),
    ('pc : foo+0x1/0x2', 'foo'),
    ('PC is at foo+0x1/0x2', 'foo'),
    ('NIP [c000000000123456] foo+0x1/0x2', 'foo'),
    ('EIP: [<c1234567>] foo+0x1/0x2 SS:ESP 0068:f1234567', 'foo'),
    ('RIP: 0033:0x7f12345678', None),
    ('RIP: 0033:foo+0x1/0x2', None),
    ('RSP: 0018:ffff88003b6e7e48  EFLAGS: 00010246', None),
])
def test_parse_rip(line, func):
    f = parse_rip(line)
    assert (f.func if f is not None else None) == func


def test_markers_and_bottom():
    assert section_marker(' <IRQ>') == ('IRQ', True)
    assert section_marker(' </IRQ>') == ('IRQ', False)
    assert section_marker(' <EOI>') == ('IRQ', False)
    assert section_marker(' <<EOE>>') == ('NMI', False)
    assert section_marker(' foo+0x1/0x2') is None
    assert strip_markers(' <<EOE>>  <IRQ>  [<ff>] x+0x1/0x2') == (('<<EOE>>', '<IRQ>'), '[<ff>] x+0x1/0x2')
    for line in (' ret_from_fork+0x1f/0x30', ' [<ffffffff817b8f92>] system_call_fastpath+0x25/0x2a',
                 ' entry_SYSCALL_64_after_hwframe+0x64/0xce', '    [<ffffffffffffffff>] 0xffffffffffffffff',
                 ' [<ffffffff817b84b7>] ret_from_fork_nospec_end+0x0/0x39'):
        assert is_bottom(parse_frame(line)), line
    assert not is_bottom(parse_frame(' kthread+0xd7/0x100'))


def test_names():
    assert base_func('foo.isra.0') == 'foo' and base_func('.hidden') == '.hidden'
    assert title_func('SyS_write') == 'sys_write' and title_func('compat_SyS_ioctl') == 'compat_sys_ioctl'
    assert title_func('vfs_write') == 'vfs_write'


def _frames(*names):
    return [parse_frame(' %s+0x1/0x2' % n) if not n.startswith('?') else parse_frame(' ? %s+0x1/0x2' % n[1:])
            for n in names]


def test_guilty_frame_skips_infrastructure():
    frames = _frames('dump_stack_lvl', 'print_report', 'kasan_report', '?foo_bad', '__kmalloc', 'mutex_lock_nested',
                     '_raw_spin_lock', 'lock_acquire', 'foo_bad', 'do_syscall_64')
    assert guilty_frame(frames) == 'foo_bad'
    assert guilty_frame(_frames('dump_stack', 'entry_SYSCALL_64_after_hwframe')) is None
    assert guilty_frame(frames, skip_regex(('foo_bad',))) is None
    assert guilty_frame([parse_frame('    0xffffffffc0a0b0c0')] + _frames('bar')) == 'bar'


def test_hang_extractor():
    assert hang_extractor(['io_schedule', 'bit_wait_io', '__wait_on_bit_lock', 'do_get_write_access']) == \
        'do_get_write_access'
    assert hang_extractor(['rwsem_down_write_slowpath', 'down_write', 'ext4_buffered_write_iter']) == \
        'ext4_buffered_write_iter'
    # syzkaller groups hangs on the RTNL and on synchronize_rcu
    assert hang_extractor(['foo', 'rtnl_lock', 'bar']) == 'rtnl_lock'
    assert hang_extractor(['wait_for_completion', 'synchronize_rcu_expedited', 'x']) == 'synchronize_rcu'
    assert hang_extractor(['wait_for_completion']) is None


def test_stall_extractor():
    # the frame above the first dispatcher / syscall layer frame
    assert stall_extractor(_frames('loop_fn', 'foo_write', 'vfs_write', 'ksys_write')) == 'foo_write'
    assert stall_extractor(_frames('bar_walk', 'bar_ioctl', '__x64_sys_ioctl', 'do_syscall_64')) == 'bar_ioctl'
    assert stall_extractor(_frames('poll_work', 'process_one_work', 'worker_thread')) == 'poll_work'
    # nothing above the syscall: the syscall itself, named like syzbot does
    assert stall_extractor(_frames('__x64_sys_timer_create', 'do_syscall_64')) == 'sys_timer_create'
    # no anchor: the first blamable frame
    assert stall_extractor(_frames('_raw_spin_lock', 'poll_hw', 'worker_fn', 'kthread')) == 'poll_hw'
    assert guilty_frame(_frames('a', 'vfs_read'), extractor='stall') == 'a'


def test_parse_stack():
    frames = parse_stack(['Call Trace:', ' <TASK>', ' a+0x1/0x2', ' ? b+0x1/0x2', ' </TASK>', 'next message',
                          ' c+0x1/0x2'])
    assert [f.normalized() for f in frames] == ['a+0x1/0x2', '? b+0x1/0x2']


def test_frame_object():
    f = Frame(func='x', symbol='x.cold', offset='+0x1/0x2', module='m', reliable=False)
    assert str(f) == '? x.cold+0x1/0x2 [m]' and f.site() == 'x.cold+0x1/0x2 [m]'
    assert repr(f) == "Frame('? x.cold+0x1/0x2 [m]')"
