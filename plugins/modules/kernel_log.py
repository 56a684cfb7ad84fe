#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: kernel_log
short_description: Read the kernel log and turn the kernel's reports into structured findings
version_added: 0.1.0
author: kdebug.kernel team (@kdebug)
description:
  - "Reads the kernel log of the running kernel, of the previous boot, or of saved files
    (for example a serial console capture kept on the controller), and turns what the
    kernel reported (lockdep, hung tasks, soft and hard lockups, RCU stalls, OOM kills,
    kmemleak, KASAN, UBSAN, KFENCE, warnings, BUGs, panics) into findings with
    searchable titles in the syzbot style (C(possible deadlock in FUNC),
    C(INFO: task hung in FUNC), ...)."
  - The live log is read from C(/dev/kmsg) (every record has a sequence number, so a
    cursor is exact). When C(/dev/kmsg) cannot be read the module falls back to
    C(dmesg), then to C(journalctl -k); those have no sequence numbers, so the cursor
    filters by kernel timestamp instead.
  - Returns a cursor (RV(ansible_facts.kernel_log.cursor)) to pass as O(since) to a later
    call, so a test stage can read only what it caused.
  - The module never changes anything; check mode is fully supported.
options:
  path:
    description:
      - Read these files instead of the live kernel log, in order. Any kernel log text is
        accepted (raw C(dmesg), C(dmesg -T), C(journalctl -k), C(/dev/kmsg) records,
        serial console captures with carriage returns and interleaved user-space output).
      - Files ending in C(.gz) are decompressed.
      - Only regular files are read; a FIFO, a device or a socket is refused before it is
        opened (reading one could block the task forever).
      - A line ends at LF, CR LF, or a run of CRs (serial consoles write all three); lines
        longer than 4096 bytes are cut, and a note (kind C(lines_cut)) says how much was
        dropped.
      - "Use C(delegate_to: localhost) to read a capture kept on the controller."
      - Mutually exclusive with O(boot=previous).
    type: list
    elements: path
  boot:
    description:
      - V(current) reads the running kernel's log.
      - V(previous) reads the kernel messages of the previous boot from the systemd journal
        (C(journalctl -k -b -1)); this needs a persistent journal (C(/var/log/journal)).
        Use it after a crash or a hang that ended in a reboot.
    type: str
    choices: [current, previous]
    default: current
  source:
    description:
      - Where the live log (O(boot=current)) comes from. V(auto) tries C(/dev/kmsg),
        then C(dmesg), then C(journalctl -k).
    type: str
    choices: [auto, kmsg, dmesg, journal]
    default: auto
  since:
    description:
      - A cursor returned by an earlier call (RV(ansible_facts.kernel_log.cursor)); only
        records after it are read.
      - A live-log cursor carries the boot id; when the host rebooted since the cursor was
        taken the whole log of the current boot is read, RV(ansible_facts.kernel_log.rebooted)
        is true and a note explains it.
      - A file cursor (from a call with O(path)) holds a byte offset per file; when a file
        is now shorter than its offset (rotated or truncated) it is read from the start.
    type: str
  types:
    description:
      - Only report findings of these types. The default reports every type.
    type: list
    elements: str
    choices: [lockdep, atomic_sleep, hung_task, soft_lockup, hard_lockup, rcu_stall,
              oom_kill, memory_leak, kasan, ubsan, kfence, warning, bug, panic]
  max_findings:
    description:
      - Report at most this many findings, in log order (the most frequent are not
        preferred). Without it the parser library's limit (200 per source) applies. RV(ansible_facts.kernel_log.truncated) tells when some were dropped.
    type: int
  excerpt_lines:
    description:
      - Keep at most this many lines of log text in each finding's C(excerpt); longer lines
        are cut at 1024 characters.
    type: int
    default: 40
notes:
  - "Reading C(/dev/kmsg) or C(dmesg) needs root (C(become: true)) when
    C(kernel.dmesg_restrict=1), which is the default on most distributions."
  - Records that were overwritten in the kernel's ring buffer before they were read are
    reported in RV(ansible_facts.kernel_log.notes); boot with a larger C(log_buf_len=) or
    keep a serial console capture to avoid losing them.
  - With the C(dmesg) or C(journalctl) fallback the cursor filters by timestamp, so records
    printed in the same microsecond as the cursor's last record may be skipped.
seealso:
  - module: kdebug.kernel.kmemleak
  - module: kdebug.kernel.sysrq
extends_documentation_fragment:
  - kdebug.kernel.attributes
attributes:
  check_mode:
    description: Read-only; fully supported.
'''

EXAMPLES = r'''
- name: Remember where the kernel log is before the stage
  kdebug.kernel.kernel_log:
    types: [lockdep]
  become: true
  register: before

- name: Run the stage
  ansible.builtin.command: /usr/local/bin/my-stress-stage
  changed_when: true

- name: Read only what the stage caused
  kdebug.kernel.kernel_log:
    since: "{{ before.ansible_facts.kernel_log.cursor }}"
  become: true

- name: Fail when the kernel reported a deadlock or a hung task
  ansible.builtin.assert:
    that:
      - ansible_facts.kernel_log.counts.lockdep | default(0) == 0
      - ansible_facts.kernel_log.counts.hung_task | default(0) == 0
    fail_msg: "{{ ansible_facts.kernel_log.findings | map(attribute='title') | list }}"

- name: Parse the serial console capture kept on the controller
  kdebug.kernel.kernel_log:
    path:
      - /var/lib/lab/serial.txt
  delegate_to: localhost

- name: What did the kernel say before the last reboot?
  kdebug.kernel.kernel_log:
    boot: previous
    types: [panic, bug, hung_task, soft_lockup, hard_lockup, rcu_stall]
  become: true
'''

# The findings block is written out here (kmemleak and sysrq describe their own results):
# a RETURN doc fragment needs ansible-core >= 2.20, and the collection supports 2.16.
RETURN = r'''
ansible_facts:
  description: Facts set by the module.
  returned: success
  type: dict
  contains:
    kernel_log:
      description: What was read and what the kernel reported.
      returned: success
      type: dict
      contains:
        cursor:
          description:
            - Pass it as O(since) to a later call to read only newer records.
            - C(kmsg:<boot_id>:<seq>:<seconds>) for the live log (seq is C(-) when the
              source has no sequence numbers), C(file:<offset>,...) for O(path),
              null for O(boot=previous).
          type: str
          returned: success
          sample: "kmsg:0f3c5e0a-0d6b-4c43-9a0e-4f2a1d8b9c11:48213:1234.567890"
        source:
          description: What was read (C(/dev/kmsg), C(dmesg), C(journalctl -k -b 0),
            C(journalctl -k -b -1), or the file names joined by commas).
          type: str
          returned: success
          sample: /dev/kmsg
        boot_id:
          description: Boot id of the running kernel (null for files or when unreadable).
          type: str
          returned: success
        rebooted:
          description: True when O(since) came from another boot (the host rebooted since).
          type: bool
          returned: success
        lines_read:
          description: Number of log lines parsed (after the cursor); for O(path) files, the
            lines read from them.
          type: int
          returned: success
          sample: 1834
        findings:
          description: One entry per distinct report; repeats of the same report (the
            hung task detector prints the same task every interval) have a C(count).
          type: list
          elements: dict
          returned: success
          contains:
            type:
              description: One of O(types).
              type: str
              sample: hung_task
            title:
              description: Searchable title (syzbot convention).
              type: str
              sample: "INFO: task hung in xfs_file_buffered_aio_write"
            alt_titles:
              description:
                - The other titles syzbot accepts for the same report, so that either can be
                  searched on public trackers (C(hang in F) for a hung task, C(stall in F) for
                  soft and hard lockups and RCU stalls).
                - Empty when the report has no other title or no guilty function.
              type: list
              elements: str
              sample: ["hang in xfs_file_buffered_aio_write"]
            function:
              description: The guilty frame (locking, scheduling, allocator and reporting
                frames are skipped).
              type: str
            count:
              description: How many times the same report was seen.
              type: int
            first_seen:
              description: Kernel timestamp (or wall clock, when that is all the log has)
                of the first occurrence.
              type: raw
            last_seen:
              description: Same, for the last occurrence.
              type: raw
            task:
              description: Task name involved, when the report names one.
              type: str
            pid:
              description: Its pid.
              type: int
            locks:
              description: Held locks listed with the report (hung task, lockdep).
              type: list
              elements: dict
            stack:
              description: Call trace frames.
              type: list
              elements: str
            source:
              description: Where the finding was read (device, command or file).
              type: str
            line:
              description: Line number of the report's first line in the source.
              type: int
            corrupted:
              description: True when the report was cut or garbled (for example
                interleaved with other output) and could only be partly parsed.
              type: bool
            excerpt:
              description: The report's log text, capped by O(excerpt_lines).
              type: raw
            excerpt_truncated:
              description: Present (and true) when O(excerpt_lines) cut the excerpt.
              type: bool
              returned: when the excerpt was cut
            details:
              description:
                - Figures of the report itself, by report kind (empty for most), for example
                  C(seconds) (hung task, soft lockup), C(cpu), C(detector) (the CPU that
                  detected a stall), C(source) (C(file:line) of a WARNING or kernel BUG),
                  C(kind) and C(access) (KASAN), C(leaks) (kmemleak's count of new leaks);
                  for OOM kills C(victim), C(invoker), C(order), C(gfp_mask),
                  C(oom_score_adj), C(constraint), C(memcg), C(score) and the victim's sizes
                  in kB (C(total_vm_kb), C(rss_kb), C(anon_rss_kb), C(file_rss_kb),
                  C(shmem_rss_kb), C(pgtables_kb)).
              type: dict
              sample: {"seconds": 122}
        counts:
          description: Number of findings per type (types without findings are absent or 0).
          type: dict
          returned: success
          sample: {"hung_task": 1, "lockdep": 1}
        notes:
          description:
            - "State the kernel reported that changes what findings mean
              (C(INFO: lockdep is turned off.), kmemleak disabling itself), from the parser
              library, and notes about the reading itself."
            - "Each note has C(note) (the text), C(kind), C(line), C(ts), C(wallclock) and
              C(count). Kinds of reading notes: C(records_lost) and C(records_overwritten)
              (ring buffer overruns), C(rebooted), C(cursor_by_time) (a fallback source without
              sequence numbers), C(file_rewound) (a file shorter than its cursor offset),
              C(lines_cut) (input dropped: the rest of lines longer than 4096 bytes)."
          type: list
          elements: dict
          returned: success
        truncated:
          description: True when O(max_findings) dropped findings.
          type: bool
          returned: success
'''

import errno
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kdebug.kernel.plugins.module_utils.kdebug_common import (
    KMSG_PATH, READ_ERRORS, CursorTracker, InputPathError, KmsgReader, cap_text_lines,
    check_path_text, describe_access_denied, describe_oserror, describe_read_error,
    format_file_cursor, kernel_path, open_input_file, parse_cursor, read_boot_id,
)

try:
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import (
        MAX_LINE_BYTES, LineReader, iter_lines,
    )
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import (
        FINDING_TYPES, FindingCollector,
    )
    HAS_PARSER = True
    PARSER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - only when the collection is incomplete
    HAS_PARSER = False
    PARSER_IMPORT_ERROR = str(exc)
    FINDING_TYPES = ()


class LogReadError(Exception):
    pass


class Reading(object):
    """State of one reading: cursor filter, cursor tracking, collector(s), notes."""

    def __init__(self, module, cursor, boot_id):
        self.module = module
        self.cursor = cursor
        self.boot_id = boot_id
        self.notes = []
        self.lines_read = 0
        self.position = CursorTracker()
        self.results = []
        self.prev_after = None
        if cursor is not None and cursor['kind'] == 'kmsg':
            self.position = CursorTracker(cursor['seq'], cursor['ts'])

    def note(self, kind, text):
        """A note about the reading, shaped like the parser's state notes."""
        self.notes.append(dict(note=text, kind=kind, line=None, ts=None, wallclock=None,
                               count=1))

    def new_collector(self, source):
        params = self.module.params
        return FindingCollector(types=params['types'], max_findings=params['max_findings'],
                                source=source)

    def after_cursor(self, line):
        cursor = self.cursor
        if cursor is None or cursor['kind'] != 'kmsg':
            return True
        seq = getattr(line, 'seq', None)
        if seq is not None and cursor['seq'] is not None:
            self.prev_after = seq > cursor['seq']
            return self.prev_after
        ts = getattr(line, 'ts', None)
        if ts is not None and cursor['ts'] is not None:
            self.prev_after = ts > cursor['ts']
            return self.prev_after
        # A line without position (a continuation line without timestamp) goes with the
        # line before it; before any positioned line, keep it (better a duplicate than a
        # lost report).
        return True if self.prev_after is None else self.prev_after

    def feed_stream(self, lines, source, skip=None):
        """Feed LogLines to a new collector for this source."""
        collector = self.new_collector(source)
        for line in lines:
            if skip is not None and skip(line):
                continue
            self.position.track(line)
            if not self.after_cursor(line):
                continue
            self.lines_read += 1
            collector.feed(line)
        self.results.append(collector.result())

    def feed_file(self, reader, source, start):
        """Parse a log file (a kmsg.LineReader: CR line ends, lines cut and counted) into a
        new collector for this source. Read from its start, the parser's streaming path skips
        lines without any report keyword at C speed; from a cursor offset, line by line (same
        findings)."""
        collector = self.new_collector(source)
        if start == 0:
            collector.feed_stream(reader)
        else:
            for line in iter_lines(reader):
                collector.feed(line)
        self.results.append(collector.result())
        self.lines_read += reader.lines
        self.cut_note(reader, source)

    def cut_note(self, reader, source):
        """Say so when the reader dropped input (the rest of over-long lines)."""
        if reader.cut_lines:
            self.note('lines_cut',
                      '%s: %d line(s) longer than %d bytes were cut there, %d bytes dropped (a '
                      'binary file, or a capture whose line ends were lost?)'
                      % (source, reader.cut_lines, MAX_LINE_BYTES, reader.cut_bytes))

    def lost_records_note(self, source):
        cursor = self.cursor
        first_seq = self.position.first_seq
        if (cursor is None or cursor['kind'] != 'kmsg' or cursor['seq'] is None
                or first_seq is None):
            return
        lost = first_seq - cursor['seq'] - 1
        if lost > 0:
            self.note(
                'records_lost',
                '%d record(s) after the cursor (seq %d..%d) were overwritten in the kernel '
                'ring buffer before this call read %s; boot with a larger log_buf_len= or '
                'read the serial console capture for them'
                % (lost, cursor['seq'] + 1, first_seq - 1, source))


def merge_results(results, max_findings):
    findings = []
    counts = {}
    notes = []
    truncated = False
    for res in results:
        findings.extend(res.get('findings') or [])
        for key, value in (res.get('counts') or {}).items():
            counts[key] = counts.get(key, 0) + value
        for note in res.get('notes') or []:
            if note not in notes:
                notes.append(note)
        truncated = truncated or bool(res.get('truncated'))
    if max_findings is not None and len(findings) > max_findings:
        findings = findings[:max_findings]
        truncated = True
    return findings, counts, notes, truncated


def cap_finding(finding, excerpt_lines):
    finding = dict(finding)
    excerpt = finding.get('excerpt')
    if isinstance(excerpt, (list, tuple)):
        finding['excerpt'], cut = cap_text_lines(excerpt, excerpt_lines)
        if cut:
            finding['excerpt_truncated'] = True
    elif excerpt:
        lines, cut = cap_text_lines(excerpt.splitlines(), excerpt_lines)
        finding['excerpt'] = '\n'.join(lines)
        if cut:
            finding['excerpt_truncated'] = True
    return finding


def is_journal_banner(line):
    text = getattr(line, 'raw', None) or getattr(line, 'text', '') or ''
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    return text.startswith('-- ') and (text.rstrip().endswith('--') or 'No entries' in text)


def read_files(module, reading, paths):
    cursor = reading.cursor
    offsets = [0] * len(paths)
    if cursor is not None:
        if cursor['kind'] != 'file':
            module.fail_json(msg='since is a live-log cursor but path is set: a cursor from '
                                 'a call that read the live log cannot be used on files; '
                                 'pass the cursor returned by an earlier call with the same '
                                 'path list')
        if len(cursor['offsets']) != len(paths):
            module.fail_json(msg='since holds %d file offset(s) but path lists %d file(s): '
                                 'pass the cursor returned by an earlier call with the same '
                                 'path list' % (len(cursor['offsets']), len(paths)))
        offsets = list(cursor['offsets'])
    new_offsets = []
    for index, path in enumerate(paths):
        fobj = open_file(module, index, path)
        try:
            start = offsets[index]
            if start:
                try:
                    if path.endswith('.gz'):
                        fobj.seek(start)
                        if fobj.tell() != start:
                            raise EOFError()
                    else:
                        size = os.fstat(fobj.fileno()).st_size
                        if size < start:
                            raise EOFError()
                        fobj.seek(start)
                except (EOFError, IOError, OSError, ValueError):
                    reading.note('file_rewound', '%s is shorter than the cursor offset %d '
                                 '(rotated or truncated?): read from the start' % (path, start))
                    fobj.close()
                    fobj = open_file(module, index, path)
                    start = 0
            reader = LineReader(fobj, start)
            reading.feed_file(reader, path, start)
            reader.check()
            new_offsets.append(reader.offset)
        except READ_ERRORS as exc:
            module.fail_json(msg='path[%d] %s %s' % (index, path, describe_read_error(path, exc)))
        finally:
            fobj.close()
    return format_file_cursor(new_offsets), ', '.join(paths)


def open_file(module, index, path):
    """Open path[index] (a regular file only: a FIFO would hang the task) or fail clearly."""
    try:
        return open_input_file(path, 'path[%d]' % index)
    except InputPathError as exc:
        if os.path.realpath(path) == KMSG_PATH:
            module.fail_json(msg='path[%d] %s is the live kernel log (reading it as a file would '
                                 'wait for new records forever): omit path to read the live log'
                                 % (index, path))
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            module.fail_json(msg='path[%d] %s does not exist: give the log files to read '
                                 '(with delegate_to: localhost for a file on the '
                                 'controller)' % (index, path))
        hint = ''
        if exc.errno == errno.EACCES:
            hint = ': ' + describe_access_denied(path)
        module.fail_json(msg='cannot open path[%d] %s: %s%s' % (index, path,
                                                                describe_oserror(exc), hint))


def read_kmsg(reading, kmsg_path):
    try:
        reader = KmsgReader(kmsg_path)
    except (IOError, OSError) as exc:
        raise LogReadError('%s: %s' % (kmsg_path, describe_oserror(exc)))
    try:
        try:
            reading.feed_stream(iter_lines(reader.lines()), kmsg_path)
        except (IOError, OSError) as exc:
            raise LogReadError('%s: read failed: %s' % (kmsg_path, describe_oserror(exc)))
    finally:
        reader.close()
    for text in reader.notes:
        reading.note('records_overwritten', text)
    reading.cut_note(reader, kmsg_path)
    reading.lost_records_note(kmsg_path)
    return kmsg_path


def run_lines(module, args, what):
    """Run a command and return its stdout as a list of byte lines (LC_ALL=C)."""
    rc, out, err = module.run_command(args, encoding=None,
                                      environ_update=dict(LC_ALL='C', LANG='C'))
    if isinstance(err, bytes):
        err = err.decode('utf-8', 'replace')
    if rc != 0:
        detail = (err or '').strip() or 'no error output'
        raise LogReadError('%s failed (rc=%s): %s' % (what, rc, detail))
    return out.splitlines(True)


def read_dmesg(module, reading):
    dmesg = module.get_bin_path('dmesg')
    if not dmesg:
        raise LogReadError('dmesg: command not found')
    lines = run_lines(module, [dmesg], 'dmesg')
    if reading.cursor is not None and reading.cursor['kind'] == 'kmsg':
        reading.note('cursor_by_time', 'read with dmesg (no sequence numbers): the cursor was '
                     'applied by timestamp')
    reading.feed_stream(iter_lines(lines), 'dmesg')
    return 'dmesg'


def read_journal(module, reading, boot):
    journalctl = module.get_bin_path('journalctl')
    if not journalctl:
        raise LogReadError('journalctl: command not found')
    label = 'journalctl -k -b %s' % boot
    lines = run_lines(module, [journalctl, '-k', '-b', boot, '-o', 'short-monotonic',
                               '--no-pager', '-q'], label)
    reading.feed_stream(iter_lines(lines), label, skip=is_journal_banner)
    return label


def read_previous_boot(module, reading):
    journalctl = module.get_bin_path('journalctl')
    if not journalctl:
        module.fail_json(msg='boot: previous needs journalctl (systemd-journald with a '
                             'persistent journal), which is not installed on this host: '
                             'keep a serial console capture and read it with path instead')
    try:
        source = read_journal(module, reading, '-1')
    except LogReadError as exc:
        module.fail_json(msg='the previous boot\'s kernel log is not available: %s. The '
                             'journal keeps earlier boots only when it is persistent: create '
                             '/var/log/journal (or set Storage=persistent in '
                             '/etc/systemd/journald.conf), restart systemd-journald, then '
                             'reproduce and reboot; or read a serial console capture with '
                             'path' % exc)
    if reading.lines_read == 0:
        module.fail_json(msg='journalctl -k -b -1 returned no kernel messages: the journal has '
                             'no earlier boot (is it persistent? see /var/log/journal) or the '
                             'previous boot logged nothing')
    return source


def read_live(module, reading):
    params = module.params
    choice = params['source']
    attempts = []
    order = {'auto': ['kmsg', 'dmesg', 'journal'], 'kmsg': ['kmsg'], 'dmesg': ['dmesg'],
             'journal': ['journal']}[choice]
    for name in order:
        # a failed attempt must not leave partial results behind
        saved = (len(reading.results), reading.lines_read, reading.position.snapshot(),
                 len(reading.notes))
        try:
            if name == 'kmsg':
                return read_kmsg(reading, kernel_path('kmsg'))
            if name == 'dmesg':
                return read_dmesg(module, reading)
            return read_journal(module, reading, '0')
        except LogReadError as exc:
            attempts.append(str(exc))
            del reading.results[saved[0]:]
            reading.lines_read = saved[1]
            reading.position.restore(saved[2])
            del reading.notes[saved[3]:]
    hint = ''
    if os.geteuid() != 0:
        hint = (' You are not root (uid %d): reading the kernel log needs root when '
                'kernel.dmesg_restrict=1; use become: true.' % os.geteuid())
    module.fail_json(msg='cannot read the kernel log (tried %s): %s.%s'
                         % (', '.join(order), '; '.join(attempts), hint))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='list', elements='path'),
            boot=dict(type='str', choices=['current', 'previous'], default='current'),
            source=dict(type='str', choices=['auto', 'kmsg', 'dmesg', 'journal'],
                        default='auto'),
            since=dict(type='str'),
            # the parser library's vocabulary is the contract (FINDING_TYPES)
            types=dict(type='list', elements='str', choices=list(FINDING_TYPES)),
            max_findings=dict(type='int'),
            excerpt_lines=dict(type='int', default=40),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not HAS_PARSER:
        module.fail_json(msg='the kdebug.kernel parser library could not be imported (%s): '
                             'reinstall the kdebug.kernel collection' % PARSER_IMPORT_ERROR)
    unknown = [t for t in params['types'] or [] if t not in FINDING_TYPES]
    if unknown:
        module.fail_json(msg='types: %s not known to the parser library (known: %s)'
                             % (', '.join(unknown), ', '.join(FINDING_TYPES)))
    if params['max_findings'] is not None and params['max_findings'] < 1:
        module.fail_json(msg='max_findings must be 1 or more (omit it for the default limit), got %d'
                             % params['max_findings'])
    if params['excerpt_lines'] < 0:
        module.fail_json(msg='excerpt_lines must be 0 or more, got %d' % params['excerpt_lines'])
    paths = params['path']
    try:
        for index, path in enumerate(paths or []):
            check_path_text(path, 'path[%d]' % index)
    except InputPathError as exc:
        module.fail_json(msg=str(exc))
    if paths is not None and not paths:
        module.fail_json(msg='path is an empty list: give at least one file, or omit path '
                             'to read the live kernel log')
    if paths and params['boot'] == 'previous':
        module.fail_json(msg='path and boot: previous are mutually exclusive: path reads '
                             'files, boot: previous reads the journal')

    cursor = None
    if params['since']:
        try:
            cursor = parse_cursor(params['since'])
        except ValueError as exc:
            module.fail_json(msg='since: %s' % exc)
        if params['boot'] == 'previous':
            module.fail_json(msg='since cannot be used with boot: previous (a cursor marks a '
                                 'position in the current boot\'s log)')
        if not paths and cursor['kind'] == 'file':
            module.fail_json(msg='since is a file cursor (%s) but path is not set: pass the '
                                 'same path list as the call that returned it'
                                 % params['since'])

    boot_id = None
    rebooted = False
    if not paths:
        boot_id = read_boot_id(kernel_path('boot_id'))
    reading = Reading(module, cursor, boot_id)
    if (cursor is not None and cursor['kind'] == 'kmsg' and params['boot'] == 'current'
            and cursor['boot_id'] and boot_id and cursor['boot_id'] != boot_id):
        rebooted = True
        reading.note(
            'rebooted',
            'the cursor is from boot %s but this is boot %s: the host rebooted since the '
            'cursor was taken (a crash, a panic with panic= reboot, or a watchdog?); the whole '
            'log of the current boot was read. The kernel log of the previous boot is '
            'available with boot: previous when the journal is persistent, or in the serial '
            'console capture' % (cursor['boot_id'], boot_id))
        reading.cursor = None
        reading.position = CursorTracker()

    if paths:
        new_cursor, source = read_files(module, reading, paths)
    elif params['boot'] == 'previous':
        source = read_previous_boot(module, reading)
        new_cursor = None
    else:
        source = read_live(module, reading)
        new_cursor = reading.position.cursor(boot_id)

    findings, counts, parser_notes, truncated = merge_results(reading.results,
                                                              params['max_findings'])
    findings = [cap_finding(f, params['excerpt_lines']) for f in findings]
    facts = dict(
        cursor=new_cursor,
        source=source,
        boot_id=boot_id,
        rebooted=rebooted,
        lines_read=reading.lines_read,
        findings=findings,
        counts=counts,
        notes=parser_notes + reading.notes,
        truncated=truncated,
    )
    module.exit_json(changed=False, ansible_facts=dict(kernel_log=facts))


if __name__ == '__main__':
    main()
