#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stage_wait
short_description: Follow an async overload stage to its end and tell a slow host from a dead one
version_added: 0.2.0
author: kdebug.kernel team (@kdebug)
description:
  - Polls the async job of a stage started with C(async) and C(poll=0) (for example
    M(kdebug.kernel.overload_stage)) until it finishes, printing a line at every poll, so no task
    sits silent for minutes (AWX and its receptor end jobs that print nothing).
  - When the host stops answering, it keeps polling and watches the host's console log kept on
    the controller (O(console_log), for example a serial console capture); a kernel that still
    prints is alive. The host is judged unresponsive only when neither ssh nor the console showed
    life for O(grace) seconds. An overloaded VM was seen to stop answering ssh for about four
    minutes and then come back by itself.
  - Runs on the controller (an action plugin); it changes nothing on the host.
options:
  jid:
    description: The C(ansible_job_id) of the async task.
    type: str
    required: true
  timeout:
    description:
      - Seconds the job may take; after that plus O(grace) the verdict is C(timeout), or C(unresponsive) when the
        host has not answered for O(grace) seconds by then (its console may still print, but it cannot be cleaned up or read).
    type: float
    default: 600
  poll:
    description: Seconds between polls.
    type: float
    default: 10
  grace:
    description: Seconds without an answer and without console output before the host is unresponsive.
    type: float
    default: 240
  poll_timeout:
    description:
      - Seconds one poll may take. A connection to a host that stopped can wait forever on its
        open ssh connection; after this the connection is reset and the poll counts as no answer.
    type: float
    default: 90
  console_log:
    description: Path on the controller of the host's console log; empty to judge by ssh alone.
    type: path
  label:
    description: Name of the stage in the progress lines.
    type: str
attributes:
  check_mode:
    description: Not supported; the job it follows did not run in check mode.
    support: none
  diff_mode:
    description: Nothing to show.
    support: none
  action:
    description: Runs on the controller (an action plugin).
    support: full
  platform:
    description: Any target the job ran on.
    support: full
    platforms: posix
notes:
  - Use it instead of C(async_status) in an C(until) loop, which ends the moment ssh fails.
'''

EXAMPLES = r'''
- name: Run a stage in the background
  kdebug.kernel.overload_stage:
    name: oom
    type: memory_pressure
    timeout: 300
  async: 420
  poll: 0
  register: job

- name: Follow it
  kdebug.kernel.stage_wait:
    jid: "{{ job.ansible_job_id }}"
    timeout: 360
    poll: 15
    grace: 300
    console_log: "{{ kdebug_lab_serial_log }}"
  register: waited
'''

RETURN = r'''
stage_wait:
  description: How the wait ended.
  returned: always
  type: dict
  contains:
    verdict:
      description:
        - C(finished), C(unresponsive) (no answer and no console output for O(grace) seconds, or no answer for
          O(grace) seconds when the bound of O(timeout) plus O(grace) is reached) or C(timeout).
      type: str
    waited:
      description: Seconds waited.
      type: float
    unreachable_polls:
      description: Polls the host did not answer.
      type: int
    silent_for:
      description: Seconds since the last answer or console output when the wait ended.
      type: float
job:
  description: The finished job's result (what the stage module returned).
  returned: when the verdict is C(finished)
  type: dict
'''
