#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: run_report
short_description: Write the JSON, JUnit XML and HTML reports of a stress run from its saved results
version_added: 0.2.0
author: kdebug.kernel team (@kdebug)
description:
  - Reads only the results directory of a run of the C(kdebug.kernel.overload)
    role (C(<overload_report_dir>/<run id>/), one subdirectory per host with C(00-baseline.json),
    C(NN-<stage>.json), C(NN-<stage>.console.log) and C(summary.json)), so it rebuilds the reports
    of a run that died half-way; a planned stage without its file is reported as not run.
  - Writes, in O(output_dir), C(<run id>-report.json) (one document per run, its JSON Schema is
    C(roles/report/files/run-report.schema.json) in the collection, version in C(schema_version)),
    C(<run id>-junit.xml) (one testsuite per host, one testcase per stage, as Jenkins and GitLab
    read it) and C(<run id>-report.html) (one self-contained page with a timeline per host).
  - A file is rewritten only when its content changes; the reports hold no time of their own
    making, so running it twice on the same results changes nothing.
  - Runs on the controller (an action plugin) whatever the host of the task; use it through the
    C(kdebug.kernel.report) role, which also prints one line per host and stage and sets the run
    summary with C(ansible.builtin.set_stats).
options:
  run_dir:
    description: The run directory, C(<overload_report_dir>/<run id>), on the controller.
    type: path
    required: true
  output_dir:
    description: Where the reports go; by default C(<run_dir>/report).
    type: path
  compare_to:
    description:
      - The run directory of an earlier run. Every format then tells the findings new, gone and still
        present by host and title (kmemleak call sites included), and the JSON names the run it was compared with.
    type: path
  formats:
    description: The reports to write.
    type: list
    elements: str
    choices: [json, junit, html]
    default: [json, junit, html]
  junit_max_bytes:
    description:
      - The JUnit file stays under this size (GitLab reads at most 30 MB per file); the console
        logs and excerpts of each testcase are cut (head and tail, with a note) to a share of it. At least 65536.
    type: int
    default: 20971520
  max_log_bytes:
    description: At most this many bytes of a stage's console log in the JUnit C(system-out).
    type: int
    default: 1048576
  html_max_excerpts:
    description: Different excerpts shown per finding title on the HTML page (the JSON keeps all).
    type: int
    default: 3
attributes:
  check_mode:
    description: Builds the reports and tells whether a file would change; writes nothing.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
  action:
    description: Runs on the controller (an action plugin).
    support: full
  platform:
    description: The controller.
    support: full
    platforms: posix
notes:
  - Times on the timeline are the hosts' clocks; a finding's time is its printk time moved to the
    wall clock with the stage's samples (time minus uptime).
  - A stage whose host stopped answering has no start and end of its own; its time is estimated from
    the neighbouring stages and drawn hatched.
'''

EXAMPLES = r'''
- name: Rebuild the reports of a run
  kdebug.kernel.run_report:
    run_dir: ~/.cache/kdebug/runs/20261202T003402Z
  register: report

- name: Compare with the run before a kernel update, JSON only
  kdebug.kernel.run_report:
    run_dir: ~/.cache/kdebug/runs/20261203T101500Z
    compare_to: ~/.cache/kdebug/runs/20261202T003402Z
    formats: [json]
'''

RETURN = r'''
report:
  description: The run summary (what the report role sets with set_stats as C(kdebug_kernel_report)).
  returned: always
  type: dict
  contains:
    run_id:
      description: The run id.
      type: str
    schema_version:
      description: The version of the JSON report's schema.
      type: str
    hosts:
      description: Number of hosts.
      type: int
    stages:
      description: Number of stages over all hosts (planned ones that did not run included).
      type: int
    worst_status:
      description: The worst stage status (panic, unresponsive, failed, timeout, error, passed, skipped).
      type: str
    counts:
      description: Findings per type over the run.
      type: dict
    passed:
      description: Every host finished and every stage passed or was skipped by its plan.
      type: bool
    reports:
      description: Paths of the reports by format (C(json), C(junit), C(html)).
      type: dict
    compared_to:
      description: The run id compared with, or null.
      type: str
  sample:
    run_id: 20261202T003402Z
    schema_version: "1.0"
    hosts: 1
    stages: 6
    worst_status: timeout
    counts: {hung_task: 4}
    passed: false
    reports:
      json: /root/.cache/kdebug/runs/20261202T003402Z/report/20261202T003402Z-report.json
      junit: /root/.cache/kdebug/runs/20261202T003402Z/report/20261202T003402Z-junit.xml
      html: /root/.cache/kdebug/runs/20261202T003402Z/report/20261202T003402Z-report.html
    compared_to: null
lines:
  description: One line per host and stage (host, stage, status, counts per type, worst finding or why).
  returned: always
  type: list
  elements: str
output_dir:
  description: Where the reports were written.
  returned: always
  type: str
notes:
  description: What the saved results lack or where a value came from (per host).
  returned: always
  type: list
  elements: str
'''
