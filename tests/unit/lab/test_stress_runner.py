"""tests/lab/stress_runner.py on real ansible-runner output.

A small local playbook (connection local, no overload, nothing changed on this machine) stands in
for playbooks/stress.yml: a role named `overload` in a stand-in collection reads a kernel log
captured from the lab's debug kernel (tests/unit/fixtures/lab/hung_task_6.1_serial.log) with
the collection's real kdebug.kernel.kernel_log module, keeps the findings with set_fact and sets
an `overload_summary`, and a last play publishes a stand-in `kdebug_kernel_report` with
set_stats (per_host: false, aggregate: false), as the report role does. So the extraction of
stats, artifacts and findings is proven on what ansible_runner.run() really produces.

This is not the stress proof: the lead runs `stress.yml` itself through run_playbook() against
the lab VM in the Molecule scenario, and check_run() judges that run.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'lab'))

import stress_runner  # noqa: E402

LOG = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'lab', 'hung_task_6.1_serial.log')

ROLE_TASKS = """---
- name: Read the captured kernel log (stand-in for a stage's findings)
  kdebug.kernel.kernel_log:
    path: ["{{ standin_log }}"]
  register: __standin_log

- name: Keep the findings as the overload role does
  ansible.builtin.set_fact:
    __standin_run:
      findings: "{{ __standin_log.ansible_facts.kernel_log.findings }}"
      counts: "{{ __standin_log.ansible_facts.kernel_log.counts }}"

- name: Sum up the host's run
  ansible.builtin.set_fact:
    overload_summary:
      host: "{{ inventory_hostname }}"
      run_id: standin-1
      status: failed
      stages: [{name: standin, status: failed, counts: "{{ __standin_run.counts }}"}]
"""

PLAYBOOK = """---
- name: Stand-in stages
  hosts: testhosts
  gather_facts: false
  roles:
    - role: kdebugtest.standin.overload

- name: A task outside the role that carries findings too (not counted)
  hosts: testhosts
  gather_facts: false
  tasks:
    - name: Findings outside the overload role
      ansible.builtin.set_fact:
        __outside: {findings: [{type: other, title: not from the overload role}]}

- name: Stand-in report
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Publish the run summary for AWX
      ansible.builtin.set_stats:
        data:
          kdebug_kernel_report:
            run_id: standin-1
            schema_version: 1
            hosts: "{{ groups['testhosts'] }}"
            stages: [{host: "{{ groups['testhosts'][0] }}", name: standin, status: failed}]
            worst_status: failed
            counts: "{{ hostvars[groups['testhosts'][0]].overload_summary.stages[0].counts }}"
            passed: false
            reports: {json: "{{ report_dir }}/report.json", junit: "{{ report_dir }}/junit.xml", html: "{{ report_dir }}/report.html"}
            compared_to: null
        per_host: false
        aggregate: false
    - name: Fail when asked (the stress playbook fails when a stage failed)
      ansible.builtin.fail:
        msg: a stage failed
      when: standin_fail | default(false) | bool
"""


@pytest.fixture
def project(tmp_path):
    coll = tmp_path / 'collections' / 'ansible_collections' / 'kdebugtest' / 'standin'
    tasks = coll / 'roles' / 'overload' / 'tasks'
    tasks.mkdir(parents=True)
    (tasks / 'main.yml').write_text(ROLE_TASKS)
    (coll / 'galaxy.yml').write_text('namespace: kdebugtest\nname: standin\nversion: 1.0.0\nauthors: [test]\nreadme: README.md\n')
    (tmp_path / 'playbook.yml').write_text(PLAYBOOK)
    (tmp_path / 'inventory.yml').write_text(
        'all:\n  children:\n    testhosts:\n      hosts:\n        standin1:\n          ansible_connection: local\n'
        '          ansible_python_interpreter: "%s"\n' % sys.executable)
    reports = tmp_path / 'reports'
    reports.mkdir()
    for name in ('report.json', 'junit.xml', 'report.html'):
        (reports / name).write_text('x')
    return tmp_path


def _run(project, **extravars):
    out = io.StringIO()
    extravars = dict({'standin_log': LOG, 'report_dir': str(project / 'reports')}, **extravars)
    summary = stress_runner.run_playbook(
        str(project / 'inventory.yml'), playbook=str(project / 'playbook.yml'), extravars=extravars,
        private_data_dir=str(project / 'runner'),
        envvars={'ANSIBLE_COLLECTIONS_PATH': os.pathsep.join([str(project / 'collections'), os.environ['ANSIBLE_COLLECTIONS_PATH']])},
        out=out)
    return summary, out.getvalue()


def test_run_summary_has_status_stats_artifacts_and_findings(project):
    summary, output = _run(project)
    assert summary['status'] == 'successful' and summary['rc'] == 0, output
    # The run's output was streamed as it came: the tasks' lines and the recap.
    assert 'TASK [kdebugtest.standin.overload : Read the captured kernel log' in output
    assert 'PLAY RECAP' in output
    assert output.startswith('==> ansible-runner: ')
    assert '<== ansible-runner: status successful rc 0' in output
    assert summary['stats']['ok']['standin1'] >= 3
    assert set(summary['stats']['processed']) == {'standin1', 'localhost'}

    report = summary['artifact_data']['kdebug_kernel_report']
    assert report['run_id'] == 'standin-1' and report['hosts'] == ['standin1'] and report['passed'] is False

    # The findings of the real kernel_log module on the lab capture: in its registered result
    # and in the set_fact that keeps them; none from the task outside the role.
    by_path = {f['path']: f for f in summary['findings']}
    assert set(by_path) == {'ansible_facts.kernel_log.findings', 'ansible_facts.__standin_run.findings'}, by_path
    log = by_path['ansible_facts.kernel_log.findings']
    assert log['host'] == 'standin1' and log['role'] == 'overload'
    assert log['resolved_role'] == 'kdebugtest.standin.overload'
    assert log['action'] == 'kdebug.kernel.kernel_log'
    assert any(f['type'] == 'hung_task' for f in log['findings']), log['titles']
    assert 'INFO: task hung' in log['titles'], log['titles']
    assert by_path['ansible_facts.__standin_run.findings']['findings'] == log['findings']
    assert summary['findings_count'] == 2 * log['count']
    assert [s['host'] for s in summary['overload_summaries']] == ['standin1']

    # The summary file is the same summary, as JSON.
    with open(summary['summary_path'], encoding='utf-8') as fobj:
        written = json.load(fobj)
    assert written['artifact_data'] == summary['artifact_data']
    assert written['findings_count'] == summary['findings_count']

    assert stress_runner.check_run(summary, hosts=['standin1']) == []


def test_output_is_plain_text_when_the_caller_forces_colour(project, monkeypatch):
    # Molecule sets ANSIBLE_FORCE_COLOR=1 for the playbooks it runs; the child run's output
    # (kept as a log and searched for the recap) must still be plain text.
    monkeypatch.setenv('ANSIBLE_FORCE_COLOR', '1')
    summary, output = _run(project)
    assert summary['status'] == 'successful', output
    assert '\x1b[' not in output
    assert re.search(r'standin1\s*:\s*ok=\d+\s+changed=\d+\s', output), output


def test_check_run_names_each_problem(project):
    summary, dummy = _run(project)
    problems = stress_runner.check_run(summary, expect_status='failed', expect_rc=2, hosts=['standin1', 'nohost'])
    assert "status 'successful', expected 'failed'" in problems
    assert 'rc 0, expected 2' in problems
    assert any(p.startswith('host nohost not in the run') for p in problems)
    assert any(p.startswith('host nohost not in kdebug_kernel_report.hosts') for p in problems)

    broken = json.loads(json.dumps(summary))
    del broken['artifact_data']['kdebug_kernel_report']['compared_to']
    broken['artifact_data']['kdebug_kernel_report']['reports'].pop('junit')
    broken['findings'] = []
    problems = stress_runner.check_run(broken)
    assert 'kdebug_kernel_report lacks compared_to' in problems
    assert 'kdebug_kernel_report.reports has no junit' in problems
    assert any(p.startswith('no findings in the job events') for p in problems)

    os.unlink(project / 'reports' / 'junit.xml')
    assert any('junit' in p and 'does not exist' in p for p in stress_runner.check_run(summary))

    broken['artifact_data'] = {}
    assert stress_runner.check_run(broken, require_findings=False) == ['kdebug_kernel_report not in the artifacts (set_stats): []']


def test_failed_run_keeps_its_artifacts_and_findings(project):
    """stress.yml fails after every host finished when a stage failed: the summary still has
    the set_stats data and the findings, and check_run accepts it when told to expect that."""
    summary, output = _run(project, standin_fail='true')
    assert summary['status'] == 'failed' and summary['rc'] == 2, output
    assert summary['stats']['failures'] == {'localhost': 1}
    assert 'kdebug_kernel_report' in summary['artifact_data']
    assert summary['findings']
    assert stress_runner.check_run(summary, expect_status='failed', expect_rc=2, hosts=['standin1']) == []


def test_cli_checks_and_exits_by_the_result(project, capsys):
    common = ['-i', str(project / 'inventory.yml'), '--playbook', str(project / 'playbook.yml'),
              '-e', 'standin_log=%s' % LOG, '-e', json.dumps({'report_dir': str(project / 'reports')})]
    env = os.environ['ANSIBLE_COLLECTIONS_PATH']
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join([str(project / 'collections'), env])
    try:
        rc = stress_runner.main(common + ['--private-data-dir', str(project / 'r1'), '--check', '--host', 'standin1'])
        assert rc == 0
        assert 'check: passed' in capsys.readouterr().out
        rc = stress_runner.main(common + ['--private-data-dir', str(project / 'r2'), '--check', '--expect-rc', '2'])
        assert rc == 1
        captured = capsys.readouterr().out
        assert 'check: rc 0, expected 2' in captured and 'check: 1 problem(s)' in captured
    finally:
        os.environ['ANSIBLE_COLLECTIONS_PATH'] = env


def test_missing_playbook_or_inventory_is_refused(project):
    with pytest.raises(FileNotFoundError, match='playbook not found'):
        stress_runner.run_playbook(str(project / 'inventory.yml'), playbook=str(project / 'nope.yml'))
    with pytest.raises(FileNotFoundError, match='inventory not found'):
        stress_runner.run_playbook(str(project / 'nope.yml'), playbook=str(project / 'playbook.yml'))
