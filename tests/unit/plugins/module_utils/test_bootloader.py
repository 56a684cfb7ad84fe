# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/bootloader.py.

Fixtures (tests/unit/fixtures/bootloader/, each says where it comes from):
- debian12_grub_after_install.cfg: written from Debian bookworm's grub-mkconfig scripts'
  output format (00_header, 10_linux) plus the role's 42_kdebug entry;
- el7_grubby_info_all.txt, el8_grubby_info_all.txt: written from grubby's documented
  ``--info=ALL`` output (C grubby on EL 7, grubby-bls on EL 8); no EL host is reachable here;
- grubenv_saved: a 1024-byte environment block in grub-editenv's format.
The grubby models below (BlsGrubby, CGrubby) encode how the two grubby implementations match
arguments by key, as their sources describe it; they test the plan's invariants, they do not
replace a run on a real EL host.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.kdebug.kernel.plugins.module_utils import bootloader as bl

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', '..', 'fixtures', 'bootloader')
UUID = '3f1c2a7e-5b6d-4c2e-9a1b-0d2e3f4a5b6c'
LAB_ARGS = ['kmemleak=on', 'sysrq_always_enabled', 'console=ttyS0,115200n8']


def read(name, strip_comments=True):
    with open(os.path.join(FIX, name)) as f:
        text = f.read()
    if strip_comments and name.endswith('.txt'):
        text = ''.join(line for line in text.splitlines(True) if not line.startswith('#'))
    return text


@pytest.fixture(scope='module')
def debian_cfg():
    return bl.parse_grub_cfg(read('debian12_grub_after_install.cfg'))


# ------------------------------------------------------------------ grub script words

@pytest.mark.parametrize('line,words', [
    ("menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-x' {",
     ['menuentry', 'Debian GNU/Linux', '--class', 'debian', '$menuentry_id_option', 'gnulinux-simple-x', '{']),
    ("menuentry 'It'\\''s' --id a {", ['menuentry', "It's", '--id', 'a', '{']),
    ('set default="${saved_entry}"', ['set', 'default=${saved_entry}']),
    ('echo "a \\"b\\" \\$c"', ['echo', 'a "b" $c']),
    ('linux\t/boot/vmlinuz-1 root=UUID=x ro  quiet ', ['linux', '/boot/vmlinuz-1', 'root=UUID=x', 'ro', 'quiet']),
    ('a\\ b c', ['a b', 'c']),
    ("x ''", ['x', '']),
])
def test_grub_split(line, words):
    assert bl.grub_split(line) == words


@pytest.mark.parametrize('line', ["menuentry 'open {", 'echo "open'])
def test_grub_split_unbalanced(line):
    assert bl.grub_split(line) is None


@pytest.mark.parametrize('path,release', [
    ('/boot/vmlinuz-6.1.192+debug', '6.1.192+debug'),
    ('/vmlinuz-6.1.0-28-amd64', '6.1.0-28-amd64'),
    ('/lib/modules/4.18.0-513.el8.x86_64+debug/vmlinuz', '4.18.0-513.el8.x86_64+debug'),
    ('(hd0,gpt2)/vmlinuz-5.14.0', '5.14.0'),
    ('/boot/efi/EFI/fedora/shimx64.efi', None),
    (None, None),
])
def test_release_of(path, release):
    assert bl.release_of(path) == release


# ------------------------------------------------------------------ grub.cfg

def test_grub_cfg_tree(debian_cfg):
    items = debian_cfg['items']
    assert [i['type'] for i in items] == ['menuentry', 'submenu', 'menuentry', 'menuentry']
    assert [i['id'] for i in items] == ['gnulinux-simple-' + UUID, 'gnulinux-advanced-' + UUID,
                                        'uefi-firmware', 'kdebug-6.1.192+debug']
    assert debian_cfg['default'] == '${saved_entry}'
    sub = items[1]
    assert sub['title'] == 'Advanced options for Debian GNU/Linux'
    assert [c['index'] for c in sub['children']] == [0, 1, 2, 3]
    third = sub['children'][2]
    assert third['path_index'] == '1>2'
    assert third['path_id'] == 'gnulinux-advanced-%s>gnulinux-6.1.0-28-amd64-advanced-%s' % (UUID, UUID)
    assert third['path_title'] == 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-28-amd64'
    assert third['kernel'] == '/boot/vmlinuz-6.1.0-28-amd64'
    assert third['release'] == '6.1.0-28-amd64'
    assert third['args'] == 'root=UUID=%s ro console=tty0 console=ttyS0,115200n8' % UUID
    assert third['initrd'] == ['/boot/initrd.img-6.1.0-28-amd64']
    assert not third['recovery'] and not third['debug']


def test_grub_cfg_flags(debian_cfg):
    by_id = dict((e['id'], e) for e in debian_cfg['entries'])
    assert by_id['gnulinux-6.1.0-28-amd64-recovery-' + UUID]['recovery']
    ours = by_id['kdebug-6.1.192+debug']
    assert ours['debug'] and not ours['recovery']
    assert ours['args'].split()[-3:] == LAB_ARGS
    assert by_id['uefi-firmware']['kernel'] is None
    # 7 menu entries: simple, 4 in the submenu, firmware, ours
    assert len(debian_cfg['entries']) == 7


def test_grub_cfg_function_braces_do_not_confuse():
    cfg = bl.parse_grub_cfg('function f {\n  menuentry inner {\n  }\n}\nmenuentry a --id x {\nlinux /vmlinuz-1 q\n}\n')
    assert [i['id'] for i in cfg['items']] == ['x']
    assert cfg['entries'][0]['args'] == 'q'


def test_grub_cfg_fixed_default():
    cfg = bl.parse_grub_cfg('if [ "${next_entry}" ] ; then\n set default="${next_entry}"\nelse\n set default="1>0"\nfi\n')
    assert cfg['default'] == '1>0'


@pytest.mark.parametrize('ref,expected', [
    (None, 'gnulinux-simple-' + UUID),
    ('', 'gnulinux-simple-' + UUID),
    ('0', 'gnulinux-simple-' + UUID),
    ('1>2', 'gnulinux-6.1.0-28-amd64-advanced-' + UUID),
    ('gnulinux-advanced-%s>gnulinux-6.1.0-28-amd64-advanced-%s' % (UUID, UUID), 'gnulinux-6.1.0-28-amd64-advanced-' + UUID),
    ('Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-28-amd64',
     'gnulinux-6.1.0-28-amd64-advanced-' + UUID),
    ('1>Debian GNU/Linux, with Linux 6.1.192+debug (recovery mode)', 'gnulinux-6.1.192+debug-recovery-' + UUID),
    ('kdebug-6.1.192+debug', 'kdebug-6.1.192+debug'),
    ('3', 'kdebug-6.1.192+debug'),
    ('Debian GNU/Linux', 'gnulinux-simple-' + UUID),
])
def test_resolve_default(debian_cfg, ref, expected):
    entry = bl.resolve_default(debian_cfg['items'], ref)
    assert entry is not None and entry['id'] == expected


@pytest.mark.parametrize('ref', ['1', '9', '1>9', '0>0', 'no-such-entry', 'gnulinux-6.1.0-28-amd64-advanced-' + UUID])
def test_resolve_default_none(debian_cfg, ref):
    # a submenu itself, out of range, below a plain entry, unknown, or a nested id without its submenu
    assert bl.resolve_default(debian_cfg['items'], ref) is None


def test_split_default_escapes():
    assert bl.split_default('a>>b>c') == ['a>b', 'c']
    assert bl.split_default('x') == ['x']
    cfg = bl.parse_grub_cfg("submenu 'S>T' --id s {\nmenuentry 'U' --id u {\nlinux /vmlinuz-2\n}\n}\n")
    entry = cfg['entries'][0]
    assert entry['path_title'] == 'S>>T>U'
    assert bl.resolve_default(cfg['items'], entry['path_title'])['id'] == 'u'


# ------------------------------------------------------------------ grubenv, /etc/default/grub

def test_grubenv():
    env = bl.parse_grubenv(read('grubenv_saved'))
    assert env == {'saved_entry': 'gnulinux-advanced-%s>gnulinux-6.1.0-28-amd64-advanced-%s' % (UUID, UUID),
                   'next_entry': ''}
    assert bl.parse_grubenv('# GRUB Environment Block\n' + '#' * 1000) == {}


def test_default_grub():
    text = ('# comment\nGRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n'
            'GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n'
            'GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"\n'
            "GRUB_DEFAULT='saved'\n")
    values, lines = bl.parse_shell_assignments(text)
    assert values['GRUB_DEFAULT'] == 'saved'
    assert lines['GRUB_DEFAULT'] == "GRUB_DEFAULT='saved'"
    assert values['GRUB_CMDLINE_LINUX'] == 'console=tty0 console=ttyS0,115200n8'
    assert values['GRUB_TIMEOUT'] == '5'


# ------------------------------------------------------------------ grubby --info=ALL

def test_grubby_el7():
    entries = bl.parse_grubby_info(read('el7_grubby_info_all.txt'))
    assert [e['index'] for e in entries] == [0, 1, 2, 3, 4]
    e1 = entries[1]
    assert e1['kernel'] == '/boot/vmlinuz-3.10.0-1160.el7.x86_64.debug'
    assert e1['release'] == '3.10.0-1160.el7.x86_64.debug'
    assert e1['title'] == 'CentOS Linux (3.10.0-1160.el7.x86_64.debug) 7 (Core)'
    assert e1['args'].split()[:2] == ['ro', 'crashkernel=auto']
    assert e1['root'] == '/dev/mapper/centos-root'
    assert e1['id'] is None and e1['debug']
    # without an id, the title is what grub2-set-default/grub2-reboot get
    assert bl.grub_ref(e1) == e1['title']
    assert entries[3]['recovery']
    assert entries[4]['kernel'] is None and entries[4]['notes'] == ['non linux entry']


def test_grubby_el8():
    entries = bl.parse_grubby_info(read('el8_grubby_info_all.txt'))
    assert len(entries) == 4
    e1 = entries[1]
    assert e1['kernel'] == '/boot/vmlinuz-4.18.0-513.5.1.el8_9.x86_64+debug'
    assert e1['args'].endswith('rhgb quiet $tuned_params')
    assert e1['initrd'] == ['/boot/initramfs-4.18.0-513.5.1.el8_9.x86_64+debug.img', '$tuned_initrd']
    assert e1['id'] == 'e3b4c8a1d2f04e5b8c7a6d5e4f3a2b1c-4.18.0-513.5.1.el8_9.x86_64+debug'
    assert bl.grub_ref(e1) == e1['id']
    assert entries[3]['recovery'] and not entries[3]['debug']
    assert bl.find_by_ref(entries, e1['id']) is e1
    assert bl.find_by_ref(entries, e1['title']) is e1
    assert bl.find_by_ref(entries, '2') is entries[2]
    assert bl.find_by_ref(entries, 'nope') is None


# ------------------------------------------------------------------ choosing the debug entry

def test_select_newest_debug_el8():
    entries = bl.parse_grubby_info(read('el8_grubby_info_all.txt'))
    entry, reason = bl.select_debug_entry(entries)
    # 513 > 80 numerically; a string comparison would pick 80
    assert entry['release'] == '4.18.0-513.5.1.el8_9.x86_64+debug'
    assert reason == 'newest debug kernel'


def test_select_match_running_el7_and_el8():
    el7 = bl.parse_grubby_info(read('el7_grubby_info_all.txt'))
    e, _r = bl.select_debug_entry(el7, match_release='3.10.0-957.el7.x86_64')
    assert e['kernel'] == '/boot/vmlinuz-3.10.0-957.el7.x86_64.debug'
    el8 = bl.parse_grubby_info(read('el8_grubby_info_all.txt'))
    e, _r = bl.select_debug_entry(el8, match_release='4.18.0-80.el8.x86_64')
    assert e['release'] == '4.18.0-80.el8.x86_64+debug'
    e, reason = bl.select_debug_entry(el8, match_release='4.18.0-477.el8.x86_64')
    assert e is None and '4.18.0-477.el8.x86_64+debug' in reason


def test_select_by_id_kernel_release(debian_cfg):
    entries = debian_cfg['entries']
    assert bl.select_debug_entry(entries, entry_id='kdebug-6.1.192+debug')[0]['id'] == 'kdebug-6.1.192+debug'
    e = bl.select_debug_entry(entries, release='6.1.0-28-amd64')[0]
    assert e['id'] == 'gnulinux-6.1.0-28-amd64-advanced-' + UUID
    assert bl.select_debug_entry(entries, kernel='/boot/vmlinuz-9')[0] is None
    assert bl.select_debug_entry([], )[0] is None


def test_select_never_rescue():
    entries = bl.parse_grubby_info(read('el7_grubby_info_all.txt'))
    for e in entries:
        e['release'] = e['release'] and e['release'] + '.debug'  # make every entry look like a debug one
        e['debug'] = True
    chosen, _r = bl.select_debug_entry(entries)
    assert not chosen['recovery']


# ------------------------------------------------------------------ the previous default

def test_choose_previous_after_install(debian_cfg):
    # before: no saved_entry, so GRUB booted entry 0 (then 6.1.0-28-amd64). After installing the
    # debug kernel entry 0 boots 6.1.192+debug: the previous kernel's own entry must be chosen.
    items, entries = debian_cfg['items'], debian_cfg['entries']
    raw_entry = bl.resolve_default(items, '')
    ch = bl.choose_previous(entries, None, raw_entry, '6.1.0-28-amd64',
                            'root=UUID=%s ro console=tty0 console=ttyS0,115200n8' % UUID, 'kdebug-')
    assert not ch['exact']
    assert ch['ref'] == 'gnulinux-advanced-%s>gnulinux-6.1.0-28-amd64-advanced-%s' % (UUID, UUID)
    assert bl.resolve_default(items, ch['ref'])['release'] == '6.1.0-28-amd64'


def test_choose_previous_exact(debian_cfg):
    items, entries = debian_cfg['items'], debian_cfg['entries']
    raw = '1>2'
    ch = bl.choose_previous(entries, raw, bl.resolve_default(items, raw), '6.1.0-28-amd64')
    assert ch == dict(entry=bl.resolve_default(items, raw), ref='1>2', exact=True)
    # our own entry is never "the previous default", even with the same release
    ours = bl.resolve_default(items, 'kdebug-6.1.192+debug')
    ch = bl.choose_previous(entries, 'kdebug-6.1.192+debug', ours, '6.1.192+debug', None, 'kdebug-')
    assert not ch['exact'] and ch['entry']['id'] != 'kdebug-6.1.192+debug' and not ch['entry']['recovery']
    assert bl.choose_previous(entries, None, None, '5.0.0')['entry'] is None


def test_choose_previous_el8():
    entries = bl.parse_grubby_info(read('el8_grubby_info_all.txt'))
    ch = bl.choose_previous(entries, entries[0]['id'], entries[0], '4.18.0-513.5.1.el8_9.x86_64')
    assert ch['exact'] and ch['ref'] == entries[0]['id']
    ch = bl.choose_previous(entries, 'gone', None, '4.18.0-513.5.1.el8_9.x86_64')
    assert not ch['exact'] and ch['ref'] == entries[0]['id']


# ------------------------------------------------------------------ versions

@pytest.mark.parametrize('a,b,res', [
    # from rpm's own test suite (tests/rpmvercmp.at)
    ('1.0', '1.0', 0), ('1.0', '2.0', -1), ('2.0', '1.0', 1), ('2.0.1', '2.0.1', 0),
    ('2.0', '2.0.1', -1), ('2.0.1', '2.0', 1), ('2.0.1a', '2.0.1a', 0), ('2.0.1a', '2.0.1', 1),
    ('2.0.1', '2.0.1a', -1), ('5.5p1', '5.5p1', 0), ('5.5p1', '5.5p2', -1), ('5.5p2', '5.5p1', 1),
    ('5.5p10', '5.5p10', 0), ('5.5p1', '5.5p10', -1), ('5.5p10', '5.5p1', 1), ('10xyz', '10.1xyz', -1),
    ('10.1xyz', '10xyz', 1), ('xyz10', 'xyz10', 0), ('xyz10', 'xyz10.1', -1), ('xyz10.1', 'xyz10', 1),
    ('xyz.4', 'xyz.4', 0), ('xyz.4', '8', -1), ('8', 'xyz.4', 1), ('xyz.4', '2', -1), ('2', 'xyz.4', 1),
    ('5.5p2', '5.6p1', -1), ('5.6p1', '5.5p2', 1), ('5.6p1', '6.5p1', -1), ('6.5p1', '5.6p1', 1),
    ('6.0.rc1', '6.0', 1), ('6.0', '6.0.rc1', -1), ('10b2', '10a1', 1), ('10a2', '10b2', -1),
    ('1.0aa', '1.0aa', 0), ('1.0a', '1.0aa', -1), ('1.0aa', '1.0a', 1), ('10.0001', '10.0001', 0),
    ('10.0001', '10.1', 0), ('10.1', '10.0001', 0), ('10.0001', '10.0039', -1), ('10.0039', '10.0001', 1),
    ('4.999.9', '5.0', -1), ('5.0', '4.999.9', 1), ('20101121', '20101121', 0), ('20101121', '20101122', -1),
    ('20101122', '20101121', 1), ('2_0', '2_0', 0), ('2.0', '2_0', 0), ('2_0', '2.0', 0),
    ('a', 'a', 0), ('a+', 'a+', 0), ('a+', 'a_', 0), ('a_', 'a+', 0), ('+a', '+a', 0), ('+a', '_a', 0),
    ('_a', '+a', 0), ('+_', '+_', 0), ('_+', '+_', 0), ('_+', '_+', 0), ('+', '_', 0), ('_', '+', 0),
    ('1.0~rc1', '1.0~rc1', 0), ('1.0~rc1', '1.0', -1), ('1.0', '1.0~rc1', 1), ('1.0~rc1', '1.0~rc2', -1),
    ('1.0~rc2', '1.0~rc1', 1), ('1.0~rc1~git123', '1.0~rc1~git123', 0), ('1.0~rc1~git123', '1.0~rc1', -1),
    ('1.0~rc1', '1.0~rc1~git123', 1), ('1.0^', '1.0^', 0), ('1.0^', '1.0', 1), ('1.0', '1.0^', -1),
    ('1.0^git1', '1.0^git1', 0), ('1.0^git1', '1.0', 1), ('1.0', '1.0^git1', -1), ('1.0^git1', '1.0^git2', -1),
    ('1.0^git2', '1.0^git1', 1), ('1.0^git1', '1.01', -1), ('1.01', '1.0^git1', 1),
    ('1.0^20160101', '1.0^20160101', 0), ('1.0^20160101', '1.0.1', -1), ('1.0.1', '1.0^20160101', 1),
    ('1.0^20160101^git1', '1.0^20160101^git1', 0), ('1.0^20160102', '1.0^20160101^git1', 1),
    ('1.0^20160101^git1', '1.0^20160102', -1), ('1.0~rc1^git1', '1.0~rc1^git1', 0),
    ('1.0~rc1^git1', '1.0~rc1', 1), ('1.0~rc1', '1.0~rc1^git1', -1), ('1.0^git1~pre', '1.0^git1~pre', 0),
    ('1.0^git1', '1.0^git1~pre', 1), ('1.0^git1~pre', '1.0^git1', -1),
    # kernel releases
    ('4.18.0-513.el8.x86_64+debug', '4.18.0-80.el8.x86_64+debug', 1),
    ('3.10.0-1160.el7.x86_64.debug', '3.10.0-957.el7.x86_64.debug', 1),
])
def test_rpmvercmp(a, b, res):
    assert bl.rpmvercmp(a, b) == res


@given(st.text(alphabet='0123456789ab.~^-+_', max_size=10), st.text(alphabet='0123456789ab.~^-+_', max_size=10))
def test_rpmvercmp_antisymmetric(a, b):
    forward = bl.rpmvercmp(a, b)
    backward = bl.rpmvercmp(b, a)  # pylint: disable=arguments-out-of-order
    assert forward == -backward


def test_newest():
    assert bl.newest(['4.18.0-80.el8', '4.18.0-513.el8', '4.18.0-477.el8']) == '4.18.0-513.el8'
    assert bl.newest([]) is None


# ------------------------------------------------------------------ command lines

@pytest.mark.parametrize('current,wanted,remove,expected', [
    # the lab: every kernel already writes to both consoles; ttyS0 stays last (/dev/console)
    ('root=UUID=u ro console=tty0 console=ttyS0,115200n8', LAB_ARGS, [],
     'root=UUID=u ro console=tty0 kmemleak=on sysrq_always_enabled console=ttyS0,115200n8'),
    # a new console is added after the existing ones, which stay
    ('ro quiet console=tty0', LAB_ARGS, [], 'ro quiet console=tty0 kmemleak=on sysrq_always_enabled console=ttyS0,115200n8'),
    # the method's order: the user lists tty0 last, so tty0 becomes /dev/console
    ('ro console=tty0', ['console=ttyS0,115200n8', 'console=tty0'], [], 'ro console=ttyS0,115200n8 console=tty0'),
    # a single-value key is replaced, not duplicated
    ('ro kmemleak=off quiet', ['kmemleak=on'], [], 'ro quiet kmemleak=on'),
    ('ro kmemleak quiet', ['kmemleak=on'], [], 'ro quiet kmemleak=on'),
    # removal: a bare key removes every value, key=value only that word
    ('ro quiet rhgb loglevel=3', [], ['quiet', 'loglevel=3'], 'ro rhgb'),
    ('ro quiet=1 quiet', [], ['quiet'], 'ro'),
    ('ro console=tty0 console=ttyS1', [], ['console=tty0'], 'ro console=ttyS1'),
    # init arguments after "--" stay last
    ('ro quiet -- single', ['kmemleak=on'], [], 'ro quiet kmemleak=on -- single'),
    ('', LAB_ARGS, [], ' '.join(LAB_ARGS)),
])
def test_merge_args(current, wanted, remove, expected):
    assert ' '.join(bl.merge_args(current, wanted, remove)) == expected


WORD = st.sampled_from(['ro', 'quiet', 'rhgb', 'console=tty0', 'console=ttyS0,115200n8', 'console=ttyS1',
                        'kmemleak=on', 'kmemleak=off', 'kmemleak', 'sysrq_always_enabled', 'loglevel=3',
                        'loglevel=7', 'root=UUID=u', 'crashkernel=auto', '$tuned_params', '--', 'single'])
LINES = st.lists(WORD, max_size=9)
WANTED = st.lists(WORD.filter(lambda w: w != '--'), max_size=4, unique=True)


@given(LINES, WANTED, st.lists(st.sampled_from(['quiet', 'rhgb', 'loglevel=3', 'console=tty0']), max_size=2))
def test_merge_args_properties(current, wanted, remove):
    wanted = [w for w in wanted if w not in remove]
    out = bl.merge_args(current, wanted, remove)
    assert bl.merge_args(out, wanted, remove) == out                  # idempotent
    tail = current[current.index('--'):] if '--' in current else []
    assert out[len(out) - len(tail):] == tail                          # init arguments stay last
    head = out[:len(out) - len(tail)]
    assert head[len(head) - len(wanted):] == wanted                    # then ours, in order
    assert [w for w in head if w in wanted] == wanted                  # each once
    keys = set(bl.arg_key(w) for w in wanted)
    for w in head:
        assert not bl._removed(w, remove)                              # removed are gone
        if bl.arg_key(w) in keys and bl.arg_key(w) not in bl.MULTI_VALUE_KEYS:
            assert w in wanted                                         # no stale value of our keys
    # nothing else is lost or reordered
    before_tail = current[:len(current) - len(tail)]
    others = [w for w in before_tail if not bl._removed(w, remove) and bl.arg_key(w) not in keys]
    assert [w for w in head if w in others and w not in wanted] == others


class BlsGrubby(object):
    """grubby-bls (EL 8+, Fedora) update_args(): remove-args first (key=value: first exact
    word; bare key: every key and key=...), then for each added arg every word with its key
    is dropped, and all added args are appended in order."""

    @staticmethod
    def apply(words, remove, add):
        words = list(words)
        for r in remove:
            if '=' in r:
                if r in words:
                    words.remove(r)
            else:
                words = [w for w in words if bl.arg_key(w) != r]
        for a in add:
            words = [w for w in words if bl.arg_key(w) != bl.arg_key(a)]
        return words + list(add)


class CGrubby(object):
    """The C grubby of EL 7 (updateActualArgs): each removed arg takes out the first word with
    the same key; each added arg replaces the first not yet used word with the same key, or is
    appended (and counts as used)."""

    @staticmethod
    def apply(words, remove, add):
        words = list(words)
        for r in remove:
            for i, w in enumerate(words):
                if bl.arg_key(w) == bl.arg_key(r):
                    del words[i]
                    break
        used = [False] * len(words)
        for a in add:
            for i, w in enumerate(words):
                if not used[i] and bl.arg_key(w) == bl.arg_key(a):
                    words[i] = a
                    used[i] = True
                    break
            else:
                words.append(a)
                used.append(True)
        return words


@settings(max_examples=300)
@given(LINES, WANTED, st.lists(st.sampled_from(['quiet', 'rhgb', 'loglevel=3']), max_size=2))
def test_plan_grubby_works_with_both_grubbys(current, wanted, remove):
    wanted = [w for w in wanted if w not in remove]
    plan = bl.plan_grubby(current, wanted, remove)
    assert plan['desired'] == bl.merge_args(current, wanted, remove)
    assert plan['changed'] == (plan['desired'] != current)
    if not plan['changed']:
        assert plan['remove_args'] == [] and plan['add_args'] == []
        return
    after_remove = BlsGrubby.apply(current, plan['remove_args'], [])
    assert BlsGrubby.apply(after_remove, [], plan['add_args']) == plan['desired']
    after_remove = CGrubby.apply(current, plan['remove_args'], [])
    assert CGrubby.apply(after_remove, [], plan['add_args']) == plan['desired']


@given(LINES, LINES)
def test_plan_grubby_exact(current, exact):
    plan = bl.plan_grubby(current, exact=exact)
    assert plan['desired'] == exact
    if plan['changed']:
        assert BlsGrubby.apply(BlsGrubby.apply(current, plan['remove_args'], []), [], plan['add_args']) == exact
        assert CGrubby.apply(CGrubby.apply(current, plan['remove_args'], []), [], plan['add_args']) == exact


def test_plan_grubby_minimal_when_appending():
    plan = bl.plan_grubby('ro crashkernel=auto rhgb quiet', LAB_ARGS)
    assert plan['remove_args'] == [] and plan['add_args'] == LAB_ARGS
    plan = bl.plan_grubby('ro console=tty0 rhgb', LAB_ARGS)
    # console=tty0 is kept but has to move after rhgb: removed and re-added
    assert plan['desired'] == ['ro', 'rhgb', 'console=tty0'] + LAB_ARGS
    assert plan['remove_args'] == ['console=tty0', 'rhgb']
    assert plan['add_args'] == ['rhgb', 'console=tty0'] + LAB_ARGS


def test_args_present():
    assert bl.args_present('BOOT_IMAGE=/boot/vmlinuz ro kmemleak=on console=ttyS0,115200n8',
                           LAB_ARGS) == {'kmemleak=on': True, 'sysrq_always_enabled': False,
                                         'console=ttyS0,115200n8': True}
    # a prefix is not the argument
    assert bl.args_present('kmemleak=onx', ['kmemleak=on']) == {'kmemleak=on': False}


# ------------------------------------------------------------------ firmware

@pytest.mark.parametrize('data,expected', [(b'\x06\x00\x00\x00\x01', True), (b'\x06\x00\x00\x00\x00', False),
                                           (b'\x06\x00\x00\x00', None)])
def test_secure_boot_efivarfs(tmp_path, data, expected):
    (tmp_path / ('SecureBoot-' + bl.SECURE_BOOT_GUID)).write_bytes(data)
    assert bl.secure_boot_state(str(tmp_path), str(tmp_path / 'none')) is expected


def test_secure_boot_old_sysfs_and_missing(tmp_path):
    assert bl.secure_boot_state(str(tmp_path), str(tmp_path)) is None
    d = tmp_path / ('SecureBoot-' + bl.SECURE_BOOT_GUID)
    d.mkdir()
    (d / 'data').write_bytes(b'\x01')
    assert bl.secure_boot_state(str(tmp_path / 'nope'), str(tmp_path)) is True


# ------------------------------------------------------------------ captured from the lab VM

LAB_UUID = '309b37cf-c8fc-46e1-95ea-9f4195217c58'


def test_lab_before_and_after():
    """The lab VM's own grub.cfg before the role and with the debug kernel and 42_kdebug."""
    with open(os.path.join(FIX, 'lab_debian12_grub_before.cfg')) as f:
        before = bl.parse_grub_cfg(f.read())
    with open(os.path.join(FIX, 'lab_debian12_grub_with_debug.cfg')) as f:
        after = bl.parse_grub_cfg(f.read())
    # before: empty grubenv, so entry 0 - the only kernel
    first = bl.resolve_default(before['items'], '')
    assert first['id'] == 'gnulinux-simple-' + LAB_UUID and first['release'] == '6.1.0-50-amd64'
    # after: entry 0 boots the newest kernel, the debug one without the arguments
    assert bl.resolve_default(after['items'], '')['release'] == '6.1.192+debug'
    ch = bl.choose_previous(after['entries'], None, bl.resolve_default(after['items'], ''), '6.1.0-50-amd64',
                            first['args'], 'kdebug-')
    assert not ch['exact']
    assert ch['ref'] == 'gnulinux-advanced-%s>gnulinux-6.1.0-50-amd64-advanced-%s' % (LAB_UUID, LAB_UUID)
    ours, _reason = bl.select_debug_entry(after['entries'], entry_id='kdebug-6.1.192+debug')
    assert ours['args'] == ('root=UUID=%s ro console=tty0 kmemleak=on sysrq_always_enabled console=ttyS0,115200n8'
                            % LAB_UUID)
    assert ours['args'].split() == bl.merge_args(first['args'], LAB_ARGS)
    # only our entry carries the debug arguments
    assert [e['id'] for e in after['entries'] if 'kmemleak=on' in e['args'].split()] == ['kdebug-6.1.192+debug']
    assert after['items'][-1]['id'] == 'kdebug-6.1.192+debug'
