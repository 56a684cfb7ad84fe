# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/report.yml (the report role, the run_report action) run by the ansible-playbook of
the ansible-core under test on a copy of a real lab run: the reports, the lines, the set_stats
key kdebug_kernel_report, idempotence, check mode, a clear error for a wrong directory, and the
role as a play of its own with report_run_dir as a role parameter (as in stress.yml)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import xmlschema

from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_runs as runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'report.yml')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
KEYS = {'run_id', 'schema_version', 'hosts', 'stages', 'worst_status', 'counts', 'passed', 'reports', 'compared_to'}


def play(*args, playbook=PLAYBOOK, check=True):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_SHOW_CUSTOM_STATS='1', ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='0', ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([ANSIBLE_PLAYBOOK, playbook, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads(proc.stdout) if proc.stdout.strip().startswith('{') else None


def task(out, name_part):
    for p in out['plays']:
        for t in p['tasks']:
            if name_part in t['task']['name']:
                return t['hosts']['localhost']
    raise AssertionError('no task named like %r' % name_part)


def test_the_playbook_writes_the_reports_and_the_run_summary(tmp_path):
    run = runs.copy_run(runs.RUN1, tmp_path)
    earlier = runs.copy_run(runs.RUN2, tmp_path)
    proc, out = play('-e', 'report_run_dir=%s' % run, '-e', 'report_compare_to=%s' % earlier)
    stats = out['global_custom_stats']
    assert list(stats) == ['kdebug_kernel_report']
    summary = stats['kdebug_kernel_report']
    assert set(summary) == KEYS
    assert summary['run_id'] == '20261202T003402Z' and summary['hosts'] == 1 and summary['stages'] == 6
    assert summary['worst_status'] == 'timeout' and summary['passed'] is False and summary['counts'] == {'hung_task': 4}
    assert summary['compared_to'] == '20261202T012532Z'
    assert out['custom_stats'] == {}  # per_host: false
    out_dir = os.path.join(run, 'report')
    assert summary['reports'] == {'json': os.path.join(out_dir, '20261202T003402Z-report.json'),
                                  'junit': os.path.join(out_dir, '20261202T003402Z-junit.xml'),
                                  'html': os.path.join(out_dir, '20261202T003402Z-report.html')}
    with open(summary['reports']['json'], encoding='utf-8') as handle:
        doc = json.load(handle)
    with open(os.path.join(ROOT, 'roles', 'report', 'files', 'run-report.schema.json'), encoding='utf-8') as handle:
        jsonschema.validate(doc, json.load(handle), cls=jsonschema.Draft202012Validator)
    assert doc['compared_to']['run_id'] == '20261202T012532Z'
    xmlschema.XMLSchema(os.path.join(ROOT, 'roles', 'report', 'files', 'junit.xsd')).validate(summary['reports']['junit'])
    with open(summary['reports']['html'], encoding='utf-8') as handle:
        assert '<h1>Stress run 20261202T003402Z' in handle.read()
    lines = task(out, 'One line per host and stage')['msg']
    assert lines[3].split()[:4] == ['kdebug-db', 'fsfreeze', 'passed', 'hung_task=4']
    assert any(line.startswith('report: ') and line.endswith('-junit.xml') for line in lines)
    assert task(out, 'Write the reports')['changed'] is True
    # the same results again: nothing changes
    proc, out = play('-e', 'report_run_dir=%s' % run, '-e', 'report_compare_to=%s' % earlier)
    assert task(out, 'Write the reports')['changed'] is False
    # check mode writes nothing
    other = str(tmp_path / 'elsewhere')
    proc, out = play('--check', '-e', 'report_run_dir=%s' % run, '-e', 'report_output_dir=%s' % other)
    assert task(out, 'Write the reports')['changed'] is True and not os.path.exists(other)


def test_a_run_that_did_not_pass_can_fail_the_play(tmp_path):
    run = runs.copy_run(runs.RUN2, tmp_path)
    proc, out = play('-e', 'report_run_dir=%s' % run, '-e', 'report_fail_when_not_passed=true', check=False)
    assert proc.returncode == 2
    failed = task(out, 'Fail when the run did not pass')
    assert failed['failed'] and 'run 20261202T012532Z did not pass (worst status unresponsive)' in failed['msg']
    # the reports were written first
    assert os.path.exists(os.path.join(run, 'report', '20261202T012532Z-report.html'))


def test_a_wrong_directory_fails_with_what_to_give(tmp_path):
    proc, out = play('-e', 'report_run_dir=%s' % os.path.join(runs.RUN1, runs.HOST), check=False)
    assert proc.returncode == 2
    msg = task(out, 'Write the reports')['msg']
    assert 'is the directory of one host; give the run directory above it' in msg
    proc, out = play(check=False)  # no report_run_dir at all: the role's argument spec says so
    assert proc.returncode == 2 and 'report_run_dir' in json.dumps(out)


# The play proposed for the end of playbooks/stress.yml, as it is to be added there.
STRESS_PLAY = """
- name: Write the reports of the run (JSON, JUnit, HTML; set_stats kdebug_kernel_report)
  hosts: localhost
  connection: local
  gather_facts: false
  become: false
  vars:
    __stress_dirs: "{{ groups['all'] | map('extract', hostvars) | selectattr('overload_summary', 'defined')
                       | map(attribute='overload_summary') | map(attribute='dir') | list }}"
  roles:
    - role: kdebug.kernel.report
      report_run_dir: "{{ __stress_dirs | first | dirname }}"
      when: __stress_dirs | length > 0
"""


def test_the_role_as_the_last_play_of_a_stress_playbook(tmp_path):
    run = runs.copy_run(runs.RUN1, tmp_path)
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('kdebug-db ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    playbook = tmp_path / 'stress_end.yml'
    # a stand-in for the overload play: each host's overload_summary (here from the saved summary.json)
    playbook.write_text("""---
- name: Stand-in for the overload play
  hosts: all
  gather_facts: false
  tasks:
    - name: Set the summary as the overload role does
      ansible.builtin.set_fact:
        overload_summary: "{{ lookup('ansible.builtin.file', '%s/kdebug-db/summary.json') | from_json | combine({'dir': '%s/kdebug-db'}) }}"
""" % (run, run) + STRESS_PLAY)
    proc, out = play('-i', str(inventory), playbook=str(playbook))
    assert out['global_custom_stats']['kdebug_kernel_report']['reports']['html'] == os.path.join(
        run, 'report', '20261202T003402Z-report.html')
    # no host has a summary (check mode, or every host failed before it): the play does nothing
    playbook.write_text('---' + STRESS_PLAY)
    proc, out = play('-i', str(inventory), playbook=str(playbook))
    assert out['global_custom_stats'] == {} and task(out, 'Write the reports')['skipped'] is True
