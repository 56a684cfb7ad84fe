"""The overload role's filters: the plan from presets or a list, a stage's status from its result."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.kernel.plugins.filter.overload import overload_plan, overload_status, overload_taint, overload_worst

import os
VARS = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'overload', 'vars', 'main.yml')))
PRESETS = VARS['__overload_presets']
GROUPS = VARS['__overload_preset_groups']


def plan(stages=None, preset='full', **kw):
    return overload_plan(stages or [], PRESETS, preset, GROUPS, **kw)


def test_full_preset_reproduces_the_method_on_each_filesystem():
    stages = plan(filesystems={'xfs': '/mnt/xfs', 'ext4': '/mnt/ext4'})
    names = [s['name'] for s in stages]
    assert names == ['dd-light-ext4', 'dd-light-xfs', 'dd-heavy-ext4', 'dd-heavy-xfs', 'oom', 'fsfreeze', 'link-flap',
                     'failslab', 'trinity']
    heavy = stages[3]
    assert heavy['params'] == {'writers': 100, 'bs': '100M', 'count': 100, 'path': '/mnt/xfs'}
    assert stages[0]['params'] == {'writers': 10, 'bs': '1M', 'count': 100, 'path': '/mnt/ext4'}
    assert stages[4]['oom_expected'] and not stages[0]['oom_expected']
    # trinity needs its own opt-in
    assert stages[-1]['skip'].startswith('fuzzing is not allowed')
    assert plan(allow_fuzzing=True)[-1]['skip'] is None
    assert plan(allow_fuzzing=True)[-1]['params']['allow_fuzzing'] is True


def test_without_filesystems_dd_goes_to_the_scratch_dir():
    stages = plan(preset='light', default_path='/srv/scratch')
    assert [(s['name'], s['params']['path']) for s in stages] == [('dd-light', '/srv/scratch')]


def test_a_list_replaces_the_preset():
    stages = plan([{'name': 'mine', 'type': 'command', 'timeout': '30', 'params': {'cmd': 'true'}}])
    assert stages == [{'name': 'mine', 'type': 'command', 'timeout': 30, 'params': {'cmd': 'true'}, 'expect': None,
                       'oom_expected': False, 'skip': None}]


@pytest.mark.parametrize('stages,preset,message', [
    (None, 'nope', "unknown overload_preset 'nope'; choose one of full, fuzz, heavy, light, oom, quick, unusual"),
    ([{'name': 'a', 'type': 'dd_write'}], 'full', 'stage a has no timeout'),
    ([{'name': 'a', 'type': 'bogus', 'timeout': 1}], 'full', "stage a: unknown type 'bogus'"),
    ([{'name': 'a', 'type': 'command', 'timeout': 0}], 'full', 'timeout must be a whole number'),
    ([{'name': 'a', 'type': 'command', 'timeout': 5, 'colour': 1}], 'full', 'stage a has unknown keys colour'),
    ([{'name': 'a', 'type': 'command', 'timeout': 5}] * 2, 'full', "two stages are named 'a'"),
    ([{'name': 'a b', 'type': 'command', 'timeout': 5}], 'full', "stage name 'a b' must be"),
    ([{'name': 'a', 'type': 'command', 'timeout': 5, 'expect': 'x'}], 'full', 'expect must be a list'),
    ('dd', 'full', 'overload_stages must be a list'),
])
def test_bad_plans_are_refused(stages, preset, message):
    with pytest.raises(AnsibleFilterError, match=message.replace('(', r'\(')):
        overload_plan(stages, PRESETS, preset, GROUPS)


STAGE = {'name': 's', 'type': 'dd_write', 'timeout': 10, 'expect': None, 'oom_expected': False, 'skip': None}


def result(findings=(), verdict='finished', status='passed', message=None):
    return {'verdict': verdict, 'result': {'status': status, 'message': message}, 'findings': list(findings)}


def test_status_vocabulary():
    assert overload_status(result(), STAGE)['status'] == 'passed'
    judged = overload_status(result([{'type': 'lockdep', 'title': 'possible deadlock in f'}]), STAGE)
    assert judged['status'] == 'failed' and judged['broken_rules'] == ["length(findings[?type=='lockdep']) == `0`"]
    assert overload_status(result([{'type': 'oom_kill'}]), STAGE)['status'] == 'failed'
    assert overload_status(result([{'type': 'oom_kill'}]), dict(STAGE, oom_expected=True))['status'] == 'passed'
    assert overload_status(result(status='timeout', message='ran past'), STAGE) == {
        'status': 'timeout', 'reasons': ['ran past'], 'broken_rules': []}
    assert overload_status(result(status='error', message='no space'), STAGE)['status'] == 'error'
    assert overload_status(result(verdict='unresponsive'), STAGE)['status'] == 'unresponsive'
    assert overload_status(result([{'type': 'panic'}], verdict='unresponsive'), STAGE)['status'] == 'panic'
    assert overload_status({}, dict(STAGE, skip='fuzzing is not allowed'))['status'] == 'skipped'


def test_user_rules_replace_the_default():
    stage = dict(STAGE, expect=["length(findings[?type=='hung_task']) > `0`"])
    assert overload_status(result(), stage)['status'] == 'failed'
    assert overload_status(result([{'type': 'hung_task'}]), stage)['status'] == 'passed'
    with pytest.raises(AnsibleFilterError, match='not valid JMESPath'):
        overload_status(result(), dict(STAGE, expect=['length(findings[']))


def test_taint_and_worst():
    # W (bit 9) and L (bit 14) new; O (bit 12) was there before
    assert overload_taint(1 << 12, (1 << 12) | (1 << 9) | (1 << 14)) == {
        'before': 4096, 'after': 4096 + 512 + 16384, 'new': 512 + 16384, 'new_letters': 'WL'}
    assert overload_worst(['passed', 'timeout', 'failed', 'skipped']) == 'failed'
    assert overload_worst([]) == 'skipped'
