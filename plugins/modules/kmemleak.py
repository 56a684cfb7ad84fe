#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: kmemleak
short_description: Scan for kernel memory leaks with kmemleak and report them as facts
version_added: 0.1.0
author: kdebug.kernel team (@kdebug)
description:
  - Drives the kernel memory leak detector (kmemleak, C(CONFIG_DEBUG_KMEMLEAK)) of a debug
    kernel booted with C(kmemleak=on) through C(/sys/kernel/debug/kmemleak), and turns its
    C(unreferenced object) records into findings deduplicated by call site, titled
    C(memory leak in FUNC) like syzbot does.
  - Also parses a saved copy of a kmemleak report (O(action=read) with O(path) pointing at
    the file), from any kernel from 3.10 (RHEL 7) on.
  - When kmemleak cannot be used the module says why and what to do, for a kernel built
    without kmemleak, a kernel not booted with C(kmemleak=on), kmemleak having disabled
    itself at run time after an internal allocation failure, debugfs not mountable, or
    not running as root.
options:
  action:
    description:
      - V(scan) asks kmemleak to scan memory now (O(scans) times, O(scan_interval) seconds
        apart) and then reads the report.
      - V(read) only reads the report (the live one, or a saved copy at O(path)).
      - V(clear) reads the current report, returns it, and then tells kmemleak to forget
        the objects reported so far (C(echo clear)), so the next scan shows only new leaks.
    type: str
    choices: [scan, read, clear]
    default: scan
  path:
    description:
      - The kmemleak file. With O(action=read) this may be a saved copy of a report
        anywhere (C(.gz) is decompressed); V(scan) and V(clear) need the live file on
        debugfs and refuse any other file.
      - A saved report must be a regular file (a FIFO or a device is refused before it is
        opened); one that cannot be read (no permission, an I/O error, a damaged C(.gz))
        fails the task whatever O(require_enabled) says.
    type: path
    default: /sys/kernel/debug/kmemleak
  scans:
    description:
      - How many scans to run before reading with O(action=scan). kmemleak does not report
        an object whose contents changed since the previous scan, so a single scan misses
        leaks that a second scan finds.
    type: int
    default: 2
  scan_interval:
    description:
      - Seconds to wait between two scans.
    type: float
    default: 5
  mount_debugfs:
    description:
      - Mount debugfs (C(mount -t debugfs debugfs /sys/kernel/debug)) when O(path) is in
        C(/sys/kernel/debug) and nothing is mounted there. It stays mounted.
    type: bool
    default: true
  ignore:
    description:
      - Python regular expressions; a record is left out of the findings (known false
        positives) when any of them is found (C(re.search)) in one of its backtrace frames,
        its C(comm) or its guilty function. Left-out records are counted in
        RV(ansible_facts.kmemleak.ignored).
    type: list
    elements: str
    default: []
  max_findings:
    description:
      - Return at most this many findings; RV(ansible_facts.kmemleak.truncated) tells when
        some were dropped. Without it the parser library's limit (1000) applies.
    type: int
  require_enabled:
    description:
      - V(true) fails the task when kmemleak is unavailable or disabled, with a message that
        explains why and what to do.
      - V(false) returns the facts with RV(ansible_facts.kmemleak.available) or
        RV(ansible_facts.kmemleak.enabled) false and the explanation in
        RV(ansible_facts.kmemleak.reason), so a play can report it and go on.
      - A disabled kmemleak still returns the records it kept (the kernel keeps them when it
        disabled itself after finding leaks), so O(action=read) and O(action=clear) fail
        only when the file cannot be read at all.
    type: bool
    default: true
notes:
  - "Needs root (C(become: true)) for the live file; C(/sys/kernel/debug) is readable by
    root only."
  - A scan takes from seconds to minutes depending on memory size; it runs in the kernel
    while the task waits.
  - kmemleak reports false positives (objects referenced only from places it does not
    scan); use O(ignore) for known ones and confirm a finding before filing it.
  - A disabled kmemleak cannot be turned on again without a reboot.
seealso:
  - module: kdebug.kernel.kernel_log
  - name: Kernel Memory Leak Detector
    description: The kernel's kmemleak documentation.
    link: https://docs.kernel.org/dev-tools/kmemleak.html
extends_documentation_fragment:
  - kdebug.kernel.attributes
attributes:
  check_mode:
    description: In check mode nothing is written to kmemleak and debugfs is not mounted;
      the current report is read and the module reports what it would do.
'''

EXAMPLES = r'''
- name: Scan twice and read what kmemleak found
  kdebug.kernel.kmemleak:
  become: true
  register: leaks

- name: Show the leaks by call site
  ansible.builtin.debug:
    msg: "{{ item.title }}: {{ item.count }} object(s), {{ item.bytes }} bytes"
  loop: "{{ ansible_facts.kmemleak.findings }}"

- name: Start a stage with a clean slate
  kdebug.kernel.kmemleak:
    action: clear
  become: true

- name: Scan once, ignoring a known false positive, without failing on kernels without kmemleak
  kdebug.kernel.kmemleak:
    scans: 1
    ignore:
      - '^acpi_'
    require_enabled: false
  become: true

- name: Parse a report saved on the controller
  kdebug.kernel.kmemleak:
    action: read
    path: /var/lib/lab/reports/kmemleak.txt
  delegate_to: localhost
'''

RETURN = r'''
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: dict
  contains:
    kmemleak:
      description: State of kmemleak and what it reported.
      returned: always
      type: dict
      contains:
        available:
          description: True when the kmemleak file (or the saved report) could be read.
          type: bool
          sample: true
        enabled:
          description:
            - True when kmemleak accepted a scan or the kernel log says it is running; false
              when it refused or the log, command line or kernel config says it is off.
            - Null when it could not be established without writing to it (O(action=read),
              check mode) or for a saved report.
          type: bool
        reason:
          description: Why kmemleak is unavailable or disabled, and what to do; null when
            all is well.
          type: str
          sample: "kmemleak is built into this kernel but off: ... add kmemleak=on to the kernel command line and reboot"
        reason_code:
          description: Machine-readable form of RV(ansible_facts.kmemleak.reason).
          type: str
          choices: [not_built, not_enabled_at_boot, disabled_on_cmdline, disabled_at_runtime,
                    disabled, debugfs_not_mounted, debugfs_not_mountable, lockdown, not_root,
                    unreadable]
        records:
          description: Number of unreferenced objects read (before O(ignore)).
          type: int
          sample: 12
        findings:
          description: Leaks deduplicated by call-site signature.
          type: list
          elements: dict
          contains:
            title:
              description: Searchable title.
              type: str
              sample: memory leak in alloc_inode
            function:
              description: The guilty frame (allocator and kmemleak frames skipped).
              type: str
            count:
              description: Number of objects with this signature.
              type: int
            bytes:
              description: Their total size.
              type: int
            sizes:
              description: Distinct object sizes.
              type: list
              elements: int
            comm:
              description: Distinct tasks that allocated them.
              type: list
              elements: str
            backtrace:
              description: The allocation backtrace (normalized frames).
              type: list
              elements: str
            signature:
              description: The deduplication key.
              type: str
            example:
              description: One of the records (address, size, kind, comm, pid, jiffies, age,
                hex, crc, backtrace, function, corrupted).
              type: dict
        truncated:
          description: True when O(max_findings) dropped findings.
          type: bool
        ignored:
          description: Records left out by O(ignore).
          type: int
        corrupted:
          description: Records that were cut or garbled and only partly parsed.
          type: int
        scans_done:
          description: Scans actually run by this call.
          type: int
        path:
          description: The file that was read.
          type: str
        live:
          description: True when O(path) is the kernel's file on debugfs, false for a saved
            report.
          type: bool
        mounted_debugfs:
          description: True when this call mounted debugfs.
          type: bool
        action:
          description: The action performed (or, in check mode, that would have been).
          type: str
        notes:
          description: What the kernel log says about kmemleak (self-disabling, pool
            exhaustion) and what check mode skipped.
          type: list
          elements: str
'''

import errno
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kdebug.kernel.plugins.module_utils.kdebug_common import (
    READ_ERRORS, InputPathError, KmsgReader, check_path_text, check_regular_file, cmdline_params,
    compile_regexes, describe_access_denied, describe_oserror, describe_read_error, find_mount,
    is_mountpoint, kernel_config_value, kernel_path, line_text, open_input_file, read_mounts,
    read_small_file, stat_errno,
)

try:
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import (
        MAX_LINE_BYTES, LineReader, iter_lines,
    )
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import summarize
    # the parser's state notes about kmemleak, and what kmemleak prints about itself
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import (
        FindingCollector, kmemleak_log_patterns,
    )
    HAS_PARSER = True
    PARSER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - only when the collection is incomplete
    HAS_PARSER = False
    PARSER_IMPORT_ERROR = str(exc)
    FindingCollector = kmemleak_log_patterns = None

# Kernel paths other than the options; unit tests point them at a temporary directory.
PATHS = dict(
    debugfs='/sys/kernel/debug',
    mounts='/proc/mounts',
    filesystems='/proc/filesystems',
    cmdline='/proc/cmdline',
    config_gz='/proc/config.gz',
    boot_config='/boot/config-%s',
    lockdown='/sys/kernel/security/lockdown',
)

# What kmemleak prints about itself (mm/kmemleak.c, linux 3.10 to 6.x): (kind, regex) with
# kind 'initialized', 'disabled', 'failure' (the lines before kmemleak_disable() in
# kmemleak_stop() and create_object(), and the 3.10-4.x early log overflow) or 'kept'. One
# table with the parser's notes: kernel_findings.NOTE_FORMATS, its kmemleak column.
LOG_PATTERNS = kmemleak_log_patterns() if HAS_PARSER else []


class KmemleakState(object):
    """Everything the module learns; becomes ansible_facts.kmemleak."""

    def __init__(self, action, path):
        self.facts = dict(
            available=False, enabled=None, reason=None, reason_code=None, records=0,
            findings=[], truncated=False, ignored=0, corrupted=0, scans_done=0, path=path, live=False,
            mounted_debugfs=False, action=action, notes=[],
        )

    def unavailable(self, code, reason):
        self.facts.update(available=False, reason_code=code, reason=reason)

    def disabled(self, code, reason):
        self.facts.update(enabled=False, reason_code=code, reason=reason)


def write_command(path, word):
    """Write one kmemleak command ('scan', 'clear'). Tests replace this function.

    EnvironmentError propagates: EPERM (6.x) or EBUSY (3.10-5.x) when kmemleak is off.
    """
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, word.encode('ascii'))
    finally:
        os.close(fd)


def mount_debugfs(module, mountpoint):
    """Mount debugfs; returns (ok, error text). Tests replace this function."""
    mount = module.get_bin_path('mount')
    if not mount:
        return False, 'mount: command not found'
    rc, out, err = module.run_command([mount, '-t', 'debugfs', 'debugfs', mountpoint],
                                      environ_update=dict(LC_ALL='C', LANG='C'))
    if rc != 0:
        return False, (err or out or 'rc=%s' % rc).strip()
    return True, None


def root_hint():
    uid = os.geteuid()
    if uid != 0:
        return ('this task runs as uid %d, not root; /sys/kernel/debug is readable by root '
                'only: use become: true' % uid)
    return None


def lockdown_state():
    """'integrity' / 'confidentiality' when the kernel is locked down, else None."""
    text = read_small_file(PATHS['lockdown'])
    if not text:
        return None
    match = re.search(r'\[(\w+)\]', text)
    if match and match.group(1) != 'none':
        return match.group(1)
    return None


class LogEvidence(object):
    """kmemleak's own messages in the kernel log, plus the parser's state notes."""

    def __init__(self):
        self.lines = {}      # kind -> list of texts in order
        self.order = []      # kinds in log order
        self.notes = []
        self.error = None

    def first(self, kind):
        texts = self.lines.get(kind)
        return texts[0] if texts else None

    def has(self, kind):
        return kind in self.lines

    def last_is(self, kind, other):
        """True when the last 'kind' line comes after the last 'other' line."""
        last_kind = last_other = -1
        for i, k in enumerate(self.order):
            if k == kind:
                last_kind = i
            elif k == other:
                last_other = i
        return last_kind > last_other


def read_log_evidence(kmsg_path):
    evidence = LogEvidence()
    try:
        reader = KmsgReader(kmsg_path)
    except (IOError, OSError) as exc:
        evidence.error = '%s: %s' % (kmsg_path, describe_oserror(exc))
        return evidence
    collector = FindingCollector(types=['memory_leak'], source=kmsg_path)
    try:
        for line in iter_lines(reader.lines()):
            collector.feed(line)
            text = line_text(line)
            if 'kmemleak' not in text.lower() and 'memory leak detector' not in text:
                continue
            for kind, regex in LOG_PATTERNS:
                if regex.search(text):
                    evidence.lines.setdefault(kind, []).append(text.strip())
                    evidence.order.append(kind)
                    break
    except (IOError, OSError) as exc:
        evidence.error = '%s: read failed: %s' % (kmsg_path, describe_oserror(exc))
    finally:
        reader.close()
    for note in collector.result().get('notes') or []:
        # the parser's state notes: dict(note, kind, line, ts, wallclock, count)
        if isinstance(note, dict) and str(note.get('kind', '')).startswith('kmemleak'):
            evidence.notes.append('kernel log%s: %s%s' % (
                ' line %s' % note['line'] if note.get('line') else '', note.get('note'),
                ' (%d times)' % note['count'] if (note.get('count') or 1) > 1 else ''))
    if reader.overruns:
        evidence.notes.extend(reader.notes)
    return evidence


def boot_config():
    """(CONFIG_DEBUG_KMEMLEAK value, DEFAULT_OFF value, config file) of the running kernel."""
    release = os.uname()[2]
    built, source = kernel_config_value('CONFIG_DEBUG_KMEMLEAK', release, PATHS['config_gz'],
                                        PATHS['boot_config'])
    default_off, dummy = kernel_config_value('CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF', release,
                                             PATHS['config_gz'], PATHS['boot_config'])
    return built, default_off, source


def explain_disabled(state, evidence, refused=None):
    """Set enabled=False with the most specific reason we can establish."""
    cmdline = cmdline_params(PATHS['cmdline'])
    built, default_off, config_source = boot_config()
    refused_text = ''
    if refused:
        refused_text = 'kmemleak refused the command (%s). ' % refused
    if 'kmemleak=off' in cmdline:
        state.disabled('disabled_on_cmdline',
                       refused_text + 'kmemleak is off because the kernel was booted with '
                       'kmemleak=off (%s): replace it with kmemleak=on and reboot'
                       % PATHS['cmdline'])
        return
    failure = evidence.first('failure')
    if failure:
        state.disabled('disabled_at_runtime',
                       refused_text + 'kmemleak disabled itself at run time after an internal '
                       'failure; the kernel log says: "%s"%s. It stays off until the next '
                       'boot. This happens when memory is exhausted (for example an OOM '
                       'stage): reboot, and run kmemleak scans before the memory exhaustion '
                       'stages or treat findings after it as incomplete'
                       % (failure, (', then "%s"' % evidence.first('disabled'))
                          if evidence.has('disabled') else ''))
        return
    if evidence.has('initialized') and evidence.has('disabled') and \
            evidence.last_is('disabled', 'initialized'):
        state.disabled('disabled_at_runtime',
                       refused_text + 'kmemleak was running after boot and was then disabled '
                       '(the kernel log says "%s" after "%s"); either someone wrote "off" to '
                       'the kmemleak file or it failed with messages that are no longer in the '
                       'ring buffer. It stays off until the next boot'
                       % (evidence.first('disabled'), evidence.first('initialized')))
        return
    if 'kmemleak=on' not in cmdline:
        if default_off == 'y':
            state.disabled('not_enabled_at_boot',
                           refused_text + 'kmemleak is built into this kernel but off: the '
                           'kernel has CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF=y (%s) and was not '
                           'booted with kmemleak=on (%s has no kmemleak=on): add kmemleak=on to '
                           'the kernel command line (the kdebug.kernel.debug_kernel role does) '
                           'and reboot' % (config_source, PATHS['cmdline']))
            return
        state.disabled('not_enabled_at_boot',
                       refused_text + 'kmemleak is off, most likely because the kernel was not '
                       'booted with kmemleak=on (%s has no kmemleak=on; distribution debug '
                       'kernels build kmemleak off by default, '
                       'CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF=y%s): add kmemleak=on to the kernel '
                       'command line and reboot'
                       % (PATHS['cmdline'], '' if default_off is not None else
                          ', the kernel config could not be read to confirm'))
        return
    state.disabled('disabled',
                   refused_text + 'kmemleak is off although the kernel was booted with '
                   'kmemleak=on, and the kernel log no longer says why (the ring buffer may '
                   'have wrapped; check the serial console capture for "kmemleak:" lines). It '
                   'stays off until the next boot')


def guess_enabled(state, evidence):
    """Without writing to kmemleak: enabled True/False/None from the log and the boot."""
    if evidence.has('disabled') and (not evidence.has('initialized')
                                     or evidence.last_is('disabled', 'initialized')):
        explain_disabled(state, evidence)
        return
    if evidence.has('initialized'):
        state.facts['enabled'] = True
        return
    cmdline = cmdline_params(PATHS['cmdline'])
    if 'kmemleak=off' in cmdline:
        explain_disabled(state, evidence)
        return
    if 'kmemleak=on' not in cmdline:
        dummy, default_off, dummy2 = boot_config()
        if default_off == 'y':
            explain_disabled(state, evidence)
            return
    state.facts['enabled'] = None


def explain_missing(state, module):
    """The file is absent although debugfs is mounted: kernel without kmemleak?"""
    built, dummy, source = boot_config()
    path = state.facts['path']
    if built in ('y', 'm'):
        state.unavailable('unreadable',
                          '%s does not exist although the kernel config (%s) has '
                          'CONFIG_DEBUG_KMEMLEAK=%s: kmemleak failed to initialize early (see '
                          'the kernel log and the serial console capture for "kmemleak:" '
                          'lines) or debugfs is mounted somewhere else' % (path, source, built))
    elif built == 'n':
        state.unavailable('not_built',
                          'this kernel is built without kmemleak (CONFIG_DEBUG_KMEMLEAK is not '
                          'set in %s), so %s does not exist: boot a debug kernel (kernel-debug '
                          'on RHEL and derivatives, or build one with the '
                          'kdebug.kernel.debug_kernel_build role) with kmemleak=on'
                          % (source, path))
    else:
        state.unavailable('not_built',
                          '%s does not exist although debugfs is mounted: this kernel is most '
                          'likely built without kmemleak (CONFIG_DEBUG_KMEMLEAK; the kernel '
                          'config could not be read to confirm, neither %s nor %s is '
                          'readable): boot a debug kernel with kmemleak=on'
                          % (path, PATHS['config_gz'], PATHS['boot_config'] % os.uname()[2]))


def locate(module, state):
    """Find out whether path is usable; mounts debugfs when allowed.

    Returns True when the file exists and can be opened (state.facts live/available set).
    """
    params = module.params
    path = params['path']
    action = params['action']
    err = stat_errno(path)
    mounts = read_mounts(PATHS['mounts'])
    parent = os.path.dirname(os.path.normpath(path))
    debugfs_dir = os.path.normpath(PATHS['debugfs'])

    if err == errno.EACCES:
        if not is_below(path, debugfs_dir):
            # a saved report: nothing to do with debugfs
            module.fail_json(msg='cannot access the saved report %s: %s' % (
                path, describe_access_denied(path)), ansible_facts=dict(kmemleak=state.facts))
        state.unavailable('not_root', 'cannot access %s: %s' % (
            path, root_hint() or 'permission denied (is access restricted by a security '
                                 'module?)'))
        return False
    if err is not None and err != errno.ENOENT:
        if not is_below(path, debugfs_dir):
            module.fail_json(msg='cannot access the saved report %s: %s (%s)'
                                 % (path, errno.errorcode.get(err, err), os.strerror(err)),
                             ansible_facts=dict(kmemleak=state.facts))
        state.unavailable('unreadable', 'cannot access %s: %s' % (path, os.strerror(err)))
        return False

    mount = find_mount(path, mounts)
    on_debugfs = mount is not None and mount[1] == 'debugfs'

    if err == errno.ENOENT:
        if on_debugfs:
            explain_missing(state, module)
            return False
        if parent == debugfs_dir and not is_mountpoint(debugfs_dir, mounts):
            if not params['mount_debugfs']:
                state.unavailable('debugfs_not_mounted',
                                  'debugfs is not mounted at %s, so %s does not exist: set '
                                  'mount_debugfs: true or mount it (mount -t debugfs debugfs '
                                  '%s)' % (debugfs_dir, path, debugfs_dir))
                return False
            if module.check_mode:
                state.unavailable('debugfs_not_mounted',
                                  'debugfs is not mounted at %s; check mode does not mount it, '
                                  'so kmemleak could not be looked at' % debugfs_dir)
                state.facts['notes'].append('check mode: would mount debugfs at %s'
                                            % debugfs_dir)
                return False
            ok, error = mount_debugfs(module, debugfs_dir)
            if not ok:
                hint = root_hint()
                if hint:
                    state.unavailable('not_root', 'cannot mount debugfs at %s (%s): %s'
                                      % (debugfs_dir, error, hint))
                    return False
                filesystems = read_small_file(PATHS['filesystems'], default='') or ''
                why = []
                if filesystems and not re.search(r'\bdebugfs\b', filesystems):
                    why.append('this kernel has no debugfs (CONFIG_DEBUG_FS is not set: '
                               'debugfs is missing from %s)' % PATHS['filesystems'])
                else:
                    cmdline = cmdline_params(PATHS['cmdline'])
                    off = [w for w in cmdline if w.startswith('debugfs=')]
                    if off:
                        why.append('the kernel was booted with %s' % off[0])
                    locked = lockdown_state()
                    if locked:
                        why.append('the kernel is locked down (%s mode, %s)'
                                   % (locked, PATHS['lockdown']))
                    if not why:
                        why.append('debugfs may be disabled in this kernel '
                                   '(CONFIG_DEBUG_FS_DISALLOW_MOUNT) or by a security module')
                state.unavailable('debugfs_not_mountable',
                                  'mount -t debugfs debugfs %s failed: %s; %s. kmemleak is '
                                  'only reachable through debugfs: boot a debug kernel with '
                                  'debugfs allowed' % (debugfs_dir, error, '; '.join(why)))
                return False
            state.facts['mounted_debugfs'] = True
            mounts = read_mounts(PATHS['mounts'])
            mount = find_mount(path, mounts)
            err = stat_errno(path)
            if err == errno.ENOENT:
                explain_missing(state, module)
                return False
            if err is not None:
                state.unavailable('unreadable', 'cannot access %s after mounting debugfs: %s'
                                  % (path, os.strerror(err)))
                return False
            on_debugfs = True
        else:
            module.fail_json(msg='%s does not exist: give the live kmemleak file '
                                 '(/sys/kernel/debug/kmemleak) or, with action: read, a saved '
                                 'report' % path, ansible_facts=dict(kmemleak=state.facts))

    state.facts['live'] = on_debugfs
    if not on_debugfs and action != 'read':
        module.fail_json(msg='%s is not on debugfs (it is on %s): action %s writes to the '
                             'kernel\'s kmemleak file and is refused on any other file to '
                             'protect it; use action: read to parse a saved report'
                             % (path, mount[1] if mount else 'an unknown filesystem', action),
                         ansible_facts=dict(kmemleak=state.facts))
    if os.path.isdir(path):
        module.fail_json(msg='%s is a directory: path must be the kmemleak file or a saved '
                             'report' % path, ansible_facts=dict(kmemleak=state.facts))
    if not on_debugfs:
        try:
            check_regular_file(path)  # before opening: a FIFO would hang the task
        except InputPathError as exc:
            module.fail_json(msg=str(exc), ansible_facts=dict(kmemleak=state.facts))
        except (IOError, OSError):
            pass  # read_report says what is wrong
    return True


def is_below(path, directory):
    """True when path is directory or inside it (lexically)."""
    path = os.path.normpath(os.path.abspath(path))
    directory = os.path.normpath(os.path.abspath(directory))
    return path == directory or path.startswith(directory.rstrip('/') + '/')


def classify_oserror(state, evidence_loader, exc, doing):
    """Turn an error from opening/writing kmemleak into a reason."""
    path = state.facts['path']
    err = getattr(exc, 'errno', None)
    detail = '%s %s: %s' % (doing, path, describe_oserror(exc))
    if err == errno.EACCES:
        state.unavailable('not_root', '%s; %s' % (detail, root_hint() or
                                                  'permission denied although running as root '
                                                  '(a security module?)'))
        return
    if err == errno.EPERM and doing == 'opening' and os.geteuid() == 0:
        locked = lockdown_state()
        if locked:
            state.unavailable('lockdown', '%s: the kernel is locked down (%s mode, %s), which '
                                          'forbids debugfs access; boot without lockdown '
                                          '(Secure Boot off or lockdown=none) to use kmemleak'
                              % (detail, locked, PATHS['lockdown']))
            return
    if err in (errno.EPERM, errno.EBUSY):
        # 6.1 kmemleak_write() returns -EPERM when !kmemleak_enabled (mm/kmemleak.c); older
        # kernels returned -EBUSY, and 3.10's kmemleak_open() returned -EBUSY for a disabled
        # kmemleak, so there the report cannot even be read.
        state.facts['available'] = doing != 'opening'
        explain_disabled(state, evidence_loader(), refused=describe_oserror(exc))
        return
    state.unavailable('unreadable', detail)


def read_report(module, state):
    """Parse the report at path into state.facts; returns the error that stopped it and what
    was being done ('opening' or 'reading'), or None."""
    params = module.params
    path = params['path']
    live = state.facts['live']
    try:
        fobj = open(path, 'rb') if live else open_input_file(path)
    except InputPathError as exc:
        module.fail_json(msg=str(exc), ansible_facts=dict(kmemleak=state.facts))
    except (IOError, OSError) as exc:
        if live:
            return exc, 'opening'
        # a saved report that cannot be read fails, whatever require_enabled says
        hint = ''
        if exc.errno == errno.EACCES:
            hint = ': ' + describe_access_denied(path)
        module.fail_json(msg='cannot open the saved report %s: %s%s'
                             % (path, describe_oserror(exc), hint),
                         ansible_facts=dict(kmemleak=state.facts))
    reader = LineReader(fobj)
    try:
        # the parser's streaming path (fast for the debugfs format) reads through the
        # LineReader, which keeps the read error the parser takes for the end of the report
        summary = summarize(reader, ignore=params['ignore'] or None,
                            max_findings=params['max_findings'])
        reader.check()
    except READ_ERRORS as exc:
        if not live:
            module.fail_json(msg='the saved report %s %s' % (path, describe_read_error(path, exc)),
                             ansible_facts=dict(kmemleak=state.facts))
        return exc, 'reading'
    finally:
        fobj.close()
    if reader.cut_lines:
        state.facts['notes'].append(
            '%s: %d line(s) longer than %d bytes were cut there, %d bytes dropped (not a '
            'kmemleak report, or a capture whose line ends were lost?)'
            % (path, reader.cut_lines, MAX_LINE_BYTES, reader.cut_bytes))
    state.facts['available'] = True
    state.facts['records'] = summary.get('records', 0)
    state.facts['findings'] = summary.get('findings') or []
    state.facts['truncated'] = bool(summary.get('truncated'))
    state.facts['ignored'] = summary.get('ignored', 0)
    state.facts['corrupted'] = summary.get('corrupted', 0)
    return None


def finish(module, state, changed):
    facts = state.facts
    params = module.params
    failed = False
    if params['require_enabled']:
        if not facts['available']:
            failed = True
        elif facts['enabled'] is False and params['action'] == 'scan' and facts['live']:
            failed = True
    if failed and not (module.check_mode and facts['reason_code'] == 'debugfs_not_mounted'):
        module.fail_json(msg='kmemleak: %s (set require_enabled: false to get the facts '
                             'instead of a failure)' % facts['reason'], changed=changed,
                         ansible_facts=dict(kmemleak=facts))
    module.exit_json(changed=changed, ansible_facts=dict(kmemleak=facts))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            action=dict(type='str', choices=['scan', 'read', 'clear'], default='scan'),
            path=dict(type='path', default='/sys/kernel/debug/kmemleak'),
            scans=dict(type='int', default=2),
            scan_interval=dict(type='float', default=5),
            mount_debugfs=dict(type='bool', default=True),
            ignore=dict(type='list', elements='str', default=[]),
            max_findings=dict(type='int'),
            require_enabled=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not HAS_PARSER:
        module.fail_json(msg='the kdebug.kernel parser library could not be imported (%s): '
                             'reinstall the kdebug.kernel collection' % PARSER_IMPORT_ERROR)
    if params['scans'] < 1:
        module.fail_json(msg='scans must be 1 or more, got %d' % params['scans'])
    if params['scan_interval'] < 0:
        module.fail_json(msg='scan_interval must be 0 or more seconds, got %s'
                             % params['scan_interval'])
    if params['max_findings'] is not None and params['max_findings'] < 1:
        module.fail_json(msg='max_findings must be 1 or more (omit it for the default limit), got %d'
                             % params['max_findings'])
    try:
        compile_regexes(params['ignore'], 'ignore')
        check_path_text(params['path'], 'path')
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    action = params['action']
    state = KmemleakState(action, params['path'])
    evidence_cache = []

    def evidence():
        if not evidence_cache:
            ev = read_log_evidence(kernel_path('kmsg'))
            evidence_cache.append(ev)
            for note in ev.notes:
                if note not in state.facts['notes']:
                    state.facts['notes'].append(note)
            if ev.error:
                state.facts['notes'].append('the kernel log could not be read to find out '
                                            'why (%s)' % ev.error)
        return evidence_cache[0]

    if not locate(module, state):
        finish(module, state, changed=state.facts['mounted_debugfs'] or (
            module.check_mode and bool(state.facts['notes'])))

    changed = state.facts['mounted_debugfs']
    live = state.facts['live']

    if action == 'scan' and live:
        if module.check_mode:
            state.facts['notes'].append('check mode: would write "scan" to %s %d time(s), %s '
                                        's apart, then read the report'
                                        % (params['path'], params['scans'],
                                           params['scan_interval']))
            changed = True
        else:
            for i in range(params['scans']):
                if i:
                    time.sleep(params['scan_interval'])
                try:
                    write_command(params['path'], 'scan')
                except (IOError, OSError) as exc:
                    classify_oserror(state, evidence, exc,
                                     'writing "scan" to' if i == 0 else 'writing "scan" again to')
                    break
                state.facts['scans_done'] += 1
                state.facts['enabled'] = True
            changed = changed or state.facts['scans_done'] > 0
            if state.facts['reason_code'] is not None and not state.facts['available']:
                finish(module, state, changed)

    error = read_report(module, state)
    if error is not None:
        classify_oserror(state, evidence, error[0], error[1])
        finish(module, state, changed)

    if live and state.facts['enabled'] is None:
        guess_enabled(state, evidence())

    if action == 'clear':
        if state.facts['records'] > 0:
            changed = True
        if module.check_mode:
            state.facts['notes'].append('check mode: would write "clear" to %s (%d record(s) '
                                        'would be forgotten)' % (params['path'],
                                                                 state.facts['records']))
        else:
            try:
                write_command(params['path'], 'clear')
            except (IOError, OSError) as exc:
                # "clear" is accepted even by a disabled kmemleak (6.x); anything else is an
                # error worth failing on: the caller asked for a clean slate.
                module.fail_json(msg='writing "clear" to %s failed: %s%s'
                                     % (params['path'], describe_oserror(exc),
                                        ('; ' + root_hint()) if root_hint() else ''),
                                 ansible_facts=dict(kmemleak=state.facts))
    finish(module, state, changed)


if __name__ == '__main__':
    main()
