# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/awx_configure.yml and its data (awx/templates.yml), without a controller.

No AWX runs here, so the arguments are checked against the awx.awx modules' own documentation
(ansible-doc of the leg's ansible-core; ansible-lint resolves the modules but does not check
their options), and the data against the collection: each job template's playbook and survey
exist, slicing and the launch prompts are set, the workflow's nodes and edges are consistent,
and its survey (the nodes' surveys together) has each variable once.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'awx_configure.yml')
ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')


class _Loader(yaml.SafeLoader):
    """!unsafe values stay as they are written (the job templates them, not this playbook)."""


_Loader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def _load(path):
    with open(path, encoding='utf-8') as f:
        return yaml.load(f, Loader=_Loader)


DATA = _load(os.path.join(ROOT, 'awx', 'templates.yml'))
TEMPLATES = DATA['kdebug_awx_job_templates']
WORKFLOW = DATA['kdebug_awx_workflow']
PLAY = _load(PLAYBOOK)[0]


def _awx_tasks():
    return [(t['name'], name, t[name]) for t in PLAY['tasks'] for name in t if name.startswith('awx.awx.')]


def _doc(module):
    proc = subprocess.run([ANSIBLE_DOC, '-j', module], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, 'ansible-doc %s (awx.awx: `make awx-collection`): %s' % (module, proc.stderr)
    return json.loads(proc.stdout)[module]['doc']


@pytest.mark.parametrize(('task', 'module', 'args'), _awx_tasks(), ids=[t[0] for t in _awx_tasks()])
def test_awx_task_arguments_are_options_of_the_module(task, module, args):
    options = _doc(module)['options']
    unknown = sorted(set(args) - set(options))
    assert not unknown, '%s: %s has no option %s' % (task, module, unknown)
    for key, value in args.items():
        choices = options[key].get('choices')
        if choices and isinstance(value, str) and '{{' not in value:
            assert value in choices, (task, key, value, choices)


def test_module_defaults_are_awx_auth_options():
    group = PLAY['module_defaults']['group/awx.awx.controller']
    options = _doc('awx.awx.job_template')['options']
    assert set(group) <= set(options), sorted(set(group) - set(options))


def test_workflow_nodes_are_in_the_modules_format():
    suboptions = _doc('awx.awx.workflow_job_template')['options']['workflow_nodes']['suboptions']
    ujt = suboptions['unified_job_template']['suboptions']
    related = suboptions['related']['suboptions']
    for node in WORKFLOW['workflow_nodes']:
        assert set(node) <= set(suboptions), node
        assert set(node['unified_job_template']) <= set(ujt), node
        assert set(node['related']) <= set(related), node


def test_job_templates_run_playbooks_of_the_collection_with_their_surveys():
    names = [t['name'] for t in TEMPLATES]
    assert len(names) == len(set(names))
    by_playbook = {t['playbook']: t for t in TEMPLATES}
    assert set(by_playbook) == {'playbooks/debug_kernel.yml', 'playbooks/stress.yml', 'playbooks/report.yml'}
    for t in TEMPLATES:
        assert os.path.isfile(os.path.join(ROOT, t['playbook'])), t['playbook']
        assert os.path.isfile(os.path.join(ROOT, 'awx', 'surveys', t['survey'] + '.yml')), t['survey']
        assert set(t) == {'name', 'description', 'playbook', 'survey', 'job_slice_count', 'allow_simultaneous', 'extra_vars'}, t
    # The fleet is spread over the execution nodes by slicing the per-host templates; the
    # report (the one play across hosts) is one job.
    assert by_playbook['playbooks/stress.yml']['job_slice_count'] == '{{ kdebug_awx_job_slice_count }}'
    assert by_playbook['playbooks/debug_kernel.yml']['job_slice_count'] == '{{ kdebug_awx_job_slice_count }}'
    assert by_playbook['playbooks/report.yml']['job_slice_count'] == 1
    stress = by_playbook['playbooks/stress.yml']['extra_vars']
    # Every slice of a launch writes into one run directory.
    assert stress['overload_run_id'] == 'awx-{{ awx_workflow_job_id | default(awx_job_id) }}'
    report = by_playbook['playbooks/report.yml']['extra_vars']
    assert report['report_run_dir'] == '{{ overload_report_dir }}/{{ kdebug_kernel_report.run_id }}'
    assert report['overload_report_dir'] == stress['overload_report_dir']


def test_job_template_task_prompts_for_limit_and_variables_and_enables_the_survey():
    task = next(a for dummy, m, a in _awx_tasks() if m == 'awx.awx.job_template')
    assert task['ask_limit_on_launch'] is True and task['ask_variables_on_launch'] is True
    assert task['survey_enabled'] is True
    assert 'item.survey' in task['survey_spec'] and 'from_yaml' in task['survey_spec']
    assert task['job_slice_count'] == '{{ item.job_slice_count | int }}'
    wf = next(a for dummy, m, a in _awx_tasks() if m == 'awx.awx.workflow_job_template')
    assert wf['ask_limit_on_launch'] is True and wf['survey_enabled'] is True


def test_workflow_boots_then_stresses_then_always_reports():
    nodes = {n['identifier']: n for n in WORKFLOW['workflow_nodes']}
    assert len(nodes) == len(WORKFLOW['workflow_nodes'])
    names = {t['name'] for t in TEMPLATES}
    for node in nodes.values():
        assert node['unified_job_template']['type'] == 'job_template'
        assert node['unified_job_template']['name'] in names, node
        for edge in ('success_nodes', 'failure_nodes', 'always_nodes'):
            for target in node['related'][edge]:
                assert target['identifier'] in nodes, (node['identifier'], edge, target)
    assert nodes['debug_kernel']['related']['success_nodes'] == [{'identifier': 'stress'}]
    assert nodes['debug_kernel']['related']['always_nodes'] == []
    # A failed stage fails the stress job: the report must run then too.
    assert nodes['stress']['related']['always_nodes'] == [{'identifier': 'report'}]
    assert all(not n['related'][e] for n in [nodes['report']] for e in ('success_nodes', 'failure_nodes', 'always_nodes'))


def test_workflow_survey_has_each_variable_once():
    by_name = {t['name']: t for t in TEMPLATES}
    variables = []
    for node in WORKFLOW['workflow_nodes']:
        survey = _load(os.path.join(ROOT, 'awx', 'surveys', by_name[node['unified_job_template']['name']]['survey'] + '.yml'))
        variables += [q['variable'] for q in survey['spec']]
    assert len(variables) == len(set(variables)), variables


def test_playbook_passes_syntax_check():
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '--syntax-check', PLAYBOOK],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
