#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: kernel_args
short_description: Add and remove kernel arguments of one boot entry with grubby
version_added: 0.1.0
author: kdebug.kernel team (@kdebug)
description:
  - Changes the command line of the boot entry of one kernel (EL 7, EL 8+, Fedora, Oracle
    Linux - anything with C(grubby)), and only of that entry.
  - The result is computed first, then applied with two grubby calls, then read back with
    C(grubby --info) and compared; a difference fails the task. This matters because the
    two grubby implementations match arguments by key differently (grubby-bls drops every
    C(console=) when it adds one, the C grubby of EL 7 replaces the first).
  - Merge rules for O(args) and O(args_remove), in order (the README of the
    C(kdebug.kernel.debug_kernel) role explains why) - words in O(args_remove) are dropped (C(key=value)
    drops that word, a bare C(key) drops C(key) and every C(key=...)); for each key in
    O(args) other values are dropped, except for O(multi_value_keys) (C(console)) whose other
    values are kept and moved before the wanted ones; O(args) are appended in the given order,
    so the last C(console=) listed becomes C(/dev/console); arguments after C(--) stay last.
options:
  kernel:
    description: The kernel image of the entry, for example C(/boot/vmlinuz-4.18.0-513.el8.x86_64+debug).
    type: str
    required: true
  args:
    description: Arguments the entry must have.
    type: list
    elements: str
    default: []
  args_remove:
    description: Arguments to take out of the entry (C(key=value) or a bare C(key)).
    type: list
    elements: str
    default: []
  multi_value_keys:
    description: Keys that may legitimately appear several times.
    type: list
    elements: str
    default: [console]
  exact:
    description:
      - Set the entry's arguments to exactly this list instead (used to put back what an
        entry had). Excludes O(args) and O(args_remove).
    type: list
    elements: str
  grubby:
    description: The grubby program.
    type: str
    default: grubby
notes:
  - Needs root.
  - Arguments must not contain white space or quotes.
seealso:
  - module: kdebug.kernel.boot_entries
attributes:
  check_mode:
    description: Reports what would change without changing it.
    support: full
  diff_mode:
    description: Shows the command line before and after.
    support: full
'''

EXAMPLES = r'''
- name: Debug arguments on the debug kernel's entry only
  kdebug.kernel.kernel_args:
    kernel: /boot/vmlinuz-4.18.0-513.el8.x86_64+debug
    args:
      - kmemleak=on
      - sysrq_always_enabled
      - console=ttyS0,115200n8
  become: true

- name: Put back the arguments the entry had before
  kdebug.kernel.kernel_args:
    kernel: /boot/vmlinuz-4.18.0-513.el8.x86_64+debug
    exact: "{{ previous_args }}"
  become: true
'''

RETURN = r'''
before:
  description: The entry's arguments before.
  returned: always
  type: list
  elements: str
desired:
  description: The arguments the entry should have.
  returned: always
  type: list
  elements: str
after:
  description: The arguments read back after the change (the desired ones in check mode).
  returned: always
  type: list
  elements: str
commands:
  description: The grubby commands run (or that would run in check mode).
  returned: always
  type: list
  elements: list
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kdebug.kernel.plugins.module_utils import bootloader as bl


def entry_args(module, grubby, kernel):
    rc, out, err = module.run_command([grubby, '--info=' + kernel])
    if rc != 0:
        module.fail_json(msg='%s --info=%s failed (rc %d): %s; is the kernel installed and does it have '
                             'a boot entry?' % (grubby, kernel, rc, (err or out).strip()))
    entries = [e for e in bl.parse_grubby_info(out) if e.get('kernel')]
    if not entries:
        module.fail_json(msg='grubby lists no boot entry for %s' % kernel)
    return entries[0]['args'].split()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kernel=dict(type='str', required=True),
            args=dict(type='list', elements='str', default=[]),
            args_remove=dict(type='list', elements='str', default=[]),
            multi_value_keys=dict(type='list', elements='str', default=['console'], no_log=False),
            exact=dict(type='list', elements='str'),
            grubby=dict(type='str', default='grubby'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p['exact'] is not None and (p['args'] or p['args_remove']):
        module.fail_json(msg='exact excludes args and args_remove')
    for a in (p['args'] or []) + (p['args_remove'] or []) + (p['exact'] or []):
        if not a or any(c in a for c in ' \t\n"\''):
            module.fail_json(msg='kernel argument %r is empty or contains white space or quotes' % a)
    grubby = module.get_bin_path(p['grubby'], required=True) if '/' not in p['grubby'] else p['grubby']

    before = entry_args(module, grubby, p['kernel'])
    pl = bl.plan_grubby(before, p['args'], p['args_remove'], tuple(p['multi_value_keys']), exact=p['exact'])
    commands = []
    if pl['remove_args']:
        commands.append([grubby, '--update-kernel=' + p['kernel'], '--remove-args=' + ' '.join(pl['remove_args'])])
    if pl['add_args']:
        commands.append([grubby, '--update-kernel=' + p['kernel'], '--args=' + ' '.join(pl['add_args'])])
    result = dict(changed=pl['changed'], before=before, desired=pl['desired'], after=pl['desired'],
                  commands=commands)
    if module._diff:
        result['diff'] = dict(before=' '.join(before) + '\n', after=' '.join(pl['desired']) + '\n',
                              before_header=p['kernel'], after_header=p['kernel'])
    if module.check_mode or not pl['changed']:
        module.exit_json(**result)
    for cmd in commands:
        rc, out, err = module.run_command(cmd)
        if rc != 0:
            module.fail_json(msg='%s failed (rc %d): %s' % (' '.join(cmd), rc, (err or out).strip()), **result)
    after = entry_args(module, grubby, p['kernel'])
    result['after'] = after
    if after != pl['desired']:
        module.fail_json(msg='grubby left the entry of %s with "%s" instead of "%s". This grubby merges '
                             'arguments differently from what the module expects; set the arguments by hand '
                             '(grubby --update-kernel=%s --args=...) and report the grubby version.'
                             % (p['kernel'], ' '.join(after), ' '.join(pl['desired']), p['kernel']), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
