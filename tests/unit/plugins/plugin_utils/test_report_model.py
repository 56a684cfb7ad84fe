# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report model of a run, read from the saved results of real lab runs, and the JSON
document against its schema (roles/report/files/run-report.schema.json)."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from ansible_collections.kdebug.kernel.plugins.filter.overload import STATUSES
from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import FINDING_TYPES
from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_model as model
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_runs as runs

ROOT = os.path.dirname(os.path.dirname(runs.UNIT))
SCHEMA_PATH = os.path.join(ROOT, 'roles', 'report', 'files', 'run-report.schema.json')
with open(SCHEMA_PATH, encoding='utf-8') as _f:
    SCHEMA = json.load(_f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def as_json(report):
    """What the JSON file holds (the action writes json.dumps of the report)."""
    return json.loads(json.dumps(report))


def errors(doc):
    return ['%s: %s' % ('/'.join(str(p) for p in e.absolute_path), e.message) for e in VALIDATOR.iter_errors(doc)]


def stage(report, name, host=runs.HOST):
    h = next(h for h in report['hosts'] if h['name'] == host)
    return next(s for s in h['stages'] if s['name'] == name)


def test_the_schema_is_valid_and_speaks_the_collection_s_vocabulary():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA['$defs']['status']['enum'] == list(STATUSES)
    assert SCHEMA['$defs']['finding_type']['enum'] == list(FINDING_TYPES)
    assert set(model.FINDING_SEVERITY) == set(FINDING_TYPES)
    major = model.SCHEMA_VERSION.split('.', maxsplit=1)[0]
    assert SCHEMA['properties']['schema_version']['pattern'] == '^%s\\.[0-9]+$' % major


def test_run_with_hung_tasks_sysrq_and_a_timeout():
    report = model.build_report(runs.RUN1)
    assert report['run_id'] == '20261202T003402Z'
    assert report['schema_version'] == model.SCHEMA_VERSION
    (host,) = report['hosts']
    assert host['name'] == 'kdebug-db' and host['complete'] and not host['lost']
    assert [(s['name'], s['status']) for s in host['stages']] == [
        ('dd-light-ext4', 'passed'), ('dd-light-xfs', 'passed'), ('oom', 'passed'), ('fsfreeze', 'passed'),
        ('link-flap', 'timeout'), ('failslab', 'passed')]
    assert host['kernel_release'] == '6.1.192+debug'
    assert host['taint'] == {'baseline': 0, 'final': 0, 'letters': ''}
    assert host['environment']['digest'] == 'sha256:c78e5054cf2ad5dc9f7ebd31878a7cb71c2b1b623bb3ef35d4e3f3cfc19f20af'
    # the overload role does not save these; the report says so instead of guessing
    assert host['cmdline'] is None and host['distribution'] is None
    assert {'cmdline', 'distribution'} <= set(host['missing'])
    assert host['kmemleak']['enabled'] is True and host['kmemleak']['records'] == 0 and host['kmemleak']['findings'] == []
    assert report['worst_status'] == 'timeout' and report['passed'] is False
    assert report['counts'] == {'hung_task': 4}
    assert report['totals'] == {'hosts': 1, 'stages': 6, 'findings': 1, 'statuses': {'passed': 5, 'timeout': 1}}

    freeze = stage(report, 'fsfreeze')
    (finding,) = freeze['findings']
    assert finding['title'] == 'INFO: task hung in mnt_want_write' and finding['type'] == 'hung_task' and finding['count'] == 4
    assert finding['excerpt'].startswith('INFO: task dd:1445 blocked for more than 10 seconds.')
    assert (finding['first_seen'], finding['last_seen']) == (1228.448912, 1238.696912)
    # printk time moved to the wall clock through the samples: inside the stage, 10 s apart
    window = freeze['window']
    assert window == {'start': 1796172578.576, 'end': 1796172628.621, 'estimated': False}
    assert window['start'] < finding['first_seen_time'] < finding['last_seen_time'] < window['end']
    assert finding['last_seen_time'] - finding['first_seen_time'] == pytest.approx(10.248, abs=0.01)
    assert freeze['worst_finding'] == {'title': 'INFO: task hung in mnt_want_write', 'type': 'hung_task'}
    assert [(d['key'], d['name']) for d in freeze['sysrq']] == [('d', 'show-all-locks'), ('w', 'show-blocked-tasks')]
    assert 'Showing all locks held in the system:' in freeze['sysrq'][0]['output']
    assert len(freeze['samples']) == 12 and freeze['samples'][0]['mem_available_kb'] == 1725188
    assert freeze['console_log'] == {'file': 'kdebug-db/04-fsfreeze.console.log', 'bytes': 8744}
    flap = stage(report, 'link-flap')
    assert flap['reasons'] == ['the workload ran past the stage timeout of 120s and was stopped']
    assert flap['findings'] == [] and flap['worst_finding'] is None


def test_run_whose_host_was_paused_and_reset_half_way():
    report = model.build_report(runs.RUN2)
    (host,) = report['hosts']
    dd, hang, after = host['stages']
    assert (dd['status'], hang['status'], after['status']) == ('passed', 'unresponsive', 'passed')
    assert hang['recovered'] is True and hang['recovery']['recovered'] is True
    assert hang['verdict'] == 'unresponsive' and hang['samples'] == [] and hang['start'] is None
    # no start/end of its own: between the stage before and the stage after, marked estimated
    assert hang['window'] == {'start': dd['end'], 'end': after['start'], 'estimated': True}
    assert any('estimated' in n for n in hang['notes'])
    # the stages before and after the reset are reported
    assert dd['window']['estimated'] is False and after['window']['estimated'] is False
    assert report['worst_status'] == 'unresponsive' and report['passed'] is False
    # the reset's boot printed its command line on the console: taken, and said where from
    assert host['cmdline'] == 'root=PARTLABEL=root rw console=ttyS0,115200n8 kmemleak=on sysrq_always_enabled'
    assert any(n.startswith('cmdline: read from the console of stage hang') for n in host['notes'])
    assert 'cmdline' not in host['missing']


@pytest.mark.parametrize('run, earlier', [(runs.RUN1, None), (runs.RUN2, None), (runs.RUN1, runs.RUN2), (runs.RUN2, runs.RUN1)])
def test_the_real_runs_validate_against_the_schema(run, earlier):
    doc = as_json(model.build_report(run, compare_to=earlier))
    assert errors(doc) == []


def test_the_schema_rejects_what_the_document_must_not_hold():
    doc = as_json(model.build_report(runs.RUN1))
    bad = json.loads(json.dumps(doc))
    bad['hosts'][0]['stages'][3]['status'] = 'fine'
    bad['hosts'][0]['stages'][3]['findings'][0]['type'] = 'scary'
    del bad['schema_version']
    bad['hosts'][0]['surprise'] = 1
    found = errors(bad)
    assert any(e.startswith('hosts/0/stages/3/status:') for e in found)
    assert any(e.startswith('hosts/0/stages/3/findings/0/type:') for e in found)
    assert any("'schema_version' is a required property" in e for e in found)
    assert any('surprise' in e for e in found)


def test_compare_tells_new_gone_and_still_present_by_host_and_title():
    now_vs_then = model.build_report(runs.RUN1, compare_to=runs.RUN2)
    assert now_vs_then['compared_to'] == {'run_id': '20261202T012532Z', 'run_dir': runs.RUN2}
    assert now_vs_then['comparison'] == {
        'new': [{'host': 'kdebug-db', 'title': 'INFO: task hung in mnt_want_write', 'type': 'hung_task', 'count': 4, 'previous_count': 0}],
        'gone': [], 'still': []}
    then_vs_now = model.build_report(runs.RUN2, compare_to=runs.RUN1)
    assert then_vs_now['comparison']['gone'] == [
        {'host': 'kdebug-db', 'title': 'INFO: task hung in mnt_want_write', 'type': 'hung_task', 'count': 0, 'previous_count': 4}]
    assert then_vs_now['comparison']['new'] == [] and then_vs_now['comparison']['still'] == []
    same = model.build_report(runs.RUN1, compare_to=runs.RUN1)
    assert [(e['title'], e['count'], e['previous_count']) for e in same['comparison']['still']] == [
        ('INFO: task hung in mnt_want_write', 4, 4)]
    assert model.build_report(runs.RUN1)['compared_to'] is None


def test_compare_counts_kmemleak_call_sites_as_findings(tmp_path):
    run = runs.make_large_run(tmp_path, hosts=5, findings=50, titles=20)
    report = model.build_report(run, compare_to=runs.RUN1)
    leaks = [e for e in report['comparison']['new'] if e['type'] == 'memory_leak']
    assert leaks and {e['host'] for e in leaks} == {'test-01.lab.example'}
    assert all(e['title'].startswith('memory leak') for e in leaks)


def test_a_run_that_died_half_way_reports_the_stages_it_saved(tmp_path):
    run = runs.copy_run(runs.RUN1, tmp_path)
    host_dir = os.path.join(run, runs.HOST)
    for name in ('05-link-flap.json', '05-link-flap.console.log', '06-failslab.json', '06-failslab.console.log', 'summary.json'):
        os.unlink(os.path.join(host_dir, name))
    report = model.build_report(run)
    (host,) = report['hosts']
    assert [(s['name'], s['status'], s['recorded']) for s in host['stages']] == [
        ('dd-light-ext4', 'passed', True), ('dd-light-xfs', 'passed', True), ('oom', 'passed', True), ('fsfreeze', 'passed', True),
        ('link-flap', 'skipped', False), ('failslab', 'skipped', False)]
    assert stage(report, 'failslab')['reasons'] == [model.NOT_RUN_REASON]
    assert stage(report, 'failslab')['window'] is None and stage(report, 'failslab')['file'] is None
    assert host['complete'] is False and host['kmemleak'] is None
    assert any('summary.json: missing' in n for n in host['notes'])
    # the worst of what ran is passed, but a run that did not finish has not passed
    assert report['worst_status'] == 'passed' and report['passed'] is False
    assert errors(as_json(report)) == []


def test_an_unreadable_stage_record_is_an_error_not_a_crash(tmp_path):
    run = runs.copy_run(runs.RUN1, tmp_path)
    path = os.path.join(run, runs.HOST, '03-oom.json')
    with open(path, 'r+', encoding='utf-8') as handle:
        handle.truncate(100)  # a file cut when the controller died while writing it
    report = model.build_report(run)
    oom = stage(report, 'oom')
    assert oom['status'] == 'error' and oom['recorded'] is False
    assert oom['reasons'][0].startswith('the stage record could not be read: 03-oom.json:')
    names = [s['name'] for s in report['hosts'][0]['stages']]
    assert names == ['dd-light-ext4', 'dd-light-xfs', 'oom', 'fsfreeze', 'link-flap', 'failslab']
    assert errors(as_json(report)) == []


def test_without_a_baseline_the_stages_come_from_their_files(tmp_path):
    run = runs.copy_run(runs.RUN2, tmp_path)
    os.unlink(os.path.join(run, runs.HOST, '00-baseline.json'))
    report = model.build_report(run)
    (host,) = report['hosts']
    assert [s['name'] for s in host['stages']] == ['dd', 'hang', 'after']
    assert host['kernel_release'] is None and 'baseline' in host['missing'] and 'environment' in host['missing']
    assert report['run_id'] == '20261202T012532Z'  # from summary.json
    assert errors(as_json(report)) == []


def test_bad_run_directories_are_refused_with_what_to_give(tmp_path):
    with pytest.raises(model.ReportError, match='does not exist'):
        model.build_report(str(tmp_path / 'nothing'))
    with pytest.raises(model.ReportError, match='is the directory of one host; give the run directory above it'):
        model.build_report(os.path.join(runs.RUN1, runs.HOST))
    (tmp_path / 'empty' / 'somedir').mkdir(parents=True)
    with pytest.raises(model.ReportError, match='holds no host results'):
        model.build_report(str(tmp_path / 'empty'))
    with pytest.raises(model.ReportError, match='no run directory given'):
        model.build_report('')


def test_the_worst_finding_follows_the_severity_table():
    findings = [{'type': 'warning', 'title': 'WARNING in x', 'first_seen': 1.0},
                {'type': 'hung_task', 'title': 'INFO: task hung in y', 'first_seen': 5.0},
                {'type': 'lockdep', 'title': 'possible circular locking dependency detected in z', 'first_seen': 9.0},
                {'type': 'lockdep', 'title': 'earlier lockdep', 'first_seen': 7.0}]
    assert model.worst_finding(findings) == {'title': 'earlier lockdep', 'type': 'lockdep'}
    assert model.worst_finding(findings[:2])['type'] == 'hung_task'
    assert model.worst_finding([]) is None


def test_text_lines_one_per_host_and_stage():
    lines = model.text_lines(model.build_report(runs.RUN1, compare_to=runs.RUN2))
    assert len(lines) == 7
    assert lines[3].split() == ['kdebug-db', 'fsfreeze', 'passed', 'hung_task=4', 'INFO:', 'task', 'hung', 'in', 'mnt_want_write']
    assert lines[4].startswith('kdebug-db                link-flap              timeout      the workload ran past')
    assert lines[6] == 'compared with run 20261202T012532Z: 1 new, 0 gone, 0 still present (by host and title)'


def test_the_set_stats_summary_has_exactly_the_agreed_fields():
    report = model.build_report(runs.RUN2, compare_to=runs.RUN1)
    paths = {'json': '/r/a.json', 'junit': '/r/a.xml', 'html': '/r/a.html'}
    assert model.summary(report, paths) == {
        'run_id': '20261202T012532Z', 'schema_version': model.SCHEMA_VERSION, 'hosts': 1, 'stages': 3,
        'worst_status': 'unresponsive', 'counts': {}, 'passed': False, 'reports': paths, 'compared_to': '20261202T003402Z'}


def test_console_text_is_cleaned_and_cut_with_a_note():
    assert model.clean_text('\x1b[0;32m  OK  \x1b[0m done\x00\x07') == '  OK   done\\x00\\x07'
    text = 'a' * 5000 + 'MIDDLE' + 'z' * 5000
    cut = model.cut_middle(text, 1000, '/x/log')
    assert len(cut.encode()) < 1100 and cut.startswith('a' * 300) and cut.endswith('z' * 300) and 'MIDDLE' not in cut
    assert 'kdebug.kernel.report cut' in cut and 'of 10006 bytes' in cut and '/x/log' in cut
    assert model.cut_middle('short', 1000) == 'short'


def test_a_sysrq_dump_keeps_why_it_says_less(tmp_path):
    """The sysrq module says why a dump holds less than asked (here the reason it gave in stage
    lockdep of the lab's stress proof run proof-20261202T030729Z, where show-all-locks printed
    only "INFO: lockdep is turned off."); the reports carry it beside the dump."""
    from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_html, report_junit
    run = runs.copy_run(runs.RUN1, tmp_path)
    path = os.path.join(run, runs.HOST, '04-fsfreeze.json')
    record = runs.load(path)
    why = ('lockdep has turned itself off ("INFO: lockdep is turned off."; it stops after its first report), so held locks '
           'are not listed until the next boot: look for the earlier lockdep report with kdebug.kernel.kernel_log')
    record['sysrq']['key_results'][0]['reason'] = why
    runs.save(path, record)
    report = model.build_report(run)
    dumps = report['hosts'][0]['stages'][3]['sysrq']
    assert [(d['key'], d['reason']) for d in dumps] == [('d', why), ('w', None)]
    assert list(VALIDATOR.iter_errors(as_json(report))) == []
    assert '--- SysRq d (show-all-locks) ---\n(%s)\n' % why in report_junit.render_junit(report).decode('utf-8')
    page = report_html.render_html(report)
    assert '<p class="muted sysrq-reason">%s</p>' % report_html.html.escape(why) in page
    assert page.count('sysrq-reason') == 1
