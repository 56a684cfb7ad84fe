#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: sysrq
short_description: Trigger SysRq dumps (held locks, blocked tasks, task states, memory) and return what the kernel printed
version_added: 0.1.0
author: kdebug.kernel team (@kdebug)
description:
  - Triggers Magic SysRq keys through C(/proc/sysrq-trigger) one after another and returns,
    per key, the lines the kernel printed, with the held locks of show-all-locks (C(d))
    and the blocked tasks of show-blocked-tasks (C(w)) parsed.
  - "Each key is bracketed by marker lines written to C(/dev/kmsg)
    (C(kdebug.sysrq: begin KEY ID) and C(kdebug.sysrq: end KEY ID)), so its output is
    cut out of the kernel log exactly and the markers also show in a serial console
    capture."
  - A key the kernel does not have is explained instead of returning nothing; for example
    C(d) on a kernel without lockdep prints the SysRq help line, and the module returns
    an RV(ansible_facts.sysrq.unsupported) entry saying it needs a kernel with
    C(CONFIG_LOCKDEP).
  - Keys that change the system (reboot, crash, OOM kill, kill all tasks, sync, remount,
    ...) are refused unless O(allow_destructive=true).
options:
  keys:
    description:
      - SysRq keys to trigger, in order. Useful read-only ones are C(d) show-all-locks
        (lockdep kernels), C(w) show-blocked-tasks, C(t) show-task-states, C(m)
        show-memory-usage, C(l) show-backtrace-all-active-cpus, C(p) show-registers,
        C(q) show-all-timers and C(h) help (what this kernel supports).
      - Letters are case-insensitive. C(0)-C(9) (console log level), C(b) reboot, C(c)
        crash, C(e) terminate-all-tasks, C(f) memory-full-oom-kill, C(g) kernel debugger,
        C(i) kill-all-tasks, C(j) thaw-filesystems, C(k) SAK, C(n) nice-all-RT-tasks,
        C(o) poweroff, C(r) unraw, C(s) sync, C(u) remount read-only, C(v), C(x), C(y)
        (architecture specific) and C(z) dump-ftrace-buffer (empties the trace buffer)
        need O(allow_destructive=true).
    type: list
    elements: str
    required: true
  allow_destructive:
    description:
      - Allow keys that change the system or lose data (see O(keys)). C(c) crashes the
        kernel and C(b) reboots it at once, without syncing.
    type: bool
    default: false
  enable_sysrq:
    description:
      - When C(kernel.sysrq) (C(/proc/sys/kernel/sysrq)) is restricted (not 1), set it to 1 for the
        duration of the call and restore the old value afterwards, even on failure.
      - C(/proc/sysrq-trigger) itself is not bound by this mask (in C(drivers/tty/sysrq.c),
        C(write_sysrq_trigger) calls C(__handle_sysrq) with C(check_mask) false, which skips
        the check), so the keys work either way; the setting matters for the keyboard and
        the serial console (break), which you may need when the system hangs during the
        call.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for a key's end marker to show in the kernel log.
    type: float
    default: 30
  settle:
    description:
      - Seconds to wait after triggering a key before writing its end marker. Most keys
        print synchronously; C(l) makes the other CPUs print from an interrupt, so a
        longer wait is used for it (at least 2 seconds).
    type: float
    default: 0.5
  max_output_lines:
    description:
      - Keep at most this many lines of each key's output in
        RV(ansible_facts.sysrq.key_results[].output) (the parsed locks and tasks always use all of
        it). C(t) on a large system prints thousands of lines.
    type: int
    default: 2000
notes:
  - "Needs root (C(become: true))."
  - "The kernel prints the header of a key (for example C(sysrq: Show Blocked State), or
    C(SysRq : Show Blocked State) on 3.10) and then the dump; both are in the output."
  - Output that was overwritten in the kernel ring buffer before it was read (C(t) on a
    large system) is noted in RV(ansible_facts.sysrq.notes); boot with a larger
    C(log_buf_len=) or read the serial console capture.
seealso:
  - module: kdebug.kernel.kernel_log
  - name: Linux Magic System Request Key Hacks
    description: The kernel's SysRq documentation.
    link: https://docs.kernel.org/admin-guide/sysrq.html
extends_documentation_fragment:
  - kdebug.kernel.attributes
attributes:
  check_mode:
    description: In check mode nothing is triggered or written; the module validates the
      keys, reads the current C(kernel.sysrq) value and reports what it would trigger.
'''

EXAMPLES = r'''
- name: Dump held locks and blocked tasks while the stage is stuck
  kdebug.kernel.sysrq:
    keys: [d, w]
  become: true
  register: dump

- name: Show which tasks hold which locks
  ansible.builtin.debug:
    msg: "{{ item.task }}/{{ item.pid }} holds {{ item.locks | map(attribute='name') | list }}"
  loop: "{{ dump.ansible_facts.sysrq.key_results | selectattr('key', 'equalto', 'd') | map(attribute='locks') | flatten }}"

- name: Full picture of a hang
  kdebug.kernel.sysrq:
    keys: [d, w, t, m]
    max_output_lines: 500
  become: true

- name: Invoke the OOM killer on purpose (a memory exhaustion stage)
  kdebug.kernel.sysrq:
    keys: [f]
    allow_destructive: true
  become: true
'''

RETURN = r'''
ansible_facts:
  description: Facts set by the module.
  returned: success
  type: dict
  contains:
    sysrq:
      description: What was triggered and what the kernel printed.
      returned: success
      type: dict
      contains:
        key_results:
          description: One entry per key, in order.
          type: list
          elements: dict
          contains:
            key:
              description: The key.
              type: str
              sample: d
            name:
              description: What the key does (the kernel's help text).
              type: str
              sample: show-all-locks
            triggered:
              description: True when the key was written to the trigger (false in check mode).
              type: bool
            supported:
              description: False when the kernel printed its help line instead of running the
                key (the key does not exist in this kernel); null when not triggered.
              type: bool
            reason:
              description: Why the key is unsupported, or what its output means (for example
                lockdep having turned itself off).
              type: str
            header:
              description: "The kernel's action line (C(sysrq: Show Locks Held))."
              type: str
            output:
              description: Message text of what the kernel printed between the markers
                (capped by O(max_output_lines)).
              type: list
              elements: str
            output_lines:
              description: Number of lines printed, before capping.
              type: int
            output_truncated:
              description: True when O(max_output_lines) cut the output.
              type: bool
            complete:
              description: True when the end marker was seen (the output is whole).
              type: bool
            locks:
              description: For C(d) (and C(t), which ends with the same dump) the held
                locks per task, as returned by the parser (task, pid, count, locks with
                index, name, usage, at, raw).
              type: list
              elements: dict
            blocked_tasks:
              description: For C(w), the blocked tasks (task, pid, state, stack).
              type: list
              elements: dict
            available_keys:
              description: When the kernel printed its help line, the keys it offers
                (name and key).
              type: list
              elements: dict
        unsupported:
          description: Keys the kernel does not support, with the reason.
          type: list
          elements: dict
          sample: [{"key": "d", "reason": "show-all-locks needs a kernel with CONFIG_LOCKDEP (a debug kernel)"}]
        old_value:
          description: C(kernel.sysrq) before the call (null when unreadable).
          type: int
          sample: 16
        temporarily_enabled:
          description: True when C(kernel.sysrq) was set to 1 for the call.
          type: bool
        restored:
          description: True when the old C(kernel.sysrq) value was written back (or nothing
            needed restoring).
          type: bool
        cursor:
          description: A kernel log cursor after the last end marker, usable as
            O(kdebug.kernel.kernel_log#module:since).
          type: str
        notes:
          description: Notes about the run (markers that could not be written, lost output).
          type: list
          elements: str
'''

import errno
import os
import re
import time
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kdebug.kernel.plugins.module_utils.kdebug_common import (
    CursorTracker, KmsgReader, cap_text_lines, describe_oserror, kernel_path, line_text,
    read_boot_id, read_small_file, write_kmsg,
)

try:
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import MAX_LINE_BYTES, iter_lines
    from ansible_collections.kdebug.kernel.plugins.module_utils.locks import (
        parse_blocked_tasks, parse_held_locks,
    )
    HAS_PARSER = True
    PARSER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - only when the collection is incomplete
    HAS_PARSER = False
    PARSER_IMPORT_ERROR = str(exc)

# The SysRq key set, from sysrq_key_table[] and the help_msg of each op in
# drivers/tty/sysrq.c (linux 6.1), plus keys registered elsewhere (o: poweroff in
# kernel/power/poweroff.c; g: kgdb; v, x, y: architecture/driver specific).
# key -> (name, safe, why it is refused without allow_destructive)
SYSRQ_KEYS = {
    'b': ('reboot', False, 'reboots at once without syncing or unmounting'),
    'c': ('crash', False, 'crashes the kernel (panic, or kdump when configured)'),
    'd': ('show-all-locks', True, None),
    'e': ('terminate-all-tasks', False, 'sends SIGTERM to every process except init'),
    'f': ('memory-full-oom-kill', False, 'invokes the OOM killer, which kills a process'),
    'g': ('kgdb', False, 'enters the kernel debugger and stops the system'),
    'h': ('help', True, None),
    'i': ('kill-all-tasks', False, 'sends SIGKILL to every process except init'),
    'j': ('thaw-filesystems', False, 'thaws frozen filesystems (breaks a running snapshot)'),
    'k': ('sak', False, 'kills every process on the current virtual console'),
    'l': ('show-backtrace-all-active-cpus', True, None),
    'm': ('show-memory-usage', True, None),
    'n': ('nice-all-RT-tasks', False, 'changes the priority of real-time tasks'),
    'o': ('poweroff', False, 'powers the system off'),
    'p': ('show-registers', True, None),
    'q': ('show-all-timers', True, None),
    'r': ('unraw', False, 'changes the keyboard mode'),
    's': ('sync', False, 'emergency sync of all filesystems (can block for a long time)'),
    't': ('show-task-states', True, None),
    'u': ('unmount', False, 'remounts all filesystems read-only'),
    'v': ('architecture-specific (v)', False, 'architecture or driver specific action'),
    'w': ('show-blocked-tasks', True, None),
    'x': ('architecture-specific (x)', False, 'enters xmon on powerpc, dumps on others'),
    'y': ('architecture-specific (y)', False, 'architecture specific action'),
    'z': ('dump-ftrace-buffer', False, 'prints and empties the ftrace ring buffer'),
}
for _digit in '0123456789':
    SYSRQ_KEYS[_digit] = ('loglevel(%s)' % _digit, False,
                          'changes the console log level, which changes what reaches the '
                          'serial console')

# Keys that need a kernel feature; the reason returned when the kernel answers with HELP.
KEY_REQUIREMENTS = {
    'd': 'show-all-locks needs a kernel with CONFIG_LOCKDEP (a debug kernel: kernel-debug on '
         'RHEL and derivatives, or CONFIG_PROVE_LOCKING=y)',
    'z': 'dump-ftrace-buffer needs a kernel with CONFIG_FTRACE',
    'g': 'kgdb needs a kernel with CONFIG_KGDB and kgdboc configured',
    'q': 'show-all-timers needs a kernel with CONFIG_TIMER_STATS or a newer kernel',
}

# Minimum settle time per key: show-backtrace-all-active-cpus prints from other CPUs.
KEY_SETTLE = {'l': 2.0}

# __handle_sysrq() in drivers/tty/sysrq.c: 6.x prints with pr_fmt "sysrq: ", 3.10 printed
# "SysRq : " then the message (RHEL 7 help lines in the method reference).
HEADER_RE = re.compile(r'(?:^|\s)(?:sysrq: (?:SysRq : )?|SysRq : )(?P<msg>.*)$')
HELP_RE = re.compile(r'(?:^|\s)(?:sysrq: (?:SysRq : )?|SysRq : )HELP : ?(?P<keys>.*)$')
DISABLED_MSG = 'This sysrq operation is disabled.'
HELP_ENTRY_RE = re.compile(r'([\w-]+)\(([0-9A-Za-z]|0-9)\)')
LOCKDEP_OFF_RE = re.compile(r'INFO: lockdep is turned off\.')

MARKER = 'kdebug.sysrq:'


def write_trigger(path, key):
    """Write one key to /proc/sysrq-trigger. Tests replace this function."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, key.encode('ascii'))
    finally:
        os.close(fd)


def read_sysrq_value(path):
    text = read_small_file(path)
    if text is None:
        return None
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return None


def write_sysrq_value(path, value):
    with open(path, 'w') as fobj:
        fobj.write('%d\n' % value)


def validate_keys(module, keys):
    result = []
    for i, key in enumerate(keys):
        if len(key) != 1:
            module.fail_json(msg='keys[%d] %r is not a single SysRq key character; valid keys: '
                                 '%s' % (i, key, ' '.join(sorted(SYSRQ_KEYS))))
        low = key.lower()
        if low not in SYSRQ_KEYS:
            module.fail_json(msg='keys[%d] %r is not a SysRq key; valid keys: %s (see '
                                 'https://docs.kernel.org/admin-guide/sysrq.html)'
                                 % (i, key, ' '.join(sorted(SYSRQ_KEYS))))
        name, safe, why = SYSRQ_KEYS[low]
        if not safe and not module.params['allow_destructive']:
            module.fail_json(msg='refusing to trigger SysRq %r (%s: %s) without '
                                 'allow_destructive: true' % (low, name, why))
        result.append(low)
    return result


def new_entry(key):
    """A key_results entry before the key is triggered."""
    return dict(key=key, name=SYSRQ_KEYS[key][0], triggered=False, supported=None, reason=None,
                header=None, output=[], output_lines=0, output_truncated=False, complete=None)


def parse_help(text):
    """[{name, key}] from the text after 'HELP : '."""
    return [dict(name=m.group(1), key=m.group(2)) for m in HELP_ENTRY_RE.finditer(text)]


def analyse(key, lines, entry):
    """Fill entry from the LogLines the kernel printed for key."""
    texts = [line_text(line) for line in lines]
    help_line = None
    header = None
    for text in texts:
        match = HELP_RE.search(text)
        if match:
            help_line = match
            break
        match = HEADER_RE.search(text)
        if match and header is None:
            header = text.strip()
    name = SYSRQ_KEYS[key][0]
    if help_line is not None and key != 'h':
        entry['supported'] = False
        entry['reason'] = KEY_REQUIREMENTS.get(
            key, '%s (%s) is not available in this kernel: it printed its SysRq help instead'
            % (name, key))
        entry['available_keys'] = parse_help(help_line.group('keys'))
        entry['header'] = help_line.group(0).strip()
        return
    if help_line is not None:
        entry['supported'] = True
        entry['header'] = help_line.group(0).strip()
        entry['available_keys'] = parse_help(help_line.group('keys'))
        return
    entry['header'] = header
    if header is not None and header.endswith(DISABLED_MSG):
        entry['supported'] = False
        entry['reason'] = ('the kernel says "%s": the kernel.sysrq mask forbids this key '
                           '(only possible from the keyboard or console, not '
                           '/proc/sysrq-trigger)' % DISABLED_MSG)
        return
    if not texts:
        entry['supported'] = None
        entry['reason'] = ('the kernel printed nothing between the markers (is %s the kernel '
                           'log and %s the SysRq trigger?)'
                           % (kernel_path('kmsg'), kernel_path('sysrq_trigger')))
        return
    entry['supported'] = True
    if key in ('d', 't'):
        entry['locks'] = parse_held_locks(lines)
        if any(LOCKDEP_OFF_RE.search(t) for t in texts):
            entry['reason'] = ('lockdep has turned itself off ("INFO: lockdep is turned off."; '
                               'it stops after its first report), so held locks are not listed '
                               'until the next boot: look for the earlier lockdep report with '
                               'kdebug.kernel.kernel_log')
    if key == 'w':
        entry['blocked_tasks'] = parse_blocked_tasks(lines)


class KeyRun(object):
    """Trigger one key between markers and collect what the kernel printed."""

    def __init__(self, module, reader, notes):
        self.module = module
        self.reader = reader
        self.notes = notes
        self.position = CursorTracker()
        self.markers_ok = True

    def mark(self, what, key, run_id):
        if not self.markers_ok:
            return False
        try:
            write_kmsg(kernel_path('kmsg'),
                       '%s %s %s %s' % (MARKER, what, key, run_id))
            return True
        except (IOError, OSError) as exc:
            self.markers_ok = False
            self.notes.append('could not write marker lines to %s (%s%s): the output of each '
                              'key is what the log received after the key, up to %s s, and '
                              'may include unrelated messages'
                              % (kernel_path('kmsg'), describe_oserror(exc),
                                 ', kernel.printk_devkmsg=off?' if exc.errno == errno.EPERM
                                 else '', self.module.params['timeout']))
            return False

    def run(self, key):
        params = self.module.params
        run_id = uuid.uuid4().hex[:12]
        begin = '%s begin %s %s' % (MARKER, key, run_id)
        end = '%s end %s %s' % (MARKER, key, run_id)
        began = self.mark('begin', key, run_id)
        write_trigger(kernel_path('sysrq_trigger'), key)
        time.sleep(max(params['settle'], KEY_SETTLE.get(key, 0.0)))
        ended = self.mark('end', key, run_id)

        collected = []
        inside = not began
        complete = False
        seen_begin = False
        deadline = time.time() + params['timeout']
        # the one line splitter (kmsg.iter_lines): /dev/kmsg dictionary lines dropped, the
        # records' \xNN escapes decoded (SysRq d prints "\x0aShowing all locks held ...")
        for line in iter_lines(self.reader.lines(wait=params['timeout'] if ended else min(
                params['timeout'], 1.0))):
            self.position.track(line)
            text = line_text(line)
            if ended and end in text:
                complete = True
                break
            if began and begin in text:
                inside = True
                seen_begin = True
                continue
            if MARKER in text and (' begin ' in text or ' end ' in text):
                continue  # another run's marker
            if inside:
                collected.append(line)
            if time.time() > deadline:
                break
        if began and not seen_begin:
            self.notes.append('the begin marker of key %s was not found in the log (overwritten '
                              'in the ring buffer?): its output is missing' % key)
        if ended and not complete:
            self.notes.append('the end marker of key %s did not show within %s s: its output '
                              'may be incomplete' % (key, params['timeout']))
        return collected, complete if ended else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            keys=dict(type='list', elements='str', required=True, no_log=False),
            allow_destructive=dict(type='bool', default=False),
            enable_sysrq=dict(type='bool', default=True),
            timeout=dict(type='float', default=30),
            settle=dict(type='float', default=0.5),
            max_output_lines=dict(type='int', default=2000),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not HAS_PARSER:
        module.fail_json(msg='the kdebug.kernel parser library could not be imported (%s): '
                             'reinstall the kdebug.kernel collection' % PARSER_IMPORT_ERROR)
    if not params['keys']:
        module.fail_json(msg='keys is empty: give at least one SysRq key, for example [d, w]')
    keys = validate_keys(module, params['keys'])
    for option in ('timeout', 'settle'):
        if params[option] < 0:
            module.fail_json(msg='%s must be 0 or more seconds, got %s' % (option, params[option]))
    if params['max_output_lines'] < 0:
        module.fail_json(msg='max_output_lines must be 0 or more, got %d'
                             % params['max_output_lines'])

    paths = dict((name, kernel_path(name)) for name in ('sysrq', 'sysrq_trigger', 'kmsg', 'boot_id'))
    old_value = read_sysrq_value(paths['sysrq'])
    facts = dict(key_results=[], unsupported=[], old_value=old_value, temporarily_enabled=False,
                 restored=True, cursor=None, notes=[])
    if old_value is None:
        facts['notes'].append('%s could not be read (kernel without CONFIG_MAGIC_SYSRQ, or '
                              'not root?)' % paths['sysrq'])

    if module.check_mode:
        for key in keys:
            facts['key_results'].append(new_entry(key))
        if params['enable_sysrq'] and old_value is not None and old_value != 1:
            facts['notes'].append('check mode: would set %s to 1 for the call and restore %d'
                                  % (paths['sysrq'], old_value))
        facts['notes'].append('check mode: would trigger %s' % ', '.join(keys))
        module.exit_json(changed=True, ansible_facts=dict(sysrq=facts))

    if not os.path.exists(paths['sysrq_trigger']):
        module.fail_json(msg='%s does not exist: this kernel is built without '
                             'CONFIG_MAGIC_SYSRQ (or /proc is not mounted), so SysRq cannot be '
                             'triggered' % paths['sysrq_trigger'],
                         ansible_facts=dict(sysrq=facts))
    try:
        reader = KmsgReader(paths['kmsg'])
        reader.seek_end()
    except (IOError, OSError) as exc:
        hint = ''
        if os.geteuid() != 0:
            hint = '; this task runs as uid %d: use become: true' % os.geteuid()
        module.fail_json(msg='cannot read the kernel log %s (%s): the SysRq output could not '
                             'be collected, nothing was triggered%s'
                             % (paths['kmsg'], describe_oserror(exc), hint),
                         ansible_facts=dict(sysrq=facts))

    failure = None
    try:
        if params['enable_sysrq'] and old_value is not None and old_value != 1:
            try:
                write_sysrq_value(paths['sysrq'], 1)
                facts['temporarily_enabled'] = True
                facts['restored'] = False
            except (IOError, OSError) as exc:
                facts['notes'].append('could not set %s to 1 (%s); /proc/sysrq-trigger works '
                                      'without it' % (paths['sysrq'],
                                                      describe_oserror(exc)))
        runner = KeyRun(module, reader, facts['notes'])
        for key in keys:
            entry = new_entry(key)
            facts['key_results'].append(entry)
            try:
                lines, complete = runner.run(key)
            except (IOError, OSError) as exc:
                hint = ''
                if getattr(exc, 'errno', None) in (errno.EACCES, errno.EPERM) and \
                        os.geteuid() != 0:
                    hint = '; this task runs as uid %d: use become: true' % os.geteuid()
                failure = ('triggering SysRq %s through %s failed: %s%s'
                           % (key, paths['sysrq_trigger'], describe_oserror(exc), hint))
                break
            entry['triggered'] = True
            entry['complete'] = complete
            entry['output_lines'] = len(lines)
            entry['output'], entry['output_truncated'] = cap_text_lines(
                lines, params['max_output_lines'])
            analyse(key, lines, entry)
            if entry['supported'] is False:
                facts['unsupported'].append(dict(key=key, reason=entry['reason']))
        facts['notes'].extend(n for n in reader.notes if n not in facts['notes'])
        if reader.cut_lines:
            facts['notes'].append('%d line(s) of %s longer than %d bytes were cut there, %d bytes '
                                  'dropped (is it the kernel log?)'
                                  % (reader.cut_lines, paths['kmsg'], MAX_LINE_BYTES, reader.cut_bytes))
        boot_id = read_boot_id(paths['boot_id'])
        if not runner.position.empty:
            facts['cursor'] = runner.position.cursor(boot_id)
    finally:
        reader.close()
        if facts['temporarily_enabled']:
            try:
                write_sysrq_value(paths['sysrq'], old_value)
                facts['restored'] = read_sysrq_value(paths['sysrq']) == old_value
            except (IOError, OSError) as exc:
                facts['notes'].append('could not restore %s to %d: %s'
                                      % (paths['sysrq'], old_value,
                                         describe_oserror(exc)))
            if not facts['restored']:
                module.warn('kernel.sysrq was left at 1; restore it with: sysctl '
                            'kernel.sysrq=%d' % old_value)
    triggered = any(entry['triggered'] for entry in facts['key_results'])
    if failure:
        module.fail_json(msg=failure, changed=triggered, ansible_facts=dict(sysrq=facts))
    module.exit_json(changed=triggered, ansible_facts=dict(sysrq=facts))


if __name__ == '__main__':
    main()
