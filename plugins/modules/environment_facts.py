#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: environment_facts
short_description: Fingerprint a host's environment in sections, each with a digest
version_added: 0.1.0
author: kdebug.kernel team (@kdebug)
description:
  - Reads what makes one test environment differ from another and returns it as a fingerprint
    in sections (hardware, kernel, installed kernels, distribution, packages, packaged files
    modified on this host, mounted filesystems, sysctls, configuration files, services).
  - Each section has its own digest and the fingerprint has one digest over them all, so
    "are two hosts the same" is one comparison and "where do they differ" the next; the
    fingerprints of two hosts, or of one host at two times, are
    compared by the P(kdebug.kernel.environment_diff#filter) filter and by
    C(playbooks/compare_environments.yml).
  - Volatile values (uptime, free memory, CPU frequency, counters, per-boot random sysctls,
    and what the kernel sizes at boot from the memory there is at that moment, which varies
    between boots of the same machine - C(kernel.threads-max), C(vm.user_reserve_kbytes),
    C(vm.admin_reserve_kbytes), the C(size=) and C(nr_inodes=) of devtmpfs) are never
    digested; they are kept apart in each section's C(volatile). Values that
    identify one host (hostname, machine id, MAC addresses, DMI serials, boot id) are kept
    apart in C(identity), which no digest covers.
  - Read-only; nothing on the host is changed. rpm (RHEL, Fedora, SUSE) and dpkg (Debian,
    Ubuntu) hosts are both supported.
options:
  sections:
    description:
      - The sections to collect. V(default) is every section but V(modified_files); V(all)
        is every section.
      - V(hardware) CPU model, count, microcode, relevant flags and bugs, memory and swap
        size, NUMA nodes, virtualization, DMI system and firmware, NICs (driver, MTU), disks.
      - V(kernel) release, build version, command line, taint decoded, loaded modules with
        version and srcversion, debug build options, the debug features live (kmemleak,
        lockdep, SysRq, hung task timeout), lockdown, SELinux, AppArmor.
      - V(kernels) the running kernel against the installed ones (C(/boot), C(/lib/modules)),
        and whether it is the newest.
      - V(distribution) C(/etc/os-release) and the distribution's release files.
      - V(packages) every installed package with its exact version and architecture (rpm
        C(epoch:version-release), dpkg version), dpkg states other than installed.
      - V(modified_files) packaged files changed on this host, as C(rpm -Va --nodeps
        --noscripts) or C(dpkg --verify) report them, bounded by O(verify_timeout) and
        O(max_modified_files). Reads every packaged file, which takes minutes on a large host.
      - V(filesystems) mounted filesystems (type, source, options), pseudo filesystems and
        session/container mounts left out.
      - V(sysctl) every readable value under C(/proc/sys) but C(fs/binfmt_misc), an automount
        point that opening would mount. C(user.max_*_namespaces) at the kernel's default (half
        of C(kernel.threads-max)) are recorded as that default.
      - V(config_files) sha256, size, mode and owner of configuration files (O(config_files)
        plus, with O(config_defaults), a built-in list of kernel, boot, systemd, package
        manager, limits, time and locale files).
      - V(services) systemd unit files of services, sockets and timers that are enabled,
        linked or masked, and the default target.
    type: list
    elements: str
    default: [default]
  timeout:
    description:
      - Seconds for the whole fingerprint. A section that would start after that is not
        collected and marked incomplete; a running command is given at most the time left.
      - C(rpm -Va) and C(dpkg --verify) (V(modified_files)) are bounded by O(verify_timeout)
        alone; their time does not count against this budget.
    type: float
    default: 120
  command_timeout:
    description: Seconds one command (package list, systemctl) may take.
    type: float
    default: 60
  verify_timeout:
    description:
      - Seconds C(rpm -Va) or C(dpkg --verify) may take (V(modified_files)); what it printed
        until then is kept and the section is marked incomplete.
    type: float
    default: 300
  max_entries:
    description:
      - At most this many entries per list (packages, modules, sysctls, mounts, files); the
        section is marked incomplete when more were found.
    type: int
    default: 20000
  max_modified_files:
    description: At most this many modified packaged files.
    type: int
    default: 1000
  config_files:
    description:
      - More configuration files to checksum, absolute paths or globs (C(*), C(?), C([...])).
        Directories are skipped.
    type: list
    elements: path
    default: []
  config_defaults:
    description: Also checksum the built-in list of configuration files (those present).
    type: bool
    default: true
  max_file_size:
    description: Configuration files larger than this (bytes) are listed with their size but
      not checksummed.
    type: int
    default: 4194304
  sysctl_exclude:
    description:
      - Globs of sysctl names (C(net.ipv4.conf.eth*)) left out, in addition to the built-in
        volatile ones (C(kernel.random.*), counters such as C(fs.file-nr)), which are kept
        apart in C(volatile).
    type: list
    elements: str
    default: []
  mount_exclude:
    description:
      - Globs of mount points left out, in addition to C(/run/user/*), container runtimes'
        directories, C(/proc/*) and C(/sys/*).
    type: list
    elements: str
    default: []
  cpu_flags:
    description:
      - V(relevant) keeps the CPU flags that change what the kernel or programs do
        (virtualization, vector units, mitigations, TSC); V(all) keeps every flag the CPUs
        have in common.
    type: str
    choices: [relevant, all]
    default: relevant
  package_managers:
    description:
      - V(auto) uses dpkg when C(dpkg-query) and C(/var/lib/dpkg/status) exist and rpm when
        C(rpm) and its database exist (both on a host that has both); V(rpm) or V(dpkg)
        forces one.
    type: list
    elements: str
    choices: [auto, rpm, dpkg]
    default: [auto]
  include_volatile:
    description: Return each section's C(volatile) values (never digested).
    type: bool
    default: true
notes:
  - "Run it with C(become: true): as another user some sysctls, C(/proc/lockdep_stats),
    C(/sys/kernel/debug), DMI serials and some configuration files cannot be read, and
    C(dpkg --verify) reports unreadable files as modified, so the fingerprint differs from
    the root one. Compare fingerprints taken with the same privileges and options."
  - Runs commands through C(timeout) (coreutils) when it is installed; without it
    O(command_timeout) and O(verify_timeout) are not enforced.
  - C(rpm -Va) runs with C(--nodeps --noscripts), so no package's verify script is run.
  - The overall digest covers the digests of the sections collected, so fingerprints taken
    with different O(sections) never have the same overall digest; compare section digests.
seealso:
  - module: kdebug.kernel.kernel_log
  - name: Comparing environments
    description: playbooks/compare_environments.yml in this collection.
    link: https://github.com/kdebug/kernel/blob/main/playbooks/compare_environments.yml
attributes:
  check_mode:
    description: The module only reads; check mode returns the same fingerprint.
    support: full
  diff_mode:
    description: Nothing to show; compare two fingerprints with the environment_diff filter.
    support: none
'''

EXAMPLES = r'''
- name: Fingerprint the host
  kdebug.kernel.environment_facts:
  become: true

- name: Show the overall digest and the one of each section
  ansible.builtin.debug:
    msg: "{{ ansible_facts.environment_fingerprint.digest }} {{ ansible_facts.environment_fingerprint.digests }}"

- name: Packages and packaged files modified on the host only, verify bounded to 2 minutes
  kdebug.kernel.environment_facts:
    sections: [packages, modified_files]
    verify_timeout: 120
  become: true

- name: Add the application's configuration and leave the test NIC's sysctls out
  kdebug.kernel.environment_facts:
    config_files:
      - /etc/myapp/*.conf
      - /opt/myapp/etc/settings.ini
    sysctl_exclude:
      - net.ipv4.conf.ens9.*
  become: true

- name: Compare with a fingerprint saved earlier
  ansible.builtin.debug:
    msg: "{{ (ansible_facts.environment_fingerprint
              | kdebug.kernel.environment_diff(lookup('ansible.builtin.file', 'baseline/web1.json') | from_json)).summary.lines }}"
'''

RETURN = r'''
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: dict
  contains:
    environment_fingerprint:
      description: The fingerprint; save it as JSON to compare later (it is its own saved form).
      returned: always
      type: dict
      contains:
        format:
          description: Version of this layout.
          type: str
          sample: kdebug.environment/1
        digest:
          description: One digest over the format and the digest of every section collected.
          type: str
          sample: sha256:4f1c0d3e...
        digests:
          description:
            - The digest of each section by name. With RV(ansible_facts.environment_fingerprint.digest)
              this is the short form a stress run's results carry; the environment_diff filter
              says which sections differ from the short form alone.
          type: dict
          sample: {"kernel": "sha256:9a0e...", "packages": "sha256:77d2..."}
        complete:
          description: False when a section hit a time or size bound (see its C(notes)).
          type: bool
        sections:
          description:
            - One entry per section collected, each with C(digest) (sha256 of the canonical
              JSON of C(data)), C(data) (what is compared), C(complete), C(notes) and, with
              O(include_volatile), C(volatile) (values that change by themselves; not digested).
          type: dict
        identity:
          description: Values that identify this host and are never digested (hostname,
            C(kernel.hostname), machine_id, DMI product_uuid and serials, boot_id, mac_addresses).
          type: dict
        collected:
          description: When (UTC) and how long the collection took, in total and per section,
            the sections requested, the size of the fingerprint in bytes (canonical JSON) and
            notes (commands that ran without a time limit). Not digested.
          type: dict
'''

import os

from ansible.module_utils.basic import AnsibleModule

try:
    from ansible_collections.kdebug.kernel.plugins.module_utils.environment import (
        Collector, canonical_json, expand_sections,
    )
    HAS_LIBRARY = True
    LIBRARY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - only when the collection is incomplete
    HAS_LIBRARY = False
    LIBRARY_IMPORT_ERROR = str(exc)


class EnvironmentFacts(object):
    """Checks the options, runs the collector, returns the fingerprint."""

    POSITIVE = ('timeout', 'command_timeout', 'verify_timeout', 'max_entries', 'max_modified_files',
                'max_file_size')

    def __init__(self, module):
        self.module = module
        self.params = module.params

    def check_options(self):
        params = self.params
        for name in self.POSITIVE:
            if params[name] <= 0:
                self.module.fail_json(msg='%s must be more than 0, got %s' % (name, params[name]))
        try:
            sections = expand_sections(params['sections'])
        except ValueError as exc:
            self.module.fail_json(msg='sections: %s' % exc)
        if not sections:
            self.module.fail_json(msg='sections: choose at least one section')
        for path in params['config_files']:
            if not os.path.isabs(path):
                self.module.fail_json(msg='config_files: %r is not an absolute path' % path)
        return sections

    def run(self, argv):
        return self.module.run_command(argv, environ_update=dict(LC_ALL='C', LANG='C'))

    def collect(self, sections):
        params = self.params
        collector = Collector(
            run=self.run, which=self.module.get_bin_path,
            timeout=params['timeout'], command_timeout=params['command_timeout'],
            verify_timeout=params['verify_timeout'], max_entries=params['max_entries'],
            max_modified_files=params['max_modified_files'], config_files=params['config_files'],
            config_defaults=params['config_defaults'], max_file_size=params['max_file_size'],
            sysctl_exclude=params['sysctl_exclude'], mount_exclude=params['mount_exclude'],
            cpu_flags=params['cpu_flags'], package_managers=params['package_managers'],
        )
        fingerprint = collector.collect(sections, include_volatile=params['include_volatile'])
        fingerprint['collected']['bytes'] = len(canonical_json(fingerprint))
        return fingerprint


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sections=dict(type='list', elements='str', default=['default']),
            timeout=dict(type='float', default=120),
            command_timeout=dict(type='float', default=60),
            verify_timeout=dict(type='float', default=300),
            max_entries=dict(type='int', default=20000),
            max_modified_files=dict(type='int', default=1000),
            config_files=dict(type='list', elements='path', default=[]),
            config_defaults=dict(type='bool', default=True),
            max_file_size=dict(type='int', default=4194304),
            sysctl_exclude=dict(type='list', elements='str', default=[]),
            mount_exclude=dict(type='list', elements='str', default=[]),
            cpu_flags=dict(type='str', choices=['relevant', 'all'], default='relevant'),
            package_managers=dict(type='list', elements='str', choices=['auto', 'rpm', 'dpkg'],
                                  default=['auto']),
            include_volatile=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_LIBRARY:
        module.fail_json(msg='the kdebug.kernel environment library could not be imported (%s): '
                             'reinstall the kdebug.kernel collection' % LIBRARY_IMPORT_ERROR)
    facts = EnvironmentFacts(module)
    sections = facts.check_options()
    fingerprint = facts.collect(sections)
    module.exit_json(changed=False, ansible_facts=dict(environment_fingerprint=fingerprint))


if __name__ == '__main__':
    main()
