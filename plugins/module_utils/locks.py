# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Held locks and blocked tasks as lockdep and the scheduler print them.

Held locks (kernel/locking/lockdep.c:lockdep_print_held_locks, print_lock,
debug_show_all_locks; SysRq-d, hung task reports, lockdep splats)::

    Showing all locks held in the system:                 <- debug_show_all_locks()
    2 locks held by dd/3560:                              <- "1 lock held by", "no locks held by dd/3560."
     #0:  (sb_writers#8){.+.+.+}, at: [<ffffffff811c1b3b>] vfs_write+0x1bb/0x1f0         3.10
     #0: 00000000c5bc1d0f (sb_writers#8){.+.+}, at: vfs_write+0x1bb/0x1f0                4.15+
     #1: ffff888012345678 (&sb->s_type->i_mutex_key#12){+.+.}-{3:3}, at: xfs_ilock+0x..  5.x/6.x
    =============================================

Blocked tasks (kernel/sched/core.c:sched_show_task; SysRq-w "Show Blocked State",
SysRq-t, hung task reports)::

    dd              D ffff880073204f20  5096  3560   3478 0x00000080           3.10
    dd              D    0  3560   3478 0x00000080                             4.x
    task:dd              state:D stack:0     pid:3560  ppid:3478   flags:0x00004000   5.x/6.x
    Call Trace:
     [<ffffffff816a9a49>] schedule+0x29/0x70 ...

Stdlib only; Python 2.7 and 3.6+; never raises.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


from ansible_collections.kdebug.kernel.plugins.module_utils.lazy_regex import lazy
from ansible_collections.kdebug.kernel.plugins.module_utils.frames import (
    MAX_FRAMES, parse_frame, section_marker,
)
from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import LogLine, parse_line, to_text

#: cap on lock lines kept per task (lockdep's MAX_LOCK_DEPTH is 48)
MAX_LOCKS = 64
#: cap on tasks kept by the parsers
MAX_TASKS = 4096

HELD_HEADER_RE = lazy(globals(), r'^\s*(\d+) locks? (?:on stack )?held by (.+)/(-?\d+):\s*$')
NO_LOCKS_RE = lazy(globals(), r'^\s*no locks held by (.+)/(-?\d+)\.?\s*$')
LOCK_LINE_RE = lazy(
    globals(),
    r'^\s*#(\d+):\s+(?:(?:[0-9a-fA-F]{8,16}|\(____ptrval____\)|\(ptrval\))\s*)?'
    r'(?:\((.*)\)\{([^}]*)\}(?:-\{[^}]*\})?|(<RELEASED>))\s*(?:,\s*at:\s*(.*?))?\s*$')
SHOW_ALL_RE = lazy(globals(), r'Showing all locks held in the system:')
SEPARATOR_RE = lazy(globals(), r'^\s*={10,}\s*$')
LOCKDEP_OFF_RE = lazy(globals(), r'INFO: lockdep is turned off')

_NEW_TASK_RE = lazy(globals(), r'^\s*task:(.+?)\s+state:\s*([A-Za-z?])\b(.*)$')
_NEW_PID_RE = lazy(globals(), r'\bpid:\s*(\d+)')
_NEW_PPID_RE = lazy(globals(), r'\bppid:\s*(\d+)')
_OLD_TASK_RE = lazy(
    globals(),
    r'^(\S.{0,14}?)\s+([RSDTtXZPIKWNx?])\s+(?:running\s+(?:task\s+)?)?(?:([0-9a-fA-F]{8,16})\s+)?'
    r'(\d+)\s+(\d+)\s+(\d+)\s+0x[0-9a-fA-F]+\s*$')
_OLD_HEADER_RE = lazy(globals(), r'^\s*task\s+(?:PC\s+)?stack\s+pid\s+father\s*$')
_CALL_TRACE_RE = lazy(globals(), r'^\s*(?:Call [Tt]race|Backtrace):\s*$')


def _text(line):
    if isinstance(line, LogLine):
        return line.text
    if isinstance(line, (bytes, bytearray)) or isinstance(line, type(u'')):
        return parse_line(line).text
    return parse_line(to_text(line)).text


def parse_lock_line(text):
    """{index, name, usage, at, raw} for one " #N: ..." line, or None."""
    m = LOCK_LINE_RE.match(text)
    if not m:
        return None
    at = m.group(5)
    if at:
        f = parse_frame(at)
        if f is not None:
            at = f.normalized()
        else:
            at = at.strip()
    name = m.group(2)
    if m.group(4):
        name = '<RELEASED>'
    return dict(index=int(m.group(1)), name=name, usage=m.group(3), at=at or None, raw=text.strip())


class HeldLocksParser(object):
    """Incremental parser for held-lock listings. feed(text) -> True if the line was one of
    its lines; ``entries`` holds {task, pid, count, locks} in order of appearance."""

    def __init__(self, max_tasks=MAX_TASKS):
        self.entries = []
        self.max_tasks = max_tasks
        self.current = None
        self.all_locks = False   # inside "Showing all locks held in the system:"
        self.lockdep_off = False
        self.truncated = False

    def _add(self, entry):
        if len(self.entries) >= self.max_tasks:
            self.truncated = True
            self.current = None
            return
        self.entries.append(entry)
        self.current = entry

    def feed(self, text):
        try:
            if self.current is None and not self.all_locks and 'held' not in text and 'lockdep' not in text:
                return False  # what _feed answers for such a line, without a call (most lines)
            return self._feed(text)
        except Exception:  # pragma: no cover - defensive
            return False

    def _feed(self, text):
        if text.startswith('kmemleak:'):
            return False
        # Every line of a report goes through here, few are lock lines: each regex runs only on
        # a line that holds its literal ("held" in the three header regexes, "#" in a lock
        # line, "=" in the separator), which a substring test rules out at C speed.
        if 'held' in text:
            if SHOW_ALL_RE.search(text):
                self.all_locks = True
                self.current = None
                return True
            m = HELD_HEADER_RE.match(text)
            if m:
                self._add(dict(task=m.group(2), pid=int(m.group(3)), count=int(m.group(1)), locks=[]))
                return True
            m = NO_LOCKS_RE.match(text)
            if m:
                self._add(dict(task=m.group(1), pid=int(m.group(2)), count=0, locks=[]))
                self.current = None
                return True
        if self.current is not None and '#' in text:
            lock = parse_lock_line(text)
            if lock is not None:
                locks = self.current['locks']
                if locks and locks[-1]['index'] == lock['index']:
                    # decode_stacktrace.sh prints an inlined acquire site first; keep the real one
                    prev = locks[-1]
                    if prev.get('at') and prev['at'].endswith('[inline]'):
                        prev['at'] = lock['at']
                    return True
                if len(locks) < MAX_LOCKS:
                    locks.append(lock)
                return True
        if 'lockdep' in text and LOCKDEP_OFF_RE.search(text):
            self.lockdep_off = True
            return True
        if self.all_locks and '=' in text and SEPARATOR_RE.match(text):
            self.all_locks = False
            self.current = None
            return True
        if self.all_locks and not text.strip():
            return True
        self.current = None
        return False

    def find(self, task=None, pid=None):
        """The entry of a task (pid wins over name), or None."""
        for e in self.entries:
            if pid is not None and e['pid'] == pid:
                return e
        if task is not None:
            for e in self.entries:
                if e['task'] == task:
                    return e
        return None


def parse_held_locks(lines):
    """List of {task, pid, count, locks: [{index, name, usage, at, raw}]} from lines
    (str/bytes/LogLine) holding "N locks held by TASK/PID:" listings, "no locks held by",
    and the "Showing all locks held in the system:" block."""
    parser = HeldLocksParser()
    try:
        for line in lines:
            parser.feed(_text(line))
    except Exception:  # pragma: no cover - defensive
        pass
    return parser.entries


def parse_task_line(text):
    """{task, pid, ppid, state} from a sched_show_task() header line, or None."""
    # (a report reads every line through here: the literal "state:" of the 5.x form and the
    # "0x" of the older forms' flags rule most lines out before a regex runs)
    m = _NEW_TASK_RE.match(text) if 'state:' in text else None
    if m:
        rest = m.group(3)
        pid = _NEW_PID_RE.search(rest)
        if not pid:
            return None
        ppid = _NEW_PPID_RE.search(rest)
        return dict(task=m.group(1).strip(), pid=int(pid.group(1)),
                    ppid=int(ppid.group(1)) if ppid else None, state=m.group(2))
    m = _OLD_TASK_RE.match(text) if '0x' in text else None
    if m:
        return dict(task=m.group(1).strip(), pid=int(m.group(5)), ppid=int(m.group(6)), state=m.group(2))
    return None


class BlockedTasksParser(object):
    """Incremental parser for sched_show_task() output: tasks with their stacks."""

    def __init__(self, max_tasks=MAX_TASKS):
        self.tasks = []
        self.max_tasks = max_tasks
        self.current = None
        self.in_stack = False
        self.waiting = 0
        self.truncated = False

    def feed(self, text):
        try:
            return self._feed(text)
        except Exception:  # pragma: no cover - defensive
            return False

    def _feed(self, text):
        t = parse_task_line(text)
        if t is not None:
            if len(self.tasks) >= self.max_tasks:
                self.truncated = True
                self.current = None
                return True
            t['stack'] = []
            self.tasks.append(t)
            self.current = t
            self.in_stack = False
            self.waiting = 0
            return True
        cur = self.current
        if cur is None:
            return False
        if _CALL_TRACE_RE.match(text):
            self.in_stack = True
            return True
        f = parse_frame(text)
        if f is not None:
            self.in_stack = True
            if len(cur['stack']) < MAX_FRAMES:
                cur['stack'].append(f.normalized())
            return True
        if section_marker(text) is not None:
            return True
        if not self.in_stack and self.waiting < 40:
            # stack words (3.10), "Workqueue: ..." lines, etc. between header and trace
            self.waiting += 1
            return True
        self.current = None
        self.in_stack = False
        return False


def parse_blocked_tasks(lines):
    """List of {task, pid, ppid, state, stack: [frames]} for SysRq-w "Show Blocked State",
    SysRq-t and other sched_show_task() output (3.10, 4.x and 5.x+ forms)."""
    parser = BlockedTasksParser()
    try:
        for line in lines:
            parser.feed(_text(line))
    except Exception:  # pragma: no cover - defensive
        pass
    return parser.tasks
