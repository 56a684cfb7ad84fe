# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The JUnit XML of a run report (report_model.build_report), as Jenkins and GitLab read it.

One <testsuite> per host, one <testcase> per stage (classname = host, name = stage). A stage's
status becomes the element of JUNIT_RESULTS: <failure> (message = the worst finding's title, or
why the stage failed; the findings in its text), <error> for a problem of the test
infrastructure, <skipped>. The stage's console log goes to <system-out>. Logs are cut (head and
tail, with a note) so the file stays under max_bytes (GitLab reads at most 30 MB per file).
roles/report/files/junit.xsd is the schema the tests validate it against.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

from ansible_collections.kdebug.kernel.plugins.plugin_utils.report_model import clean_text, cut_middle, read_console

# stage status -> the JUnit element of the testcase (None: the testcase passed)
JUNIT_RESULTS = {
    'passed': None,
    'failed': 'failure',        # an expect rule broke (e.g. a lockdep report)
    'timeout': 'failure',       # the workload overran its timeout
    'unresponsive': 'failure',  # the host stopped answering: what the test is there to find
    'panic': 'failure',
    'error': 'error',           # the stage could not run (tool missing, bad parameters, unreadable record)
    'skipped': 'skipped',       # skipped by the plan, or not run (the host was lost, the run ended)
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_LOG_BYTES = 1024 * 1024
MIN_LOG_BYTES = 2048


def _t(value):
    return '%.3f' % value if isinstance(value, (int, float)) else '0'


def _iso(epoch):
    if not isinstance(epoch, (int, float)):
        return None
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')


def _compare_marks(report):
    marks = {}
    for state in ('new', 'still'):
        for entry in (report.get('comparison') or {}).get(state) or []:
            marks[(entry['host'], entry['title'])] = state
    return marks


def _finding_text(f, mark, limit):
    head = '[%s] %s (x%d)' % (f['type'], f['title'], f['count'])
    if mark:
        state, run_id = mark
        head += ' [new since run %s]' % run_id if state == 'new' else ' [also in run %s]' % run_id
    when = []
    if f.get('first_seen') is not None:
        when.append('first seen %.3f s after boot' % f['first_seen'])
    if f.get('last_seen') is not None and f.get('last_seen') != f.get('first_seen'):
        when.append('last seen %.3f s' % f['last_seen'])
    if when:
        head += ', ' + ', '.join(when)
    return head + '\n' + cut_middle(clean_text(f.get('excerpt') or ''), limit) + '\n'


def _result_text(report, host, stage, limit):
    lines = []
    for reason in stage['reasons']:
        lines.append(reason)
    for rule in stage.get('broken_rules') or []:
        lines.append('broken expect rule: %s' % rule)
    if lines:
        lines.append('')
    marks = _compare_marks(report)
    compared = (report.get('compared_to') or {}).get('run_id')
    for f in stage['findings']:
        state = marks.get((host['name'], f['title']))
        mark = (state, compared) if state and compared else None
        lines.append(_finding_text(f, mark, limit))
    return clean_text('\n'.join(lines))


def _system_out(report, host, stage, limit):
    parts = ['stage %s (%s) of host %s, run %s: %s' % (stage['name'], stage['type'], host['name'], report['run_id'], stage['status'])]
    if stage['window']:
        parts.append('from %s to %s UTC%s' % (
            _iso(stage['window']['start']), _iso(stage['window']['end']),
            ' (estimated from the neighbouring stages)' if stage['window']['estimated'] else ''))
    parts.extend(stage['reasons'])
    if stage['findings'] and JUNIT_RESULTS[stage['status']] != 'failure':
        parts.append('findings (the stage\'s expect rules allow them):')
        parts.extend('  [%s] %s (x%d)' % (f['type'], f['title'], f['count']) for f in stage['findings'])
    for dump in stage['sysrq']:
        parts.append('--- SysRq %s (%s) ---' % (dump['key'], dump['name']))
        if dump.get('reason'):
            parts.append('(%s)' % clean_text(dump['reason']))
        parts.append(cut_middle(clean_text('\n'.join(dump['output'])), limit // 4))
    log = read_console(report, stage, limit)
    if log:
        parts.append('--- console log %s ---' % stage['console_log']['file'])
        parts.append(log)
    return '\n'.join(parts)


def _testcase(report, host, stage, limit):
    case = ET.Element('testcase', {'name': stage['name'], 'classname': host['name'],
                                   'time': _t(stage['duration'] if stage['duration'] is not None else
                                              (stage['window']['end'] - stage['window']['start'] if stage['window'] else None))})
    element = JUNIT_RESULTS[stage['status']]
    if element == 'skipped':
        ET.SubElement(case, 'skipped', {'message': '; '.join(stage['reasons']) or 'skipped'})
    elif element:
        worst = stage['worst_finding']
        message = worst['title'] if worst else ('; '.join(stage['reasons']) or stage['status'])
        node = ET.SubElement(case, element, {'message': clean_text(message)[:1000], 'type': stage['status']})
        node.text = _result_text(report, host, stage, limit)
    out = ET.SubElement(case, 'system-out')
    out.text = _system_out(report, host, stage, limit)
    return case


def _properties(report, host):
    props = [('run_id', report['run_id']), ('kernel_release', host['kernel_release']), ('boot_id', host.get('boot_id')),
             ('cmdline', host['cmdline']), ('distribution', host['distribution']),
             ('environment_digest', (host['environment'] or {}).get('digest')),
             ('taint', host['taint']['final']), ('taint_letters', host['taint']['letters']), ('status', host['status'])]
    if host['missing']:
        props.append(('missing', ', '.join(host['missing'])))
    if report.get('compared_to'):
        props.append(('compared_to', report['compared_to']['run_id']))
        for state in ('new', 'gone', 'still'):
            for entry in report['comparison'][state]:
                if entry['host'] == host['name']:
                    props.append(('finding_%s' % state, entry['title']))
    node = ET.Element('properties')
    for name, value in props:
        if value is not None and value != '':
            ET.SubElement(node, 'property', {'name': name, 'value': clean_text(str(value))})
    return node


def _document(report, limit):
    root = ET.Element('testsuites', {'name': 'kdebug.kernel stress run %s' % report['run_id']})
    totals = {'tests': 0, 'failures': 0, 'errors': 0}
    total_time = 0.0
    for host in report['hosts']:
        cases = [_testcase(report, host, s, limit) for s in host['stages']]
        failures = sum(1 for s in host['stages'] if JUNIT_RESULTS[s['status']] == 'failure')
        errors = sum(1 for s in host['stages'] if JUNIT_RESULTS[s['status']] == 'error')
        skipped = sum(1 for s in host['stages'] if JUNIT_RESULTS[s['status']] == 'skipped')
        seconds = sum(float(c.get('time')) for c in cases)
        attrs = {'name': host['name'], 'tests': str(len(cases)), 'failures': str(failures), 'errors': str(errors),
                 'skipped': str(skipped), 'time': _t(seconds), 'hostname': host['name'], 'id': str(len(root))}
        starts = [s['window']['start'] for s in host['stages'] if s['window']]
        if starts:
            attrs['timestamp'] = _iso(min(starts))
        suite = ET.SubElement(root, 'testsuite', attrs)
        suite.append(_properties(report, host))
        suite.extend(cases)
        if host['notes'] or not cases:
            out = ET.SubElement(suite, 'system-out')
            out.text = clean_text('\n'.join(host['notes'] or ['no stage was planned or saved for this host']))
        totals['tests'] += len(cases)
        totals['failures'] += failures
        totals['errors'] += errors
        total_time += seconds
    root.set('tests', str(totals['tests']))
    root.set('failures', str(totals['failures']))
    root.set('errors', str(totals['errors']))
    root.set('time', _t(total_time))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='utf-8') + b'\n'


def render_junit(report, max_bytes=DEFAULT_MAX_BYTES, max_log_bytes=DEFAULT_MAX_LOG_BYTES):
    """The JUnit XML (bytes) of a report, at most max_bytes: the logs and excerpts of each
    testcase are cut to a share of it (at most max_log_bytes each)."""
    cases = max(1, sum(len(h['stages']) for h in report['hosts']))
    limit = max(MIN_LOG_BYTES, min(max_log_bytes, max_bytes // (2 * cases)))
    while True:
        data = _document(report, limit)
        if len(data) <= max_bytes or limit <= MIN_LOG_BYTES:
            return data
        limit = max(MIN_LOG_BYTES, limit // 2)
