# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the boot_entries, boot_default and kernel_args modules, run in-process.

- boot_entries reads a tmpdir standing in for /boot, /etc/default/grub, /proc/cmdline and
  efivarfs, with the fixtures of tests/unit/fixtures/bootloader (each says where it comes from).
- boot_default runs the real grub-editenv (grub-common) on a grubenv in a tmpdir; grub-set-default
  and grub-reboot are stand-ins that make the same grub-editenv calls as Debian's scripts
  (grub2-common 2.06-13+deb12u2), since the real ones probe the host's disks.
- kernel_args runs against a stand-in grubby (a small Python program) that implements
  grubby-bls's argument matching, or the replace-first-key behaviour of the C grubby, on a
  JSON file. It proves the module's plan/apply/read-back loop, not grubby itself.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.kdebug.kernel.plugins.modules import boot_default, boot_entries, kernel_args
from ansible_collections.kdebug.kernel.plugins.module_utils import bootloader as bl

from ansible_collections.kdebug.kernel.tests.unit.plugins.modules.utils import fixture_path, run_module

UUID = '3f1c2a7e-5b6d-4c2e-9a1b-0d2e3f4a5b6c'
LAB_ARGS = ['kmemleak=on', 'sysrq_always_enabled', 'console=ttyS0,115200n8']
PREV_ADVANCED = 'gnulinux-advanced-%s>gnulinux-6.1.0-28-amd64-advanced-%s' % (UUID, UUID)
EL8_DEBUG = '/boot/vmlinuz-4.18.0-513.5.1.el8_9.x86_64+debug'


def fixture_text(name):
    with open(fixture_path('bootloader', name)) as f:
        return ''.join(line for line in f if not (name.endswith('.txt') and line.startswith('#')))


@pytest.fixture
def debian_root(tmp_path):
    boot = tmp_path / 'boot' / 'grub'
    boot.mkdir(parents=True)
    (boot / 'grub.cfg').write_text(fixture_text('debian12_grub_after_install.cfg'))
    shutil.copy(fixture_path('bootloader', 'grubenv_saved'), str(boot / 'grubenv'))
    (tmp_path / 'default_grub').write_text('GRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"\n')
    (tmp_path / 'cmdline').write_text('BOOT_IMAGE=/boot/vmlinuz-6.1.192+debug root=UUID=%s ro console=tty0 '
                                      'kmemleak=on sysrq_always_enabled console=ttyS0,115200n8\n' % UUID)
    efivars = tmp_path / 'efi' / 'efivars'
    efivars.mkdir(parents=True)
    (efivars / ('SecureBoot-' + bl.SECURE_BOOT_GUID)).write_bytes(b'\x06\x00\x00\x00\x00')
    return tmp_path


def debian_args(root, **kw):
    args = dict(grub_cfg=str(root / 'boot' / 'grub' / 'grub.cfg'), grubenv=str(root / 'boot' / 'grub' / 'grubenv'),
                default_grub=str(root / 'default_grub'), grubby='never', proc_cmdline=str(root / 'cmdline'),
                efivars_dir=str(root / 'efi' / 'efivars'), boot_dir=str(root), bls_dir=str(root / 'none'))
    args.update(kw)
    return args


# ---------------------------------------------------------------------------- boot_entries

def test_boot_entries_debian(debian_root):
    res = run_module(boot_entries, debian_args(
        debian_root, entry_id='kdebug-6.1.192+debug', args=LAB_ARGS + ['quiet'], resolve=['1>2', 'nope'],
        previous=dict(release='6.1.0-28-amd64', saved_entry=None,
                      args='root=UUID=%s ro console=tty0 console=ttyS0,115200n8' % UUID)))
    assert not res['failed'] and not res['changed']
    f = res['ansible_facts']['boot_entries']
    assert f['bootloader'] == 'grub2'
    assert f['grub_default'] == 'saved' and f['grub_default_line'] == 'GRUB_DEFAULT=saved'
    assert f['grub_cmdline_linux'] == 'console=tty0 console=ttyS0,115200n8'
    assert f['cfg_default'] == '${saved_entry}'
    assert f['default_ref'] == PREV_ADVANCED
    assert f['default']['release'] == '6.1.0-28-amd64' and f['default']['ref'] == PREV_ADVANCED
    assert f['next_boot'] == f['default']          # next_entry is empty
    assert f['debug_entry']['id'] == 'kdebug-6.1.192+debug' and f['debug_entry']['ref'] == 'kdebug-6.1.192+debug'
    assert f['debug_releases'] == ['6.1.192+debug']
    assert f['resolved']['1>2']['id'] == 'gnulinux-6.1.0-28-amd64-advanced-' + UUID
    assert f['resolved']['nope'] is None
    # no saved_entry before: entry 0, which now boots the debug kernel, so not exact
    assert f['previous']['exact'] is False and f['previous']['ref'] == PREV_ADVANCED
    assert f['cmdline']['args_present'] == {'kmemleak=on': True, 'sysrq_always_enabled': True,
                                            'console=ttyS0,115200n8': True, 'quiet': False}
    assert f['efi'] is True and f['secure_boot'] is False
    assert isinstance(f['boot_free_mb'], int)
    assert len(f['entries']) == 7 and all('children' not in e for e in f['entries'])


def test_boot_entries_boot_once_and_exact_previous(debian_root):
    subprocess.check_call(['grub-editenv', str(debian_root / 'boot' / 'grub' / 'grubenv'), 'set',
                           'next_entry=kdebug-6.1.192+debug'])
    res = run_module(boot_entries, debian_args(debian_root, previous=dict(release='6.1.0-28-amd64',
                                                                          saved_entry=PREV_ADVANCED)))
    f = res['ansible_facts']['boot_entries']
    assert f['next_boot']['id'] == 'kdebug-6.1.192+debug'
    assert f['default']['release'] == '6.1.0-28-amd64'
    assert f['previous'] == dict(entry=f['default'], ref=PREV_ADVANCED, exact=True)


def test_boot_entries_secure_boot_and_no_efi(debian_root):
    (debian_root / 'efi' / 'efivars' / ('SecureBoot-' + bl.SECURE_BOOT_GUID)).write_bytes(b'\x06\x00\x00\x00\x01')
    f = run_module(boot_entries, debian_args(debian_root))['ansible_facts']['boot_entries']
    assert f['secure_boot'] is True
    f = run_module(boot_entries, debian_args(debian_root, efivars_dir=str(debian_root / 'bios' / 'efivars')))
    assert f['ansible_facts']['boot_entries']['efi'] is False
    assert f['ansible_facts']['boot_entries']['secure_boot'] is False


def test_boot_entries_unreadable_cfg(tmp_path):
    res = run_module(boot_entries, dict(grub_cfg=str(tmp_path / 'none.cfg'), grubenv=str(tmp_path / 'none'),
                                        default_grub=str(tmp_path / 'none'), grubby='never',
                                        proc_cmdline=str(tmp_path / 'none'), efivars_dir=str(tmp_path / 'none'),
                                        boot_dir=str(tmp_path)))
    assert res['failed'] and res['msg'].startswith('cannot read %s' % (tmp_path / 'none.cfg'))


def fake_grubby_info(tmp_path, info_fixture, default_kernel):
    data = tmp_path / 'info.txt'
    data.write_text(fixture_text(info_fixture))
    script = tmp_path / 'grubby'
    script.write_text('#!/bin/sh\ncase "$1" in\n  --info=ALL) cat %s ;;\n  --default-kernel) echo %s ;;\n'
                      '  *) exit 1 ;;\nesac\n' % (data, default_kernel))
    script.chmod(0o755)
    return str(script)


def test_boot_entries_el8_grubby(tmp_path):
    grubby = fake_grubby_info(tmp_path, 'el8_grubby_info_all.txt', '/boot/vmlinuz-4.18.0-513.5.1.el8_9.x86_64')
    (tmp_path / 'bls').mkdir()
    (tmp_path / 'bls' / 'x.conf').write_text('title x\n')
    env = tmp_path / 'grubenv'
    subprocess.check_call(['grub-editenv', str(env), 'create'])
    subprocess.check_call(['grub-editenv', str(env), 'set',
                           'saved_entry=e3b4c8a1d2f04e5b8c7a6d5e4f3a2b1c-4.18.0-513.5.1.el8_9.x86_64'])
    res = run_module(boot_entries, dict(grubby=grubby, grubenv=str(env), bls_dir=str(tmp_path / 'bls'),
                                        default_grub=str(tmp_path / 'none'), proc_cmdline=str(tmp_path / 'none'),
                                        efivars_dir=str(tmp_path / 'none'), boot_dir=str(tmp_path),
                                        match_release='4.18.0-513.5.1.el8_9.x86_64',
                                        previous=dict(release='4.18.0-513.5.1.el8_9.x86_64',
                                                      saved_entry='e3b4c8a1d2f04e5b8c7a6d5e4f3a2b1c-4.18.0-513.5.1.el8_9.x86_64')))
    assert not res['failed'], res
    f = res['ansible_facts']['boot_entries']
    assert f['bootloader'] == 'grub2-bls'
    assert f['default']['index'] == 0
    assert f['debug_entry']['kernel'] == EL8_DEBUG
    assert f['debug_entry']['ref'] == 'e3b4c8a1d2f04e5b8c7a6d5e4f3a2b1c-4.18.0-513.5.1.el8_9.x86_64+debug'
    assert f['debug_releases'] == ['4.18.0-513.5.1.el8_9.x86_64+debug', '4.18.0-80.el8.x86_64+debug']
    assert f['previous']['exact'] is True
    assert f['cmdline']['raw'] == ''   # unreadable: warned, not failed


# ---------------------------------------------------------------------------- boot_default

SET_DEFAULT = '''#!/bin/sh
# stand-in for grub-set-default: the grub-editenv calls of Debian's script
for a in "$@"; do case "$a" in --boot-directory=*) bootdir=${a#--boot-directory=} ;; *) entry=$a ;; esac; done
env="$bootdir/grub/grubenv"
grub-editenv "$env" unset prev_saved_entry
grub-editenv "$env" unset next_entry
grub-editenv "$env" set saved_entry="$entry"
'''
REBOOT = '''#!/bin/sh
# stand-in for grub-reboot: the grub-editenv calls of Debian's script (without grub-probe)
for a in "$@"; do case "$a" in --boot-directory=*) bootdir=${a#--boot-directory=} ;; *) entry=$a ;; esac; done
env="$bootdir/grub/grubenv"
prev=$(grub-editenv "$env" list | sed -n 's/^prev_saved_entry=//p')
if [ "$prev" ]; then grub-editenv "$env" set saved_entry="$prev"; grub-editenv "$env" unset prev_saved_entry; fi
grub-editenv "$env" set next_entry="$entry"
'''


@pytest.fixture
def grub_tools(tmp_path, monkeypatch):
    if not shutil.which('grub-editenv'):
        pytest.fail('grub-editenv (Debian package grub-common, in .ci/apt-packages.txt) is needed for these tests')
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    for name, text in (('grub-set-default', SET_DEFAULT), ('grub-reboot', REBOOT)):
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    monkeypatch.setenv('PATH', '%s:%s' % (bindir, os.environ.get('PATH', '')))
    grubenv = tmp_path / 'boot' / 'grub' / 'grubenv'
    grubenv.parent.mkdir(parents=True)
    subprocess.check_call(['grub-editenv', str(grubenv), 'create'])
    return grubenv


def env_of(path):
    with open(str(path)) as f:
        return bl.parse_grubenv(f.read())


def test_boot_default_set_and_idempotent(grub_tools):
    before = grub_tools.read_bytes()
    res = run_module(boot_default, dict(saved_entry=PREV_ADVANCED, grubenv=str(grub_tools)))
    assert res['changed'] and not res['failed']
    assert env_of(grub_tools) == {'saved_entry': PREV_ADVANCED}
    assert res['commands'][0].split()[0].endswith('grub-set-default')
    assert run_module(boot_default, dict(saved_entry=PREV_ADVANCED, grubenv=str(grub_tools)))['changed'] is False
    # back to no saved entry: the block is byte-for-byte what it was
    res = run_module(boot_default, dict(unset=['saved_entry'], grubenv=str(grub_tools)))
    assert res['changed'] and grub_tools.read_bytes() == before


def test_boot_default_once_then_default(grub_tools):
    run_module(boot_default, dict(saved_entry=PREV_ADVANCED, grubenv=str(grub_tools)))
    res = run_module(boot_default, dict(next_entry='kdebug-6.1.192+debug', grubenv=str(grub_tools)))
    assert res['changed'] and env_of(grub_tools) == {'saved_entry': PREV_ADVANCED, 'next_entry': 'kdebug-6.1.192+debug'}
    # GRUB consumes next_entry at boot by setting it empty; unset removes the key
    subprocess.check_call(['grub-editenv', str(grub_tools), 'set', 'next_entry='])
    res = run_module(boot_default, dict(unset=['next_entry'], grubenv=str(grub_tools)))
    assert res['changed'] and env_of(grub_tools) == {'saved_entry': PREV_ADVANCED}
    # setting the default cancels a pending boot-once, as grub-set-default does
    run_module(boot_default, dict(next_entry='x', grubenv=str(grub_tools)))
    res = run_module(boot_default, dict(saved_entry='kdebug-6.1.192+debug', grubenv=str(grub_tools)))
    assert res['after'] == {'saved_entry': 'kdebug-6.1.192+debug'} == env_of(grub_tools)


def test_boot_default_check_mode_and_diff(grub_tools):
    before = grub_tools.read_bytes()
    res = run_module(boot_default, dict(next_entry='kdebug-6.1.192+debug', grubenv=str(grub_tools),
                                        _ansible_diff=True), check_mode=True)
    assert res['changed'] and grub_tools.read_bytes() == before
    assert res['diff']['before'] == '' and res['diff']['after'] == 'next_entry=kdebug-6.1.192+debug\n'


def test_boot_default_refuses(grub_tools):
    assert 'non-empty' in run_module(boot_default, dict(saved_entry='', grubenv=str(grub_tools)))['msg']
    res = run_module(boot_default, dict(saved_entry='a', unset=['saved_entry'], grubenv=str(grub_tools)))
    assert res['failed'] and 'both set and unset' in res['msg']


def test_boot_default_detects_a_value_that_does_not_stick(grub_tools, tmp_path):
    (tmp_path / 'bin' / 'grub-set-default').write_text('#!/bin/sh\nexit 0\n')
    res = run_module(boot_default, dict(saved_entry='x', grubenv=str(grub_tools)))
    assert res['failed'] and 'did not keep saved_entry' in res['msg']


# ---------------------------------------------------------------------------- kernel_args

FAKE_GRUBBY = r'''#!%(python)s
# stand-in grubby: entries in a JSON file; argument matching of grubby-bls (mode "bls") or of
# the C grubby with an appended argument not counted as used (mode "collapse", which loses a
# second console= - the module must notice)
import json, sys
state_file, mode = %(state)r, %(mode)r
state = json.load(open(state_file))
def key(w): return w.split('=', 1)[0]
kernel = None; add = None; remove = None; info = None
for a in sys.argv[1:]:
    if a.startswith('--info='): info = a[7:]
    elif a.startswith('--update-kernel='): kernel = a[16:]
    elif a.startswith('--args='): add = a[7:].split()
    elif a.startswith('--remove-args='): remove = a[14:].split()
if info:
    for i, e in enumerate(state):
        if info in ('ALL', e['kernel']):
            print('index=%%d' %% i); print('kernel="%%s"' %% e['kernel']); print('args="%%s"' %% ' '.join(e['args']))
            print('root="/dev/vda1"'); print('title="%%s"' %% e['kernel']); print('id="id-%%d"' %% i)
    sys.exit(0)
for e in state:
    if e['kernel'] != kernel: continue
    words = e['args']
    for r in remove or []:
        if '=' in r:
            if r in words: words.remove(r)
        else:
            words = [w for w in words if key(w) != r]
    if mode == 'bls':
        for a in add or []:
            words = [w for w in words if key(w) != key(a)]
        words += add or []
    else:
        for a in add or []:
            for i, w in enumerate(words):
                if key(w) == key(a):
                    words[i] = a; break
            else:
                words.append(a)
    e['args'] = words
json.dump(state, open(state_file, 'w'))
'''


def fake_grubby(tmp_path, mode, args):
    state = tmp_path / 'state.json'
    state.write_text(json.dumps([{'kernel': '/boot/vmlinuz-4.18.0-513.el8.x86_64', 'args': ['ro', 'quiet']},
                                 {'kernel': EL8_DEBUG, 'args': args}]))
    script = tmp_path / 'grubby'
    script.write_text(FAKE_GRUBBY % dict(python=sys.executable, state=str(state), mode=mode))
    script.chmod(0o755)
    return str(script), state


def test_kernel_args_bls(tmp_path):
    grubby, state = fake_grubby(tmp_path, 'bls', ['ro', 'console=tty0', 'rhgb', 'quiet'])
    res = run_module(kernel_args, dict(kernel=EL8_DEBUG, args=LAB_ARGS, args_remove=['quiet'], grubby=grubby))
    assert res['changed'] and not res['failed'], res
    assert res['before'] == ['ro', 'console=tty0', 'rhgb', 'quiet']
    assert res['after'] == res['desired'] == ['ro', 'rhgb', 'console=tty0'] + LAB_ARGS
    stored = json.loads(state.read_text())
    assert stored[0]['args'] == ['ro', 'quiet']               # the other kernel is untouched
    res2 = run_module(kernel_args, dict(kernel=EL8_DEBUG, args=LAB_ARGS, args_remove=['quiet'], grubby=grubby))
    assert res2['changed'] is False and res2['commands'] == []
    res3 = run_module(kernel_args, dict(kernel=EL8_DEBUG, exact=res['before'], grubby=grubby))
    assert res3['changed'] and json.loads(state.read_text())[1]['args'] == res['before']


def test_kernel_args_check_mode_and_diff(tmp_path):
    grubby, state = fake_grubby(tmp_path, 'bls', ['ro'])
    before = state.read_text()
    res = run_module(kernel_args, dict(kernel=EL8_DEBUG, args=LAB_ARGS, grubby=grubby, _ansible_diff=True),
                     check_mode=True)
    assert res['changed'] and state.read_text() == before
    assert res['diff'] == dict(before='ro\n', after='ro ' + ' '.join(LAB_ARGS) + '\n',
                               before_header=EL8_DEBUG, after_header=EL8_DEBUG)
    assert res['commands'] == [[grubby, '--update-kernel=' + EL8_DEBUG, '--args=' + ' '.join(LAB_ARGS)]]


def test_kernel_args_notices_a_grubby_that_loses_a_console(tmp_path):
    grubby, _state = fake_grubby(tmp_path, 'collapse', ['ro'])
    res = run_module(kernel_args, dict(kernel=EL8_DEBUG, args=['console=tty0', 'console=ttyS0,115200n8'], grubby=grubby))
    assert res['failed']
    assert 'grubby left the entry' in res['msg'] and 'set the arguments by hand' in res['msg']


def test_kernel_args_refuses(tmp_path):
    grubby, _state = fake_grubby(tmp_path, 'bls', ['ro'])
    assert 'white space' in run_module(kernel_args, dict(kernel=EL8_DEBUG, args=['a b'], grubby=grubby))['msg']
    assert 'excludes' in run_module(kernel_args, dict(kernel=EL8_DEBUG, args=['a'], exact=['b'], grubby=grubby))['msg']
    res = run_module(kernel_args, dict(kernel='/boot/vmlinuz-none', args=['a'], grubby=grubby))
    assert res['failed'] and 'no boot entry' in res['msg']
