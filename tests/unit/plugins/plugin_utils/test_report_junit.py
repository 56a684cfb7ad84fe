# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The JUnit XML of real lab runs: valid against roles/report/files/junit.xsd (the elements of
Jenkins' junit-10.xsd), one testsuite per host, one testcase per stage, the status -> element
table, the console log in system-out, and the size bound."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
import xmlschema

from ansible_collections.kdebug.kernel.plugins.filter.overload import STATUSES
from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_junit as junit
from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_model as model
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_runs as runs

ROOT = os.path.dirname(os.path.dirname(runs.UNIT))
XSD = xmlschema.XMLSchema(os.path.join(ROOT, 'roles', 'report', 'files', 'junit.xsd'))


def render(run, **kw):
    compare_to = kw.pop('compare_to', None)
    data = junit.render_junit(model.build_report(run, compare_to=compare_to), **kw)
    XSD.validate(data.decode('utf-8'))
    return data, ET.fromstring(data)


def case(root, name):
    return next(c for c in root.iter('testcase') if c.get('name') == name)


def test_every_status_has_a_junit_element():
    assert set(junit.JUNIT_RESULTS) == set(STATUSES)
    assert junit.JUNIT_RESULTS['error'] == 'error' and junit.JUNIT_RESULTS['skipped'] == 'skipped'
    assert all(junit.JUNIT_RESULTS[s] == 'failure' for s in ('failed', 'timeout', 'unresponsive', 'panic'))


def test_the_xsd_rejects_what_jenkins_would_not_read():
    bad = b'<testsuites><testsuite name="h"><testcase name="s"/></testsuite></testsuites>'  # no tests attribute
    assert not XSD.is_valid(bad.decode())
    bad = b'<testsuites><testsuite name="h" tests="1"><testcase name="s"><failure/><skipped/></testcase></testsuite></testsuites>'
    assert not XSD.is_valid(bad.decode())  # skipped must come first
    good = b'<testsuites><testsuite name="h" tests="1"><testcase name="s"><failure message="m">t</failure></testcase></testsuite></testsuites>'
    assert XSD.is_valid(good.decode())


def test_run_with_hung_tasks_and_a_timeout():
    data, root = render(runs.RUN1)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    (suite,) = root.findall('testsuite')
    assert suite.get('name') == 'kdebug-db' and suite.get('hostname') == 'kdebug-db'
    assert (suite.get('tests'), suite.get('failures'), suite.get('errors'), suite.get('skipped')) == ('6', '1', '0', '0')
    assert root.get('tests') == '6' and root.get('failures') == '1'
    cases = suite.findall('testcase')
    assert [(c.get('classname'), c.get('name')) for c in cases] == [
        ('kdebug-db', n) for n in ('dd-light-ext4', 'dd-light-xfs', 'oom', 'fsfreeze', 'link-flap', 'failslab')]
    props = {p.get('name'): p.get('value') for p in suite.find('properties')}
    assert props['kernel_release'] == '6.1.192+debug' and props['run_id'] == '20261202T003402Z'
    assert props['environment_digest'].startswith('sha256:c78e5054')
    assert props['missing'] == 'cmdline, distribution'
    # the timed out stage is a failure with the reason as its message
    flap = case(root, 'link-flap')
    (failure,) = flap.findall('failure')
    assert failure.get('type') == 'timeout'
    assert failure.get('message') == 'the workload ran past the stage timeout of 120s and was stopped'
    assert float(flap.get('time')) == pytest.approx(124.838)
    # fsfreeze passed (its rules expect hung tasks): no failure, the findings and SysRq in system-out
    freeze = case(root, 'fsfreeze')
    assert freeze.find('failure') is None and freeze.find('error') is None
    out = freeze.find('system-out').text
    assert '[hung_task] INFO: task hung in mnt_want_write (x4)' in out
    assert '--- SysRq d (show-all-locks) ---' in out and 'Showing all locks held in the system:' in out
    # the console log of the stage, as saved
    with open(os.path.join(runs.RUN1, runs.HOST, '04-fsfreeze.console.log'), encoding='utf-8') as handle:
        log = handle.read()
    assert '--- console log kdebug-db/04-fsfreeze.console.log ---\n' in out
    assert model.clean_text(log).replace('\r\n', '\n').rstrip() in out.replace('\r\n', '\n')


def test_a_failed_stage_has_the_worst_finding_as_message_and_the_findings_in_its_text(tmp_path):
    run = runs.make_large_run(tmp_path, hosts=3, findings=60, titles=60)
    data, root = render(run)
    report = model.build_report(run)
    stage = next(s for s in report['hosts'][2]['stages'] if s['name'] == 'fsfreeze')
    assert stage['status'] == 'failed'
    node = next(c for c in root.iter('testcase') if c.get('classname') == 'test-03.lab.example' and c.get('name') == 'fsfreeze')
    (failure,) = node.findall('failure')
    assert failure.get('message') == stage['worst_finding']['title']
    assert failure.get('type') == 'failed'
    for f in stage['findings']:
        assert '[%s] %s (x%d)' % (f['type'], f['title'], f['count']) in failure.text
    assert "broken expect rule: length(findings[?type=='lockdep']) == `0`" in failure.text
    # an infrastructure problem is an error, not a failure
    node = next(c for c in root.iter('testcase') if c.get('classname') == 'test-02.lab.example' and c.get('name') == 'oom')
    (error,) = node.findall('error')
    assert node.find('failure') is None
    assert error.get('message') == model.worst_finding(
        next(s for s in report['hosts'][1]['stages'] if s['name'] == 'oom')['findings'])['title']
    suite = next(s for s in root.findall('testsuite') if s.get('name') == 'test-02.lab.example')
    assert suite.get('errors') == '1'


def test_unresponsive_is_a_failure_and_not_run_stages_are_skipped(tmp_path):
    dummy, root = render(runs.RUN2)
    hang = case(root, 'hang')
    (failure,) = hang.findall('failure')
    assert failure.get('type') == 'unresponsive' and failure.get('message') == 'the host stopped answering during the stage'
    assert 'estimated from the neighbouring stages' in hang.find('system-out').text
    assert case(root, 'after').find('failure') is None
    # console output with ANSI colours and a reboot: valid XML, colours dropped
    out = hang.find('system-out').text
    assert 'Command line: root=PARTLABEL=root' in out and '\x1b' not in out

    run = runs.copy_run(runs.RUN1, tmp_path)
    for name in ('06-failslab.json', '06-failslab.console.log', 'summary.json'):
        os.unlink(os.path.join(run, runs.HOST, name))
    dummy, root = render(run)
    (skipped,) = case(root, 'failslab').findall('skipped')
    assert skipped.get('message') == model.NOT_RUN_REASON
    assert root.find('testsuite').get('skipped') == '1'


def test_the_comparison_is_in_the_properties_and_the_failure_text():
    dummy, root = render(runs.RUN1, compare_to=runs.RUN2)
    props = [(p.get('name'), p.get('value')) for p in root.find('testsuite').find('properties')]
    assert ('compared_to', '20261202T012532Z') in props
    assert ('finding_new', 'INFO: task hung in mnt_want_write') in props
    dummy, root = render(runs.RUN2, compare_to=runs.RUN1)
    props = [(p.get('name'), p.get('value')) for p in root.find('testsuite').find('properties')]
    assert ('finding_gone', 'INFO: task hung in mnt_want_write') in props


def test_long_logs_are_cut_so_the_file_stays_under_its_bound(tmp_path):
    # 20 hosts x 6 stages x 2 MiB of console log = 240 MiB of logs
    run = runs.make_large_run(tmp_path, hosts=20, findings=2000, titles=400, log_bytes=2 * 1024 * 1024)
    data, root = render(run, max_bytes=8 * 1024 * 1024)
    assert len(data) <= 8 * 1024 * 1024
    assert len(root.findall('testsuite')) == 20 and len(list(root.iter('testcase'))) == 120
    out = case(root, 'oom').find('system-out').text
    assert 'kdebug.kernel.report cut' in out and 'of 2097152 bytes' in out
    # the head and the tail of the log are kept, the note between them
    with open(os.path.join(run, 'test-01.lab.example', '03-oom.console.log'), 'rb') as handle:
        log = handle.read()
    # (an XML parser reads the serial console's CR LF as LF)
    head, tail = log[:100].decode().replace('\r\n', '\n'), log[-100:].decode().replace('\r\n', '\n')
    log_part = out[out.index('--- console log'):]
    assert head in log_part and log_part.index(head) < log_part.index('kdebug.kernel.report cut') < log_part.rindex(tail)
    assert log_part.endswith(tail)
    default = junit.render_junit(model.build_report(run))
    assert len(default) <= junit.DEFAULT_MAX_BYTES < 30 * 1000 * 1000
