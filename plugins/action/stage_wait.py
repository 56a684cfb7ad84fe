# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin kdebug.kernel.stage_wait: follow an async overload stage to its end, and tell
a host that is slow but alive from one that is dead (controller side, Python 3).

async_status in an ``until`` loop ends the moment ssh fails (an unreachable result is never
retried), and an overloaded host often stops answering ssh for minutes and then comes back.
So this plugin polls the job itself and, while the host does not answer, watches the console
log kept on the controller: a kernel that still prints is alive (as kirk and syzkaller judge by
output). The host is unresponsive only when neither ssh nor the console showed life for the
grace time. It prints a line at every poll, so no task sits silent for minutes.
"""

from __future__ import annotations

import os
import threading
import time

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class Watch:
    """The verdict logic, apart from the I/O, so it can be tested with a fake clock."""

    def __init__(self, timeout, grace, clock=time.monotonic):
        self.clock = clock
        self.start = clock()
        self.timeout = timeout
        self.grace = grace
        self.last_answer = self.start
        self.last_console = self.start
        self.console_size = None
        self.silent_since = None

    def answered(self):
        self.last_answer = self.clock()
        self.silent_since = None

    def no_answer(self):
        if self.silent_since is None:
            self.silent_since = self.clock()

    def console(self, size):
        if size is not None and (self.console_size is None or size != self.console_size):
            if self.console_size is not None:
                self.last_console = self.clock()
            self.console_size = size

    def elapsed(self):
        return self.clock() - self.start

    def verdict(self):
        """None (keep waiting), 'timeout' or 'unresponsive'."""
        now = self.clock()
        if self.silent_since is not None:
            alive_at = max(self.last_answer, self.last_console)
            if now - alive_at >= self.grace:
                return 'unresponsive'
        # the job's own timeout stops the workload; this is the bound on waiting for its result
        if now - self.start >= self.timeout + self.grace:
            # a host whose console still prints but that has not answered for the grace cannot be
            # cleaned up or read: the lab's heavy dd printed OOM kills and hung tasks for 22
            # minutes without one ssh answer. It takes the unresponsive path (SysRq, recovery).
            if self.silent_since is not None and now - self.last_answer >= self.grace:
                return 'unresponsive'
            return 'timeout'
        return None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('jid', 'timeout', 'poll', 'grace', 'console_log', 'label', 'poll_timeout'))

    def _async_dir(self):
        return self._remote_expand_user(self.get_shell_option('async_dir', default='~/.ansible_async'))

    def _console_size(self, path):
        if not path:
            return None
        try:
            return os.stat(path).st_size
        except OSError:
            return None

    def _poll(self, module_args, task_vars, timeout):
        """async_status, bounded: a connection to a host that stopped (a paused VM, a kernel that
        no longer schedules sshd) can wait forever on its open ssh master connection."""
        box = {}

        def work():
            try:
                box['job'] = self._execute_module(module_name='ansible.legacy.async_status', module_args=module_args,
                                                  task_vars=task_vars)
            except Exception as exc:  # pylint: disable=broad-except  # handed to the caller's thread
                box['exc'] = exc

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            try:
                self._connection.reset()  # ends the ssh master, so the waiting call returns
            except Exception:  # pylint: disable=broad-except  # a dead host may fail a reset too
                pass
            worker.join(30)
            raise AnsibleConnectionFailure('no answer within %d s' % timeout)
        if 'exc' in box:
            raise box['exc']
        return box['job']

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        jid = args.get('jid')
        if not jid:
            raise AnsibleError('stage_wait needs jid (the ansible_job_id of the async stage)')
        timeout = float(args.get('timeout', 600))
        poll = max(float(args.get('poll', 10)), 1.0)
        grace = float(args.get('grace', 240))
        console_log = args.get('console_log') or ''
        poll_timeout = max(float(args.get('poll_timeout', 90)), 5.0)
        label = args.get('label') or jid
        watch = Watch(timeout, grace)
        watch.console(self._console_size(console_log))
        async_dir = None
        job = None
        unreachable_polls = 0
        while True:
            try:
                if async_dir is None:
                    async_dir = self._async_dir()
                job = self._poll({'jid': jid, '_async_dir': async_dir}, task_vars, poll_timeout)
                if job.get('unreachable'):
                    raise AnsibleConnectionFailure(job.get('msg', 'unreachable'))
                watch.answered()
            except AnsibleConnectionFailure as exc:
                unreachable_polls += 1
                watch.no_answer()
                display.display('stage_wait %s: no answer (%s); silent for %ds, console log last grew %ds ago' % (
                    label, to_text(exc).splitlines()[0][:120] if to_text(exc) else 'connection failed',
                    watch.clock() - watch.last_answer, watch.clock() - watch.last_console))
                try:
                    self._connection.reset()
                except Exception:  # pylint: disable=broad-except  # a dead host may fail a reset too
                    pass
                job = None
            watch.console(self._console_size(console_log))
            if job is not None and job.get('finished'):
                break
            if job is not None and job.get('failed') and 'finished' not in job:
                result.update({'failed': True, 'msg': 'async_status failed: %s' % job.get('msg'), 'job': job})
                return result
            verdict = watch.verdict()
            if verdict:
                result.update({'stage_wait': {
                    'verdict': verdict, 'waited': round(watch.elapsed(), 1), 'unreachable_polls': unreachable_polls,
                    'silent_for': round(watch.clock() - max(watch.last_answer, watch.last_console), 1),
                    'console_size': watch.console_size}, 'changed': False})
                return result
            display.display('stage_wait %s: %ds of at most %ds%s' % (
                label, watch.elapsed(), timeout,
                '' if watch.elapsed() < timeout else ' (the stage stops itself; waiting up to %ds more for its result)' % grace))
            time.sleep(poll)
        result.update({'stage_wait': {'verdict': 'finished', 'waited': round(watch.elapsed(), 1),
                                      'unreachable_polls': unreachable_polls, 'console_size': watch.console_size},
                       'job': job, 'changed': bool(job.get('changed'))})
        return result
