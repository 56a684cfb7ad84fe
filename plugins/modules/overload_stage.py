#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: overload_stage
short_description: Run one overload stage on a test system, bounded in time, sampled, and cleaned up after
version_added: 0.2.0
author: kdebug.kernel team (@kdebug)
description:
  - Runs the workload of one stage (parallel C(dd) writers, memory past the OOM killer, a frozen
    filesystem, a flapping veth link under traffic, trinity, fault injection, stress-ng, a command)
    in a transient systemd unit with C(OOMScoreAdjust=1000), so that the OOM killer takes the
    workload first and one stop kills all of it; the module itself and its async wrapper get
    C(oom_score_adj) -1000.
  - "Writes C(kdebug: stage NAME start) and C(end) to C(/dev/kmsg), so the stage shows in the
    kernel log and in a serial console capture."
  - While the workload runs it samples MemAvailable, PSI (memory, io, cpu) and the load average
    every O(sample_interval) seconds, and appends each sample to a file on the target as well
    (kept when the host is reset during the stage).
  - Stops the workload at O(timeout) (status C(timeout)); a stage that cannot run (missing tool,
    no space, bad parameter) has status C(error), which is an infrastructure problem, not a kernel
    failure. What the kernel reported is read afterwards with M(kdebug.kernel.kernel_log).
  - Everything the stage made is removed afterwards, also after a failure (files, loop mounts,
    frozen filesystems, network namespaces, users, fault-injection settings); O(state=absent)
    removes what a stage interrupted by a reset left.
  - This module puts the host under deliberate overload. Run it on test systems only; the
    C(kdebug.kernel.overload) role checks that a host opted in before it calls it.
  - Runs on Python 2.7 and 3.6+.
options:
  name:
    description: Stage name, unique in a run (letters, digits, C(-), C(_), C(.)).
    type: str
    required: true
  type:
    description:
      - C(dd_write) N parallel C(dd if=/dev/zero of=FILE bs=BS count=COUNT) into one file
        (params C(path), C(writers), C(bs), C(count), C(max_fill)); the count is reduced to fit the free space.
      - C(memory_pressure) stress-ng C(--vm N --vm-bytes P% --oomable), or a bounded built-in hog without
        stress-ng (params C(workers), C(vm_bytes), C(duration), C(allow_builtin)).
      - C(fsfreeze_stall) freezes a scratch filesystem while writers run and holds it past the hung-task
        timeout (params C(mountpoint), C(image_size), C(writers), C(hung_task_timeout), C(hold)).
      - C(link_flap) traffic through a veth pair into a network namespace the stage makes, the link taken
        down and up (params C(flap_interval), C(duration), C(subnet)).
      - C(trinity) the syscall fuzzer as an unprivileged user (params C(children), C(duration), C(args),
        C(allow_fuzzing), C(user)).
      - C(fault_injection) failslab / fail_page_alloc for the workload's tasks (params C(attrs),
        C(probability), C(interval), C(times), C(space), C(verbose), C(cmd), C(debugfs)).
      - C(stress_ng) any stressors (params C(stressors), C(args), C(duration)); C(command) a user command (param C(cmd)).
    type: str
    required: true
    choices: [dd_write, memory_pressure, fsfreeze_stall, link_flap, trinity, fault_injection, stress_ng, command]
  params:
    description: Parameters of the stage type (see O(type)); unknown ones are refused.
    type: dict
    default: {}
  timeout:
    description: Seconds the workload may run before it is stopped (status C(timeout)).
    type: int
    required: true
  sample_interval:
    description: Seconds between samples.
    type: float
    default: 5
  run_id:
    description: Run identifier, part of the unit name and the work directory.
    type: str
    default: run
  workdir:
    description: Work directory for the stage's files (samples, output, images); default C(/var/tmp/kdebug-overload/RUN_ID).
    type: path
  state:
    description:
      - C(present) runs the stage. C(absent) only removes what a stage of this name left behind
        (its unit, files, mounts, namespace, user), e.g. after the host was reset during it.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - kdebug.kernel.attributes
attributes:
  check_mode:
    description: Returns the stage's resolved parameters and runs nothing.
  diff_mode:
    description: Nothing to show.
  platform:
    description: Linux targets with systemd.
notes:
  - Needs root and systemd (C(systemd-run)).
seealso:
  - module: kdebug.kernel.kernel_log
'''

EXAMPLES = r'''
- name: Ten parallel dd writers into one file on the xfs scratch disk (the method's light load)
  kdebug.kernel.overload_stage:
    name: dd-light-xfs
    type: dd_write
    params: {path: /mnt/xfs, writers: 10, bs: 1M, count: 100}
    timeout: 600
  async: 660
  poll: 5
  become: true
'''

RETURN = r'''
stage:
  description: What the stage did.
  returned: always
  type: dict
  contains:
    status:
      description: C(passed) (the workload ran and ended), C(timeout), C(error) (could not run) or C(skipped) (check mode).
      type: str
    message:
      description: Why the stage timed out or could not run.
      type: str
    start:
      description: Start, seconds since the epoch.
      type: float
    end:
      description: End, seconds since the epoch.
      type: float
    samples:
      description: Samples with C(time), C(uptime) (seconds since boot, the kernel log's clock), C(mem_available_kb),
        C(load1) and C(psi_<memory|io|cpu>_<some|full>_avg10).
      type: list
      elements: dict
    details:
      description: What the stage type reports (e.g. the bound dd write, stress-ng's exit code and metrics, link flaps).
      type: dict
    cleanup:
      description: What was removed or restored.
      type: list
      elements: str
    leftovers:
      description: What could not be removed (empty when the stage left nothing).
      type: list
      elements: str
    output_tail:
      description: The end of the workload's output.
      type: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kdebug.kernel.plugins.module_utils import overload
from ansible_collections.kdebug.kernel.plugins.module_utils.kdebug_common import kernel_path, write_kmsg


class OverloadStage(object):
    def __init__(self, module):
        self.module = module
        params = module.params
        self.name = overload.safe_name(params['name'])
        self.workdir = params['workdir'] or os.path.join(overload.WORK_ROOT, overload.safe_name(params['run_id']))

    def stage(self):
        cls = overload.STAGE_TYPES[self.module.params['type']]
        return cls(self.name, self.module.params['params'] or {}, self.workdir, check_mode=self.module.check_mode)

    def run(self):
        params = self.module.params
        stage = self.stage()
        if self.module.check_mode:
            return {'changed': False, 'stage': {'name': self.name, 'type': stage.NAME, 'status': overload.STATUS_SKIPPED,
                                                'message': 'check mode: nothing run', 'params': stage.params}}
        if not os.path.isdir(self.workdir):
            os.makedirs(self.workdir, 0o700)
        runner = overload.StageRunner(stage, params['timeout'], params['sample_interval'], params['run_id'],
                                      kmsg=lambda text: write_kmsg(kernel_path('kmsg'), text))
        if params['state'] == 'absent':
            return {'changed': True, 'stage': runner.clean_only()}
        return {'changed': True, 'stage': runner.run()}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            type=dict(type='str', required=True, choices=sorted(overload.STAGE_TYPES)),
            params=dict(type='dict', default={}),
            timeout=dict(type='int', required=True),
            sample_interval=dict(type='float', default=5),
            run_id=dict(type='str', default='run'),
            workdir=dict(type='path'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        ),
        supports_check_mode=True,
    )
    if module.params['timeout'] < 1:
        module.fail_json(msg='timeout must be at least 1 second, not %d' % module.params['timeout'])
    overload.RUNNER = module.run_command
    try:
        result = OverloadStage(module).run()
    except overload.StageError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
