# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the overload role (controller side, Python 3): the plan of a host's stages from
presets or the user's list, and a stage's status from its result and its expect rules.

overload_plan(stages, presets, preset, ...) -> the list of stages to run, each complete
    (name, type, timeout, params, expect, oom_expected, skip) or an error naming what is wrong.
overload_status(result, expect, ...) -> the stage's status in the one vocabulary
    (passed, failed, timeout, unresponsive, panic, error, skipped) and why.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

try:
    import jmespath
except ImportError:  # reported when a rule is evaluated
    jmespath = None

STAGE_TYPES = ('dd_write', 'memory_pressure', 'fsfreeze_stall', 'link_flap', 'trinity', 'fault_injection',
               'stress_ng', 'command')
STAGE_KEYS = ('name', 'type', 'timeout', 'params', 'expect', 'oom_expected', 'on_each_filesystem')
# worst first: the status of a host is the worst of its stages'
STATUSES = ('panic', 'unresponsive', 'failed', 'timeout', 'error', 'passed', 'skipped')
# The default rules (the sensible default): no report of these kinds, and OOM kills
# only in the stages that expect them. Each is a JMESPath expression over the stage result
# that must be true.
DEFAULT_EXPECT = [
    "length(findings[?type=='lockdep']) == `0`",
    "length(findings[?type=='hung_task']) == `0`",
    "length(findings[?type=='soft_lockup' || type=='hard_lockup']) == `0`",
    "length(findings[?type=='rcu_stall']) == `0`",
    "length(findings[?type=='bug' || type=='kasan']) == `0`",
]
OOM_RULE = "length(findings[?type=='oom_kill']) == `0`"
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')


def _fail(msg):
    raise AnsibleFilterError('overload: %s' % msg)


def overload_plan(stages, presets=None, preset='method', groups=None, filesystems=None, allow_fuzzing=False,
                  default_path='/var/tmp'):
    """The stages to run: the user's list when not empty, else the preset (a name of presets
    or of groups of presets). A stage with on_each_filesystem becomes one stage per entry of
    filesystems (name-<fs>, params.path = its mount point)."""
    presets = presets or {}
    groups = groups or {}
    if stages:
        if not isinstance(stages, list):
            _fail('overload_stages must be a list of stages, not %s' % type(stages).__name__)
        chosen = stages
    else:
        names = groups.get(preset, [preset] if preset in presets else None)
        if names is None:
            _fail("unknown overload_preset '%s'; choose one of %s" % (preset, ', '.join(sorted(set(presets) | set(groups)))))
        chosen = [stage for name in names for stage in presets[name]]
    plan = []
    for index, raw in enumerate(chosen):
        if not isinstance(raw, dict):
            _fail('stage %d must be a dict with name, type and timeout, not %r' % (index + 1, raw))
        unknown = sorted(set(raw) - set(STAGE_KEYS))
        if unknown:
            _fail("stage %s has unknown keys %s; a stage takes %s"
                  % (raw.get('name', index + 1), ', '.join(unknown), ', '.join(STAGE_KEYS)))
        for key in ('name', 'type', 'timeout'):
            if key not in raw:
                _fail('stage %s has no %s' % (raw.get('name', index + 1), key))
        if raw['type'] not in STAGE_TYPES:
            _fail("stage %s: unknown type '%s'; types are %s" % (raw['name'], raw['type'], ', '.join(STAGE_TYPES)))
        try:
            timeout = int(raw['timeout'])
        except (TypeError, ValueError):
            timeout = 0
        if timeout < 1:
            _fail('stage %s: timeout must be a whole number of seconds >= 1, not %r' % (raw['name'], raw['timeout']))
        expect = raw.get('expect')
        if expect is not None and (not isinstance(expect, list) or not all(isinstance(e, str) for e in expect)):
            _fail('stage %s: expect must be a list of JMESPath expressions (strings)' % raw['name'])
        base = {'name': str(raw['name']), 'type': raw['type'], 'timeout': timeout, 'params': dict(raw.get('params') or {}),
                'expect': expect, 'oom_expected': bool(raw.get('oom_expected', raw['type'] == 'memory_pressure')),
                'skip': None}
        if raw['type'] == 'trinity':
            if allow_fuzzing:
                base['params']['allow_fuzzing'] = True
            else:
                base['skip'] = 'fuzzing is not allowed (set overload_allow_fuzzing: true)'
        if raw.get('on_each_filesystem') and filesystems:
            for fs, mountpoint in sorted(filesystems.items()):
                stage = dict(base, name='%s-%s' % (base['name'], fs), params=dict(base['params'], path=mountpoint))
                plan.append(stage)
        else:
            if raw['type'] == 'dd_write':
                base['params'].setdefault('path', default_path)
            plan.append(base)
    seen = set()
    for stage in plan:
        if not NAME_RE.match(stage['name']):
            _fail("stage name '%s' must be letters, digits, '-', '_' or '.' (at most 63)" % stage['name'])
        if stage['name'] in seen:
            _fail("two stages are named '%s'; names must be unique in a run" % stage['name'])
        seen.add(stage['name'])
    return plan


def _rules(stage):
    rules = stage.get('expect')
    if rules is None:
        rules = list(DEFAULT_EXPECT) + ([] if stage.get('oom_expected') else [OOM_RULE])
    return rules


def overload_status(result, stage):
    """{'status', 'reasons', 'broken_rules'} for a stage record ({'result': module result or None,
    'verdict': stage_wait verdict, 'findings': [...], 'recovered': bool, ...})."""
    verdict = result.get('verdict')
    findings = result.get('findings') or []
    reasons = []
    if stage.get('skip'):
        return {'status': 'skipped', 'reasons': [stage['skip']], 'broken_rules': []}
    if any(f.get('type') == 'panic' for f in findings):
        status = 'panic'
        reasons.append('the kernel panicked')
    elif verdict == 'unresponsive':
        status = 'unresponsive'
        reasons.append('the host stopped answering during the stage')
    else:
        module_status = (result.get('result') or {}).get('status')
        if verdict == 'timeout' or module_status == 'timeout':
            status = 'timeout'
            reasons.append((result.get('result') or {}).get('message') or 'the stage overran its timeout and was stopped')
        elif module_status == 'error' or result.get('error'):
            status = 'error'
            reasons.append((result.get('result') or {}).get('message') or result.get('error'))
        else:
            status = 'passed'
    broken = []
    if status not in ('error',):
        if jmespath is None:
            _fail('the expect rules need the jmespath Python library on the controller (pip install jmespath)')
        for rule in _rules(stage):
            try:
                value = jmespath.search(rule, result)
            except jmespath.exceptions.JMESPathError as exc:
                _fail("stage %s: expect rule %r is not valid JMESPath: %s" % (stage.get('name'), rule, exc))
            if value is not True:
                broken.append(rule)
        if broken and status == 'passed':
            status = 'failed'
            reasons.append('expect rules broken: %s' % '; '.join(broken))
    return {'status': status, 'reasons': reasons, 'broken_rules': broken}


# kernel/panic.c taint_flags[]: bit -> letter, in the order print_tainted() prints them
TAINT_LETTERS = 'PFSRMBUDAWCIOELKXTN'


def overload_taint(before, after):
    """{'before', 'after', 'new', 'new_letters'}: the taint bits a stage added."""
    before, after = int(before), int(after)
    new = after & ~before
    letters = ''.join(letter for bit, letter in enumerate(TAINT_LETTERS) if new & (1 << bit))
    return {'before': before, 'after': after, 'new': new, 'new_letters': letters}


def overload_worst(statuses):
    """The worst of a list of statuses (STATUSES order); 'skipped' for none."""
    ranked = [s for s in STATUSES if s in set(statuses or [])]
    return ranked[0] if ranked else 'skipped'


class FilterModule:
    def filters(self):
        return {'overload_plan': overload_plan, 'overload_status': overload_status, 'overload_worst': overload_worst,
                'overload_taint': overload_taint}
