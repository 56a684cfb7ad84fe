# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The environment_diff filter: wiring to environment_compare, usage errors as filter errors,
and a run through ansible's templating (the filter as a playbook calls it)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.kernel.plugins.filter.environment_diff import FilterModule, environment_diff, environment_digests
from ansible_collections.kdebug.kernel.plugins.module_utils.environment import digest_of, overall_digest


def fp(packages, hostname):
    data = {'dpkg': packages}
    digests = {'packages': digest_of(data)}
    return dict(format='kdebug.environment/1', digest=overall_digest(digests), digests=digests, complete=True,
                sections={'packages': dict(digest=digests['packages'], complete=True, data=data, notes=[])},
                identity=dict(hostname=hostname))


A = fp({'bash:amd64': '5.2.15-2+b8', 'dbus:amd64': '1.14.10-1~deb12u1'}, 'lab1')
B = fp({'bash:amd64': '5.2.15-2+b8', 'dbus:amd64': '1.14.10-1'}, 'lab2')


def test_registered():
    assert sorted(FilterModule().filters()) == ['environment_diff', 'environment_digests']


def test_upgrade():
    result = environment_diff(A, B)
    assert result['summary']['lines'] == ['packages: 1 changed (1 upgrade(s))']
    assert environment_diff(B, A)['sections']['packages']['changed'][0]['change'] == 'downgrade'


@pytest.mark.parametrize('kwargs, message', [
    (dict(ignore=5), 'ignore must be a list'),
    (dict(ignore=['bogus']), "rule 'bogus' is not understood"),
    (dict(sections=7), 'sections must be a list'),
])
def test_usage_errors(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        environment_diff(A, B, **kwargs)


def test_not_a_fingerprint():
    with pytest.raises(AnsibleFilterError, match='not an environment fingerprint'):
        environment_diff({'a': 1}, B)


def test_through_ansible(tmp_path):
    """Fingerprints read back from JSON files, compared in a template expression."""
    (tmp_path / 'a.json').write_text(json.dumps(A))
    (tmp_path / 'b.json').write_text(json.dumps(B))
    playbook = tmp_path / 'play.yml'
    playbook.write_text(
        '- hosts: localhost\n'
        '  gather_facts: false\n'
        '  tasks:\n'
        '    - ansible.builtin.debug:\n'
        '        msg: "RESULT={{ (lookup(\'file\', \'%s/a.json\') | from_json | kdebug.kernel.environment_diff('
        'lookup(\'file\', \'%s/b.json\') | from_json, ignore=[\'hostname\'])).summary | to_json }}"\n'
        % (tmp_path, tmp_path))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                           '-c', 'local', str(playbook)], capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0'))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = [x for x in proc.stdout.splitlines() if 'RESULT=' in x][0]
    summary = json.loads(line.split('RESULT=', 1)[1].rstrip('"').replace('\\"', '"'))
    assert summary['sections_different'] == ['packages'] and summary['upgrade'] == 1


def test_digests_short_form():
    from ansible_collections.kdebug.kernel.plugins.filter.environment_diff import environment_digests
    short_a = environment_digests({'ansible_facts': {'environment_fingerprint': A}})
    assert short_a == dict(format='kdebug.environment/1', digest=A['digest'], digests=A['digests'], complete=True,
                           incomplete_sections=[], hostname='lab1', at=None)
    assert len(json.dumps(short_a)) < 400
    short_b = environment_digests(B)
    result = environment_diff(short_a, short_b)
    assert result['summary']['sections_different'] == ['packages'] and (result['host_a'], result['host_b']) == ('lab1', 'lab2')
    assert environment_diff(short_a, environment_digests(json.loads(json.dumps(A))))['same']
    with pytest.raises(AnsibleFilterError, match='environment_digests: .*not an environment fingerprint'):
        environment_digests({'digest': 'x'})


def test_an_undefined_input_stays_undefined():
    # Jinja then names the undefined variable; a filter error would hide it (and ansible-lint
    # 2.16's jinja rule, which templates with undefined variables, reported one)
    from jinja2 import Undefined
    missing = Undefined(name='first')
    assert environment_diff(missing, {}) is missing
    assert environment_diff({}, missing) is missing
    assert environment_digests(missing) is missing
