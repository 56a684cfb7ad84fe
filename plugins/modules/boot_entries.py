#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: boot_entries
short_description: Read the boot loader's entries, default and state, and find the debug kernel's entry
version_added: 0.1.0
author: kdebug.kernel team (@kdebug)
description:
  - Reads what the machine will boot, without changing anything. GRUB 2 on Debian and Ubuntu
    (C(/boot/grub/grub.cfg) as written by C(update-grub), the environment block C(grubenv)
    and C(/etc/default/grub)); on EL 7, EL 8+ and Fedora the entries as C(grubby --info=ALL)
    lists them (BLS or not), the default from C(grubby --default-kernel) and C(grubenv).
  - Resolves the default entry the way GRUB does (C(saved_entry), ids, titles, numeric and
    C(1>2) submenu paths) and, when asked, other references (O(resolve)).
  - Chooses the debug kernel's entry (O(entry_id), O(kernel), O(release), O(match_release),
    or the newest kernel whose release ends in C(+debug) or C(.debug)).
  - Also reports what the debug_kernel role needs to refuse a host it cannot serve - EFI and
    Secure Boot state, free space in C(/boot), and the running kernel's command line.
options:
  grub_cfg:
    description:
      - GRUB configuration to parse. By default the first that exists of
        C(/boot/grub/grub.cfg), C(/boot/grub2/grub.cfg).
    type: path
  grubenv:
    description:
      - GRUB environment block. By default the C(grubenv) beside the configuration (following
        the EL 7/8 UEFI symlink into the ESP).
    type: path
  default_grub:
    description: The C(/etc/default/grub) file.
    type: path
    default: /etc/default/grub
  grubby:
    description:
      - V(auto) uses C(grubby) when it is installed (EL, Fedora), V(never) never does, any
        other value is the path of the grubby program.
    type: str
    default: auto
  entry_id:
    description: Choose the debug entry with this id (or C(>)-joined id path).
    type: str
  kernel:
    description: Choose the debug entry that boots this kernel image path.
    type: str
  release:
    description: Choose the debug entry of this kernel release (C(uname -r) form).
    type: str
  match_release:
    description:
      - Choose the debug build of this release (normally the running kernel's) — the entry
        whose release is this plus one of O(debug_suffixes).
    type: str
  debug_suffixes:
    description: Release suffixes that make a kernel a debug kernel.
    type: list
    elements: str
    default: ['+debug', '.debug']
  args:
    description:
      - Kernel arguments to look for in the running kernel's command line
        (C(args_present) in RV(ansible_facts.boot_entries.cmdline)).
    type: list
    elements: str
    default: []
  resolve:
    description:
      - Default references (C(saved_entry) values) to resolve against the current menu as
        GRUB would; the entries are returned in RV(ansible_facts.boot_entries.resolved).
    type: list
    elements: str
    default: []
  previous:
    description:
      - What was the default before, as the debug_kernel role recorded it. The module then
        returns RV(ansible_facts.boot_entries.previous) - the entry that boots that kernel now
        and the value to write into C(saved_entry).
    type: dict
    suboptions:
      release:
        description: Release of the kernel that was booted by default.
        type: str
        required: true
      saved_entry:
        description: The C(saved_entry) value then (null or empty when there was none).
        type: str
      args:
        description: The arguments that entry had.
        type: str
  exclude_id_prefix:
    description: Entries whose id starts with this are never returned as RV(ansible_facts.boot_entries.previous).
    type: str
    default: kdebug-
  bls_dir:
    description: Where Boot Loader Specification entries live (EL 8+, Fedora).
    type: path
    default: /boot/loader/entries
  boot_dir:
    description: Directory whose file system free space is reported.
    type: path
    default: /boot
  proc_cmdline:
    description: The running kernel's command line file. Only change it for tests.
    type: path
    default: /proc/cmdline
  efivars_dir:
    description: The efivarfs directory. Only change it for tests.
    type: path
    default: /sys/firmware/efi/efivars
notes:
  - Reading C(grub.cfg) and C(grubenv) may need root on some systems (EL keeps C(/boot/grub2)
    mode 0700).
  - The module only reads; use M(kdebug.kernel.boot_default) and M(kdebug.kernel.kernel_args)
    to change things.
seealso:
  - module: kdebug.kernel.boot_default
  - module: kdebug.kernel.kernel_args
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
'''

EXAMPLES = r'''
- name: Find the entry of the newest debug kernel and what boots by default
  kdebug.kernel.boot_entries:
  become: true

- name: Show the default entry
  ansible.builtin.debug:
    msg: "{{ ansible_facts.boot_entries.default.title }} ({{ ansible_facts.boot_entries.default.kernel }})"

- name: Is the debug build of the running kernel installed, and where is it in the menu?
  kdebug.kernel.boot_entries:
    match_release: "{{ ansible_facts.kernel }}"
  become: true
'''

RETURN = r'''
ansible_facts:
  description: Facts under one key.
  returned: always
  type: dict
  contains:
    boot_entries:
      description: The boot loader state.
      returned: always
      type: dict
      contains:
        bootloader:
          description:
            - V(grub2) (C(grub.cfg) entries), V(grub2-bls) (grubby with BLS entries in
              C(/boot/loader/entries)), V(grub2-grubby) (grubby without BLS, EL 7),
              V(systemd-boot), or V(unknown).
          type: str
        grub_cfg:
          description: The configuration parsed (null when none).
          type: str
        grubenv:
          description: Path of the environment block (null when none).
          type: str
        env:
          description: The environment block's variables (C(saved_entry), C(next_entry), ...).
          type: dict
        grub_default:
          description: C(GRUB_DEFAULT) from C(/etc/default/grub) (null when not set).
          type: str
        grub_default_line:
          description: The raw line that sets C(GRUB_DEFAULT) (null when none).
          type: str
        cfg_default:
          description: The default as written into grub.cfg (C(${saved_entry}), C(0), ...).
          type: str
        default_ref:
          description: The reference that decides the default boot (saved_entry's value or C(GRUB_DEFAULT)).
          type: str
        entries:
          description:
            - The menu entries (flat, submenus resolved). Each has C(title), C(id),
              C(path_id), C(path_title), C(path_index), C(kernel), C(release), C(args),
              C(initrd), C(recovery), C(debug), C(ref) (what to give grub-set-default /
              grub-reboot), C(source) (V(grub.cfg) or V(grubby)).
          type: list
          elements: dict
        default:
          description: The entry booted by default (ignoring a pending boot-once), or null.
          type: dict
        next_boot:
          description: The entry the next boot uses (a pending C(next_entry) wins), or null.
          type: dict
        debug_entry:
          description: The chosen debug kernel entry, or null (see RV(ansible_facts.boot_entries.debug_reason)).
          type: dict
        debug_reason:
          description: Why that entry was chosen, or why none was.
          type: str
        debug_releases:
          description: Releases of every debug kernel with a boot entry, newest first.
          type: list
          elements: str
        resolved:
          description: For each O(resolve) reference, the entry it selects (or null).
          type: dict
        previous:
          description:
            - With O(previous), C(entry) (the entry booting the previous default kernel now, or
              null), C(ref) (what to write into C(saved_entry)), C(exact) (the recorded value
              still boots it, so writing it back restores grubenv exactly).
          type: dict
        running_release:
          description: The running kernel's release (C(uname -r)).
          type: str
        cmdline:
          description: C(raw), C(words), and C(args_present) (O(args) -> bool).
          type: dict
        efi:
          description: Booted through EFI.
          type: bool
        secure_boot:
          description: Secure Boot enabled (null when unknown).
          type: bool
        boot_free_mb:
          description: Free space in O(boot_dir), MiB.
          type: int
        tools:
          description: Paths of the boot loader programs found (null when missing).
          type: dict
'''

import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.kdebug.kernel.plugins.module_utils import bootloader as bl

TOOLS = ('grubby', 'update-grub', 'grub-mkconfig', 'grub2-mkconfig', 'grub-set-default',
         'grub2-set-default', 'grub-reboot', 'grub2-reboot', 'grub-editenv', 'grub2-editenv',
         'bootctl', 'mokutil')


def read_text(path):
    with open(path, 'rb') as f:
        return to_text(f.read(), errors='surrogate_or_strict')


def first_existing(paths):
    for p in paths:
        if os.path.exists(p):
            return p
    return None


def flatten_entries(entries):
    out = []
    for e in entries:
        e = dict(e)
        e.pop('children', None)
        e['ref'] = bl.grub_ref(e)
        out.append(e)
    return out


def strip(entry):
    if entry is None:
        return None
    e = dict(entry)
    e.pop('children', None)
    e['ref'] = bl.grub_ref(e)
    return e


def main():
    module = AnsibleModule(
        argument_spec=dict(
            grub_cfg=dict(type='path'),
            grubenv=dict(type='path'),
            default_grub=dict(type='path', default='/etc/default/grub'),
            grubby=dict(type='str', default='auto'),
            entry_id=dict(type='str'),
            kernel=dict(type='str'),
            release=dict(type='str'),
            match_release=dict(type='str'),
            debug_suffixes=dict(type='list', elements='str', default=['+debug', '.debug']),
            args=dict(type='list', elements='str', default=[]),
            resolve=dict(type='list', elements='str', default=[]),
            previous=dict(type='dict', options=dict(
                release=dict(type='str', required=True),
                saved_entry=dict(type='str'),
                args=dict(type='str'),
            )),
            exclude_id_prefix=dict(type='str', default='kdebug-'),
            bls_dir=dict(type='path', default='/boot/loader/entries'),
            boot_dir=dict(type='path', default='/boot'),
            proc_cmdline=dict(type='path', default='/proc/cmdline'),
            efivars_dir=dict(type='path', default='/sys/firmware/efi/efivars'),
        ),
        mutually_exclusive=[('entry_id', 'kernel', 'release', 'match_release')],
        supports_check_mode=True,
    )
    p = module.params
    warnings = []

    tools = dict((t, module.get_bin_path(t)) for t in TOOLS)
    grubby = None
    if p['grubby'] == 'auto':
        grubby = tools['grubby']
    elif p['grubby'] != 'never':
        grubby = p['grubby']

    grub_cfg = p['grub_cfg'] or first_existing(['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'])
    grubenv = p['grubenv']
    if not grubenv:
        cands = []
        if grub_cfg:
            cands.append(os.path.join(os.path.dirname(grub_cfg), 'grubenv'))
        cands += ['/boot/grub/grubenv', '/boot/grub2/grubenv'] + sorted(glob.glob('/boot/efi/EFI/*/grubenv'))
        grubenv = first_existing(cands)

    env = {}
    if grubenv and os.path.exists(grubenv):
        try:
            env = bl.parse_grubenv(read_text(grubenv))
        except (IOError, OSError) as e:
            module.fail_json(msg='cannot read %s: %s (run with become: true)' % (grubenv, e))

    grub_default = None
    grub_default_line = None
    default_grub_values = {}
    if os.path.exists(p['default_grub']):
        try:
            default_grub_values, lines = bl.parse_shell_assignments(read_text(p['default_grub']))
        except (IOError, OSError) as e:
            module.fail_json(msg='cannot read %s: %s' % (p['default_grub'], e))
        grub_default = default_grub_values.get('GRUB_DEFAULT')
        grub_default_line = lines.get('GRUB_DEFAULT')

    items = []
    entries = []
    cfg_default = None
    bootloader = 'unknown'
    default = None
    next_boot = None
    default_ref = None
    resolved = {}
    previous = None
    resolve = None

    bls = bool(glob.glob(os.path.join(p['bls_dir'], '*.conf')))
    if grubby:
        rc, out, err = module.run_command([grubby, '--info=ALL'])
        if rc != 0:
            module.fail_json(msg='%s --info=ALL failed (rc %d): %s' % (grubby, rc, err.strip() or out.strip()))
        entries = bl.parse_grubby_info(out)
        bootloader = 'grub2-bls' if bls else 'grub2-grubby'
        rc, out, err = module.run_command([grubby, '--default-kernel'])
        default_kernel = out.strip() if rc == 0 else None
        default_ref = env.get('saved_entry')
        for e in entries:
            if default_kernel and e.get('kernel') == default_kernel:
                default = e
                break
        if default is None and default_ref:
            default = bl.find_by_ref(entries, default_ref)
        nxt = env.get('next_entry')
        next_boot = bl.find_by_ref(entries, nxt) if nxt else default

        def resolve(ref):
            return bl.find_by_ref(entries, ref)
    elif grub_cfg:
        try:
            parsed = bl.parse_grub_cfg(read_text(grub_cfg))
        except (IOError, OSError) as e:
            module.fail_json(msg='cannot read %s: %s (run with become: true)' % (grub_cfg, e))
        items = parsed['items']
        entries = parsed['entries']
        cfg_default = parsed['default']
        bootloader = 'grub2'
        if cfg_default is not None and cfg_default in ('${saved_entry}', '$saved_entry'):
            default_ref = env.get('saved_entry', '')
        else:
            default_ref = cfg_default
        default = bl.resolve_default(items, default_ref)
        nxt = env.get('next_entry')
        next_boot = bl.resolve_default(items, nxt) if nxt else default

        def resolve(ref):
            return bl.resolve_default(items, ref)
        if not entries:
            warnings.append('%s has no menu entries' % grub_cfg)
    elif tools['bootctl'] or first_existing(
            ['/boot/loader/loader.conf', '/boot/efi/loader/loader.conf', '/efi/loader/loader.conf']):
        bootloader = 'systemd-boot'

    if resolve is not None:
        for ref in p['resolve']:
            resolved[ref] = strip(resolve(ref))
        if p['previous']:
            raw = p['previous'].get('saved_entry') or None
            # what GRUB would boot with that saved_entry and today's menu and GRUB_DEFAULT
            if grubby:
                ref_now = raw if raw else '0'
            elif cfg_default in (None, '${saved_entry}', '$saved_entry'):
                ref_now = raw or ''
            else:
                ref_now = cfg_default
            raw_entry = resolve(ref_now)
            ch = bl.choose_previous(entries, raw, raw_entry, p['previous']['release'],
                                    p['previous'].get('args'), p['exclude_id_prefix'])
            previous = dict(entry=strip(ch['entry']), ref=ch['ref'], exact=ch['exact'])

    debug_entry, debug_reason = bl.select_debug_entry(
        entries, release=p['release'], match_release=p['match_release'], kernel=p['kernel'],
        entry_id=p['entry_id'], suffixes=tuple(p['debug_suffixes']))
    releases = []
    for e in entries:
        r = e.get('release')
        if r and bl.is_debug_release(r, tuple(p['debug_suffixes'])) and r not in releases:
            releases.append(r)
    ordered = []
    while releases:
        best = bl.newest(releases)
        ordered.append(best)
        releases.remove(best)

    cmdline_raw = ''
    try:
        cmdline_raw = read_text(p['proc_cmdline']).strip()
    except (IOError, OSError) as e:
        warnings.append('cannot read %s: %s' % (p['proc_cmdline'], e))

    boot_free_mb = None
    try:
        st = os.statvfs(p['boot_dir'])
        boot_free_mb = int(st.f_bavail * st.f_frsize // (1024 * 1024))
    except (IOError, OSError) as e:
        warnings.append('cannot stat %s: %s' % (p['boot_dir'], e))

    # /sys/firmware/efi exists when the kernel was booted through EFI
    efi = os.path.isdir(os.path.dirname(p['efivars_dir'].rstrip('/')))
    secure_boot = bl.secure_boot_state(p['efivars_dir']) if efi else False

    facts = dict(
        bootloader=bootloader,
        grub_cfg=grub_cfg,
        grubenv=grubenv,
        env=env,
        grub_default=grub_default,
        grub_default_line=grub_default_line,
        grub_cmdline_linux=default_grub_values.get('GRUB_CMDLINE_LINUX'),
        grub_cmdline_linux_default=default_grub_values.get('GRUB_CMDLINE_LINUX_DEFAULT'),
        cfg_default=cfg_default,
        default_ref=default_ref,
        entries=flatten_entries(entries),
        default=strip(default),
        next_boot=strip(next_boot),
        debug_entry=strip(debug_entry),
        debug_reason=debug_reason,
        debug_releases=ordered,
        resolved=resolved,
        previous=previous,
        running_release=os.uname()[2],
        cmdline=dict(raw=cmdline_raw, words=cmdline_raw.split(),
                     args_present=bl.args_present(cmdline_raw, p['args'])),
        efi=efi,
        secure_boot=secure_boot,
        boot_free_mb=boot_free_mb,
        bls=bls,
        tools=tools,
    )
    for w in warnings:
        module.warn(w)
    module.exit_json(changed=False, ansible_facts=dict(boot_entries=facts))


if __name__ == '__main__':
    main()
