# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The debug_kernel role's /etc/grub.d/42_kdebug script (roles/debug_kernel/templates/
42_kdebug.sh.j2): rendered with Jinja2 and ansible's own ``quote``/``comment`` filters, then
run with /bin/sh against a stand-in for /etc/grub.d/10_linux that prints the 10_linux part of
tests/unit/fixtures/bootloader/debian12_grub_after_install.cfg (written from bookworm's
10_linux output format). The menu entry it prints is parsed with module_utils/bootloader.py,
and its kernel command line must equal bootloader.merge_args() - the shell and the Python
implementation of the merge rules are checked against each other.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.plugins.filter.core import comment, quote

from ansible_collections.kdebug.kernel.plugins.module_utils import bootloader as bl

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.realpath(os.path.join(HERE, '..', '..', '..', '..'))
TEMPLATE = os.path.join(REPO, 'roles', 'debug_kernel', 'templates', '42_kdebug.sh.j2')
FIXTURE = os.path.join(REPO, 'tests', 'unit', 'fixtures', 'bootloader', 'debian12_grub_after_install.cfg')
UUID = '3f1c2a7e-5b6d-4c2e-9a1b-0d2e3f4a5b6c'
DEBUG_LINE_ARGS = 'root=UUID=%s ro console=tty0 console=ttyS0,115200n8 ' % UUID
LAB_ARGS = ['kmemleak=on', 'sysrq_always_enabled', 'console=ttyS0,115200n8']
SHELLS = [s for s in ('/bin/sh', '/bin/dash', '/bin/bash') if os.path.exists(s)]


def linux_output(debug_args=None, savedefault=False):
    """The 10_linux section of the fixture, optionally with other arguments on the debug
    kernel's lines and with GRUB_SAVEDEFAULT's 'savedefault' lines."""
    with open(FIXTURE) as f:
        text = f.read()
    start = text.index('### BEGIN /etc/grub.d/10_linux ###')
    end = text.index('### END /etc/grub.d/10_linux ###')
    out = text[start:end]
    if debug_args is not None:
        out = out.replace('linux\t/boot/vmlinuz-6.1.192+debug ' + DEBUG_LINE_ARGS,
                          'linux\t/boot/vmlinuz-6.1.192+debug ' + debug_args)
    if savedefault:
        out = out.replace("\t\tload_video\n", "\t\tsavedefault\n\t\tload_video\n")
    return out


def render(tmpdir, args=None, remove=None, release='6.1.192+debug', linux_script=None):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters['quote'] = quote
    env.filters['comment'] = comment
    with open(TEMPLATE) as f:
        tmpl = env.from_string(f.read())
    text = tmpl.render(
        ansible_managed='Ansible managed',
        __debug_kernel_release=release,
        __debug_kernel_entry_ref='kdebug-' + release,
        debug_kernel_args=LAB_ARGS if args is None else args,
        debug_kernel_args_remove=remove or [],
        debug_kernel_args_multi_value_keys=['console'],
        __debug_kernel_grub_linux_script=linux_script or os.path.join(tmpdir, '10_linux'),
    )
    path = os.path.join(tmpdir, '42_kdebug')
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def fake_linux(tmpdir, output):
    data = os.path.join(tmpdir, '10_linux.out')
    with open(data, 'w') as f:
        f.write(output)
    script = os.path.join(tmpdir, '10_linux')
    with open(script, 'w') as f:
        f.write('#!/bin/sh\necho "Found linux image: /boot/vmlinuz-6.1.192+debug" >&2\ncat %s\n' % quote(data))
    os.chmod(script, 0o755)


def run(script, shell='/bin/sh'):
    proc = subprocess.run([shell, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=30, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize('shell', SHELLS)
def test_entry_for_the_lab(tmp_path, shell):
    fake_linux(str(tmp_path), linux_output())
    rc, out, err = run(render(str(tmp_path)), shell)
    assert rc == 0, err
    cfg = bl.parse_grub_cfg(out)
    assert len(cfg['entries']) == 1
    e = cfg['entries'][0]
    assert e['id'] == 'kdebug-6.1.192+debug'
    assert e['title'] == 'Debian GNU/Linux, with Linux 6.1.192+debug (kdebug)'
    assert e['kernel'] == '/boot/vmlinuz-6.1.192+debug'
    assert e['initrd'] == ['/boot/initrd.img-6.1.192+debug']
    # the lab's GRUB_CMDLINE_LINUX already has both consoles: tty0 stays, ttyS0 stays last
    assert e['args'] == 'root=UUID=%s ro console=tty0 kmemleak=on sysrq_always_enabled console=ttyS0,115200n8' % UUID
    header = out.splitlines()[0]
    assert header == ("menuentry 'Debian GNU/Linux, with Linux 6.1.192+debug (kdebug)' --class debian "
                      "--class gnu-linux --class gnu --class os $menuentry_id_option 'kdebug-6.1.192+debug' {")
    body = out.splitlines()[1:-1]
    assert body[:2] == ['\tload_video', '\tinsmod gzio']
    assert '\tsearch --no-floppy --fs-uuid --set=root ' + UUID in body
    assert "\techo\t'Loading Linux 6.1.192+debug ...'" in body
    assert out.splitlines()[-1] == '}'
    assert 'Adding boot menu entry for debug kernel 6.1.192+debug' in err


def test_entry_matches_the_fixture_entry(tmp_path):
    # the fixture's 42_kdebug section was written from this template's output
    fake_linux(str(tmp_path), linux_output())
    rc, out, _err = run(render(str(tmp_path)))
    with open(FIXTURE) as f:
        text = f.read()
    section = text[text.index('### BEGIN /etc/grub.d/42_kdebug ###'):text.index('### END /etc/grub.d/42_kdebug ###')]
    assert rc == 0
    assert out.strip() == '\n'.join(section.splitlines()[1:]).strip()


def test_savedefault_dropped(tmp_path):
    fake_linux(str(tmp_path), linux_output(savedefault=True))
    rc, out, _err = run(render(str(tmp_path)))
    assert rc == 0
    assert 'savedefault' not in out
    assert bl.parse_grub_cfg(out)['entries'][0]['id'] == 'kdebug-6.1.192+debug'


def test_remove_and_tail(tmp_path):
    fake_linux(str(tmp_path), linux_output('root=UUID=u ro quiet loglevel=3 kmemleak=off -- single'))
    rc, out, _err = run(render(str(tmp_path), remove=['quiet', 'loglevel']))
    assert rc == 0
    assert bl.parse_grub_cfg(out)['entries'][0]['args'] == \
        'root=UUID=u ro kmemleak=on sysrq_always_enabled console=ttyS0,115200n8 -- single'


def test_glob_characters_are_not_expanded(tmp_path):
    (tmp_path / 'afile').write_text('x')
    fake_linux(str(tmp_path), linux_output('root=UUID=u ro * ?fil?'))
    rc, out, _err = run(render(str(tmp_path), args=['a*b']))
    assert rc == 0
    assert bl.parse_grub_cfg(out)['entries'][0]['args'] == 'root=UUID=u ro * ?fil? a*b'


def test_no_entry_for_an_absent_kernel(tmp_path):
    fake_linux(str(tmp_path), linux_output())
    rc, out, err = run(render(str(tmp_path), release='6.1.999+debug'))
    assert rc == 0 and out == ''
    assert 'wrote no entry for 6.1.999+debug' in err


def test_missing_or_failing_linux_script(tmp_path):
    rc, out, err = run(render(str(tmp_path), linux_script=str(tmp_path / 'missing')))
    assert rc == 0 and out == '' and 'is missing' in err
    bad = tmp_path / 'bad'
    bad.write_text('#!/bin/sh\necho broken >&2\nexit 3\n')
    bad.chmod(0o755)
    rc, out, err = run(render(str(tmp_path), linux_script=str(bad)))
    # update-grub must not fail because of us; the role checks the entry afterwards
    assert rc == 0 and out == '' and 'failed' in err and 'broken' in err


WORD = st.sampled_from(['ro', 'quiet', 'rhgb', 'console=tty0', 'console=ttyS0,115200n8', 'console=ttyS1',
                        'kmemleak=on', 'kmemleak=off', 'kmemleak', 'sysrq_always_enabled', 'loglevel=3',
                        'root=UUID=u', 'init=/bin/x', '--', 'single'])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORD, max_size=8), st.lists(WORD.filter(lambda w: w != '--'), max_size=4, unique=True),
       st.lists(st.sampled_from(['quiet', 'rhgb', 'loglevel=3', 'console=tty0']), max_size=2, unique=True))
def test_shell_merge_equals_python(tmp_path, current, wanted, remove):
    wanted = [w for w in wanted if w not in remove]
    d = tmp_path / ('case%d' % len(os.listdir(str(tmp_path))))
    d.mkdir()
    fake_linux(str(d), linux_output(' '.join(current)))
    rc, out, err = run(render(str(d), args=wanted, remove=remove))
    assert rc == 0, err
    entries = bl.parse_grub_cfg(out)['entries']
    assert entries[0]['args'].split() == bl.merge_args(current, wanted, remove)


def test_script_is_valid_sh(tmp_path):
    path = render(str(tmp_path))
    for shell in SHELLS:
        assert subprocess.call([shell, '-n', path]) == 0
    if shutil.which('shellcheck'):
        assert subprocess.call(['shellcheck', '-s', 'sh', path]) == 0
