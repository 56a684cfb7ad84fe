#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: boot_default
short_description: Set GRUB's default entry, a boot-once entry, or restore the saved values
version_added: 0.1.0
author: kdebug.kernel team (@kdebug)
description:
  - Changes GRUB 2's environment block (C(grubenv)) with the distribution's own programs -
    O(saved_entry) with C(grub-set-default) (C(grub2-set-default) on EL and Fedora),
    O(next_entry) with C(grub-reboot) (C(grub2-reboot)), O(unset) with C(grub-editenv).
  - Only what differs is changed; the values are read back afterwards and the task fails if
    they did not stick (for example a C(grubenv) on LVM or RAID that GRUB cannot write).
  - GRUB uses O(saved_entry) only when C(GRUB_DEFAULT=saved) is in C(/etc/default/grub);
    O(next_entry) works with any C(GRUB_DEFAULT) on Debian and Ubuntu, and with
    C(GRUB_DEFAULT=saved) on EL.
options:
  saved_entry:
    description:
      - The persistent default entry (an id, a title, a number or a C(>)-joined path).
      - Setting it also clears a pending O(next_entry), as C(grub-set-default) does; the
        module sets O(next_entry) afterwards when both are given.
    type: str
  next_entry:
    description: The entry for the next boot only (boot-once).
    type: str
  unset:
    description: Variables to remove from the environment block (after the settings above).
    type: list
    elements: str
    default: []
  grubenv:
    description:
      - The environment block. By default the first that exists of C(/boot/grub/grubenv),
        C(/boot/grub2/grubenv).
    type: path
notes:
  - Needs root.
seealso:
  - module: kdebug.kernel.boot_entries
attributes:
  check_mode:
    description: Reports what would change without changing it.
    support: full
  diff_mode:
    description: Shows the environment block's variables before and after.
    support: full
'''

EXAMPLES = r'''
- name: Boot the debug kernel's entry once; a reset returns to the saved default
  kdebug.kernel.boot_default:
    next_entry: kdebug-6.1.192+debug
  become: true

- name: Make the debug entry the default
  kdebug.kernel.boot_default:
    saved_entry: kdebug-6.1.192+debug
  become: true

- name: Put back a grubenv that had no saved_entry
  kdebug.kernel.boot_default:
    unset: [saved_entry, next_entry]
  become: true
'''

RETURN = r'''
before:
  description: The environment block's variables before.
  returned: always
  type: dict
after:
  description: The variables after (what they would be, in check mode).
  returned: always
  type: dict
grubenv:
  description: The environment block used.
  returned: always
  type: str
commands:
  description: The commands run (or that would run in check mode).
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.kdebug.kernel.plugins.module_utils import bootloader as bl


def read_env(path):
    if not os.path.exists(path):
        return {}
    with open(path, 'rb') as f:
        return bl.parse_grubenv(to_text(f.read(), errors='surrogate_or_strict'))


def env_text(env):
    return ''.join('%s=%s\n' % (k, env[k]) for k in sorted(env))


def plan(before, saved_entry=None, next_entry=None, unset=()):
    """Steps (name, value) and the environment they lead to, mirroring what grub-set-default
    (sets saved_entry, unsets next_entry and prev_saved_entry) and grub-reboot do."""
    env = dict(before)
    steps = []
    if saved_entry is not None and env.get('saved_entry') != saved_entry:
        steps.append(('set-default', saved_entry))
        env.pop('prev_saved_entry', None)
        env.pop('next_entry', None)
        env['saved_entry'] = saved_entry
    if next_entry is not None and env.get('next_entry') != next_entry:
        steps.append(('reboot', next_entry))
        if env.get('prev_saved_entry'):
            env['saved_entry'] = env.pop('prev_saved_entry')
        env['next_entry'] = next_entry
    for key in unset:
        if key in env:
            steps.append(('unset', key))
            env.pop(key)
    return steps, env


def main():
    module = AnsibleModule(
        argument_spec=dict(
            saved_entry=dict(type='str'),
            next_entry=dict(type='str'),
            unset=dict(type='list', elements='str', default=[]),
            grubenv=dict(type='path'),
        ),
        required_one_of=[('saved_entry', 'next_entry', 'unset')],
        supports_check_mode=True,
    )
    p = module.params
    for key in ('saved_entry', 'next_entry'):
        if p[key] is not None and (p[key] == '' or '\n' in p[key]):
            module.fail_json(msg='%s must be a non-empty single line; to remove it use unset: [%s]' % (key, key))
    clash = set(p['unset']) & set(k for k in ('saved_entry', 'next_entry') if p[k] is not None)
    if clash:
        module.fail_json(msg='cannot both set and unset %s' % ', '.join(sorted(clash)))

    grubenv = p['grubenv']
    if not grubenv:
        for cand in ('/boot/grub/grubenv', '/boot/grub2/grubenv'):
            if os.path.exists(cand):
                grubenv = cand
                break
    if not grubenv:
        module.fail_json(msg='no GRUB environment block found (/boot/grub/grubenv, /boot/grub2/grubenv); '
                             'is GRUB 2 the boot loader? Give grubenv: PATH if it is elsewhere.')
    grubdir = os.path.dirname(grubenv)
    flavour = os.path.basename(grubdir)          # grub (Debian) or grub2 (EL)
    prefix = 'grub2' if flavour == 'grub2' else 'grub'
    editenv = module.get_bin_path(prefix + '-editenv') or module.get_bin_path('grub-editenv') or \
        module.get_bin_path('grub2-editenv')
    set_default = module.get_bin_path(prefix + '-set-default')
    reboot = module.get_bin_path(prefix + '-reboot')
    standard = flavour in ('grub', 'grub2')
    bootdir = os.path.dirname(grubdir)

    try:
        before = read_env(grubenv)
    except (IOError, OSError) as e:
        module.fail_json(msg='cannot read %s: %s (run with become: true)' % (grubenv, e))
    steps, expected = plan(before, p['saved_entry'], p['next_entry'], p['unset'])

    commands = []
    for kind, value in steps:
        if kind == 'set-default':
            if standard and set_default:
                commands.append([set_default, '--boot-directory=' + bootdir, value])
            else:
                commands.append([editenv, grubenv, 'unset', 'next_entry'])
                commands.append([editenv, grubenv, 'set', 'saved_entry=' + value])
        elif kind == 'reboot':
            if standard and reboot:
                commands.append([reboot, '--boot-directory=' + bootdir, value])
            else:
                commands.append([editenv, grubenv, 'set', 'next_entry=' + value])
        else:
            commands.append([editenv, grubenv, 'unset', value])
    if any(c[0] is None for c in commands):
        module.fail_json(msg='grub-editenv (grub2-editenv) not found; install the GRUB 2 tools')

    result = dict(changed=bool(steps), grubenv=grubenv, before=before, after=expected,
                  commands=[' '.join(c) for c in commands])
    if module._diff:
        result['diff'] = dict(before=env_text(before), after=env_text(expected),
                              before_header=grubenv, after_header=grubenv)
    if module.check_mode or not steps:
        module.exit_json(**result)

    for cmd in commands:
        rc, out, err = module.run_command(cmd)
        if rc != 0:
            module.fail_json(msg='%s failed (rc %d): %s' % (' '.join(cmd), rc, (err or out).strip()), **result)
    after = read_env(grubenv)
    result['after'] = after
    wrong = [k for k in set(expected) | set(after)
             if k in ('saved_entry', 'next_entry') and expected.get(k) != after.get(k)]
    if wrong:
        module.fail_json(msg='%s did not keep %s (expected %s, found %s): GRUB cannot write this '
                             'environment block (LVM, RAID or a read-only /boot?)'
                             % (grubenv, ', '.join(sorted(wrong)),
                                dict((k, expected.get(k)) for k in wrong),
                                dict((k, after.get(k)) for k in wrong)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
