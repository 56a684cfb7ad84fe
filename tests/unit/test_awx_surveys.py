# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX surveys (awx/surveys/*.yml) cannot drift from the roles.

Each survey is checked in the shape AWX's API takes a survey_spec, and each question against the
argument_specs of the role its variable belongs to: the variable's prefix names the role
(overload_* -> roles/overload, debug_kernel_* -> roles/debug_kernel, report_* -> roles/report);
a variable of no role, or a role that does not exist, fails. Type, choices, default and
required must agree with the spec. An AWX answer is a string, an integer or a float (or a list
for multiselect), so booleans are asked as multiple choice "true"/"false" and the role must read
them with `| bool`; lists of dicts and dicts cannot be asked at all (a JSON string fails the
role's argument validation) and belong in launch variables.
"""
from __future__ import annotations

import json
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SURVEY_DIR = os.path.join(ROOT, 'awx', 'surveys')
SURVEYS = sorted(n[:-4] for n in os.listdir(SURVEY_DIR) if n.endswith('.yml'))
TYPES = ('text', 'textarea', 'password', 'integer', 'float', 'multiplechoice', 'multiselect')
# survey type -> argument_specs types it may ask for
TYPE_MAP = {
    'text': ('str', 'path', 'raw'),
    'textarea': ('str', 'path', 'raw'),
    'password': ('str', 'raw'),
    'integer': ('int',),
    'float': ('float',),
    'multiplechoice': ('str', 'bool'),
    'multiselect': ('list',),
}


def _load(path):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def _roles():
    """role name -> options of its main entry point, for every role with argument_specs."""
    roles = {}
    for name in sorted(os.listdir(os.path.join(ROOT, 'roles'))):
        spec = os.path.join(ROOT, 'roles', name, 'meta', 'argument_specs.yml')
        if os.path.isfile(spec):
            roles[name] = _load(spec)['argument_specs']['main'].get('options') or {}
    return roles


ROLES = _roles()


def _role_of(variable):
    """The role whose name is the longest prefix (name + '_') of variable, or None."""
    matches = [r for r in ROLES if variable.startswith(r + '_')]
    return max(matches, key=len) if matches else None


def _questions():
    for survey in SURVEYS:
        for question in _load(os.path.join(SURVEY_DIR, survey + '.yml'))['spec']:
            yield pytest.param(survey, question, id='%s-%s' % (survey, question.get('variable')))


def test_there_are_surveys_for_the_three_job_templates():
    assert SURVEYS == ['debug_kernel', 'report', 'stress']


@pytest.mark.parametrize('survey', SURVEYS)
def test_survey_has_the_shape_awx_takes(survey):
    data = _load(os.path.join(SURVEY_DIR, survey + '.yml'))
    assert set(data) == {'name', 'description', 'spec'}
    assert isinstance(data['name'], str) and data['name'] and isinstance(data['description'], str)
    assert isinstance(data['spec'], list) and data['spec']
    json.dumps(data)  # AWX receives it as JSON
    variables = [q['variable'] for q in data['spec']]
    assert len(variables) == len(set(variables)), variables
    names = [q['question_name'] for q in data['spec']]
    assert len(names) == len(set(names)), names
    for q in data['spec']:
        assert {'question_name', 'question_description', 'variable', 'type', 'required', 'default'} <= set(q), q
        assert set(q) <= {'question_name', 'question_description', 'variable', 'type', 'required', 'default',
                          'choices', 'min', 'max', 'new_question'}, q
        assert re.match(r'^[a-z][a-z0-9_]*$', q['variable']), q['variable']
        assert q['type'] in TYPES, q
        assert isinstance(q['required'], bool), q
        assert isinstance(q['question_name'], str) and q['question_name'], q
        if q['type'] in ('multiplechoice', 'multiselect'):
            assert isinstance(q['choices'], list) and q['choices'], q
            assert all(isinstance(c, str) for c in q['choices']), q
            assert 'min' not in q and 'max' not in q, q
        else:
            assert 'choices' not in q, q
        for bound in ('min', 'max'):
            if bound in q:
                assert isinstance(q[bound], int) and not isinstance(q[bound], bool), q
        if q['type'] in ('text', 'textarea', 'password'):
            assert isinstance(q['default'], str), q
            if 'min' in q and 'max' in q:
                assert q['min'] <= len(q['default']) <= q['max'] or (q['default'] == '' and not q['required']), q
        elif q['type'] == 'integer':
            assert isinstance(q['default'], int) and not isinstance(q['default'], bool), q
            assert q.get('min', q['default']) <= q['default'] <= q.get('max', q['default']), q
        elif q['type'] == 'float':
            assert isinstance(q['default'], (int, float)) and not isinstance(q['default'], bool), q
            assert q.get('min', q['default']) <= q['default'] <= q.get('max', q['default']), q
        elif q['type'] == 'multiplechoice':
            assert q['default'] in q['choices'], q
        elif q['type'] == 'multiselect':
            default = q['default'].split('\n') if isinstance(q['default'], str) else q['default']
            assert set(default) <= set(q['choices']), q


def _literal(value):
    return not (isinstance(value, str) and ('{{' in value or '{%' in value))


@pytest.mark.parametrize(('survey', 'question'), list(_questions()))
def test_question_agrees_with_the_roles_argument_spec(survey, question):
    variable = question['variable']
    role = _role_of(variable)
    assert role, '%s (survey %s): no role named by its prefix has meta/argument_specs.yml (roles: %s)' % (
        variable, survey, ', '.join(ROLES))
    options = ROLES[role]
    assert variable in options, '%s (survey %s) is not an option of roles/%s/meta/argument_specs.yml' % (
        variable, survey, role)
    spec = options[variable]
    spec_type = spec.get('type', 'str')
    qtype = question['type']
    assert spec_type in TYPE_MAP[qtype], (
        '%s: survey type %s cannot carry the role\'s %s (a survey answer reaches the role as a string, '
        'integer or float; lists and dicts belong in launch variables)' % (variable, qtype, spec_type))

    if qtype == 'multiplechoice' and spec_type == 'bool':
        assert sorted(question['choices']) == ['false', 'true'], question
    elif qtype == 'multiplechoice':
        assert question['choices'] == spec.get('choices'), (
            '%s: survey choices %s, the role\'s %s' % (variable, question['choices'], spec.get('choices')))
    elif qtype == 'multiselect':
        assert spec.get('elements') == 'str' and question['choices'] == spec.get('choices'), (question, spec)

    if spec.get('required'):
        assert question['required'], '%s is required by roles/%s but not by the survey' % (variable, role)

    if 'default' in spec and _literal(spec['default']):
        default = spec['default']
        if spec_type == 'bool':
            assert question['default'] == str(bool(default)).lower(), (question['default'], default)
        elif spec_type in ('int', 'float'):
            assert question['default'] == default and type(question['default']) in (int, float), (question['default'], default)
        elif spec_type == 'list':
            answer = question['default'].split('\n') if isinstance(question['default'], str) else question['default']
            assert answer == default, (question['default'], default)
        else:
            assert question['default'] == ('' if default is None else default), (question['default'], default)
    else:
        # The role computes its default (from the inventory, the environment): the survey must
        # not replace it with one of its own, so an empty answer leaves the role's.
        assert question['default'] == '' and not question['required'], (
            '%s: roles/%s has no literal default; the survey may not set one' % (variable, role))


_JINJA = re.compile(r'{{(.*?)}}|{%(.*?)%}', re.S)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_CONDITION_KEYS = ('when', 'that', 'changed_when', 'failed_when', 'until')


def _expressions(node, key=None):
    """Jinja expressions of a role's YAML: conditionals whole, other strings' {{ }} and {% %}."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _expressions(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _expressions(v, key)
    elif isinstance(node, str):
        if key in _CONDITION_KEYS:
            yield node
        for m in _JINJA.finditer(node):
            yield m.group(1) or m.group(2) or ''


def _bool_questions():
    for survey in SURVEYS:
        for q in _load(os.path.join(SURVEY_DIR, survey + '.yml'))['spec']:
            role = _role_of(q['variable'])
            if role and q['type'] == 'multiplechoice' and ROLES[role].get(q['variable'], {}).get('type') == 'bool':
                yield pytest.param(role, q['variable'], id=q['variable'])


@pytest.mark.parametrize(('role', 'variable'), list(_bool_questions()))
def test_role_reads_a_boolean_asked_as_text_with_the_bool_filter(role, variable):
    """The survey gives "false" (a non-empty string): every use in the role must be `| bool`."""
    uses, bare = 0, []
    for dirpath, dummy, files in os.walk(os.path.join(ROOT, 'roles', role)):
        if os.path.basename(dirpath) == 'meta':
            continue
        for name in files:
            if not name.endswith(('.yml', '.yaml')):
                continue
            path = os.path.join(dirpath, name)
            for expr in _expressions(_load(path)):
                code = _QUOTED.sub("''", expr)
                for m in re.finditer(r'\b%s\b' % re.escape(variable), code):
                    uses += 1
                    if not re.match(r'\s*\|\s*bool\b', code[m.end():]):
                        bare.append('%s: %s' % (os.path.relpath(path, ROOT), expr.strip()))
    assert uses, '%s is never used in roles/%s' % (variable, role)
    assert not bare, '%s used without | bool: %s' % (variable, bare)


def test_no_prompt_in_the_playbooks_or_roles():
    """AWX jobs cannot answer prompts: no vars_prompt, no pause that waits for input."""
    found = []
    for top in ('playbooks', 'roles'):
        for dirpath, dummy, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if not name.endswith(('.yml', '.yaml')):
                    continue
                path = os.path.join(dirpath, name)
                data = _load(path)
                stack = [data]
                while stack:
                    node = stack.pop()
                    if isinstance(node, list):
                        stack.extend(node)
                    elif isinstance(node, dict):
                        if 'vars_prompt' in node:
                            found.append('%s: vars_prompt' % path)
                        for key in ('ansible.builtin.pause', 'pause', 'ansible.legacy.pause'):
                            if key in node:
                                args = node[key] if isinstance(node[key], dict) else {}
                                if not ({'seconds', 'minutes'} & set(args)):
                                    found.append('%s: %s without seconds/minutes waits for input' % (path, key))
                        stack.extend(node.values())
    assert not found, found
