# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports of a REAL stress run (issue 9's proof), not of fixtures.

    KDEBUG_RUN_DIR=<overload_report_dir>/<run id> .venv/bin/python -m pytest tests/lab/test_run_reports.py

KDEBUG_RUN_DIR is a run directory as the overload role writes it: one subdirectory per host
(00-baseline.json, NN-<stage>.json, NN-<stage>.console.log, summary.json) and, after
playbooks/stress.yml, report/ with <run id>-report.json, <run id>-junit.xml and
<run id>-report.html. Without report/ the reports are built here with the run_report action's
own writers (plugins/action/run_report.py FORMATS) into a temporary directory, and a warning
says so. A missing KDEBUG_RUN_DIR, or one that is not a directory, fails every test.

Checks:
1. the JSON validates against roles/report/files/run-report.schema.json, the JUnit XML against
   roles/report/files/junit.xsd; the HTML fetches nothing (no tag or style that loads a URL; its
   links are anchors on the page or the run's console logs, which exist);
2. the three agree: the same hosts; per host the same stages in the same order with the same
   status (JSON stage status, the JUnit testcase's failure/error/skipped element as
   report_junit.JUNIT_RESULTS says, the HTML stage bars and stage rows); the same findings
   (host, stage, type, title, count) in the JSON, the JUnit failure texts (or system-out for
   stages whose status allows findings) and the HTML findings table; the JSON's counts per type
   are the sums of the saved stage records' counts;
3. every stage with a saved record is in every report with the record's status and findings;
   when a stage is unresponsive (the host was reset), the stages before it and after it are
   still reported with their own status and findings (KDEBUG_EXPECT_RESET=1: the run must have
   such a stage; otherwise a run without one skips that test and says why);
4. in headless chromium (Debian's chromium and chromedriver through selenium, offline): no
   console error or warning, nothing fetched, one laid-out bar per recorded stage per host with
   its status, a laid-out marker per finding, every finding title visible in the findings
   table and its occurrences (host, stage) visible once its details are opened, the kmemleak
   call sites listed; a screenshot of the whole page in build/report-screenshot-lab.png
   (KDEBUG_REPORT_SCREENSHOT: another path).
"""

from __future__ import annotations

import collections
import html.parser
import json
import os
import re
import warnings
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import xmlschema
from selenium.webdriver.common.by import By

from ansible_collections.kdebug.kernel.plugins.action import run_report
from ansible_collections.kdebug.kernel.plugins.filter.overload import STATUSES
from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_model as model
from ansible_collections.kdebug.kernel.plugins.plugin_utils.report_junit import JUNIT_RESULTS
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_browser_util as browser_util

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, 'roles', 'report', 'files', 'run-report.schema.json')
XSD = os.path.join(ROOT, 'roles', 'report', 'files', 'junit.xsd')
SCREENSHOT = 'report-screenshot-lab.png'
REPORT_FILES = {'json': '-report.json', 'junit': '-junit.xml', 'html': '-report.html'}
STAGE_RECORD_RE = re.compile(r'^(?P<index>\d{2,})-(?P<name>.+)\.json$')
# the head line of a finding in a JUnit failure/error text: "[type] title (xN)" then a mark or the times
JUNIT_FINDING_RE = re.compile(r'^\[(?P<type>[a-z][a-z0-9_]*)\] (?P<title>.+?) \(x(?P<count>\d+)\)'
                              r'(?=$| \[new since run | \[also in run |, first seen |, last seen )')
# the same in system-out, for stages whose status allows findings
JUNIT_ALLOWED_HEADER = "findings (the stage's expect rules allow them):"
JUNIT_ALLOWED_RE = re.compile(r'^  \[(?P<type>[a-z][a-z0-9_]*)\] (?P<title>.+) \(x(?P<count>\d+)\)$')
VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'}
FETCHING_TAGS = {'link', 'img', 'iframe', 'object', 'embed', 'source', 'video', 'audio', 'image', 'use', 'frame'}


# ---------------------------------------------------------------------------------------------
# the run and its reports
def run_dir_problem():
    """Why KDEBUG_RUN_DIR does not name a run directory, or None."""
    value = os.environ.get('KDEBUG_RUN_DIR')
    if not value:
        return ('KDEBUG_RUN_DIR is not set: give the directory of a real run, <overload_report_dir>/<run id> '
                '(KDEBUG_RUN_DIR=... python -m pytest tests/lab/test_run_reports.py)')
    if not os.path.isdir(value):
        return 'KDEBUG_RUN_DIR=%s is not a directory (give <overload_report_dir>/<run id>)' % value
    return None


def test_kdebug_run_dir_names_a_run_directory():
    assert run_dir_problem() is None, run_dir_problem()


@pytest.fixture(scope='module')
def run_dir():
    problem = run_dir_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    return os.path.abspath(os.environ['KDEBUG_RUN_DIR'])


def host_names(run_dir):
    """The host directories of the run as the overload role writes them (not report/)."""
    return sorted(n for n in os.listdir(run_dir)
                  if n != 'report' and os.path.isdir(os.path.join(run_dir, n))
                  and any(STAGE_RECORD_RE.match(f) or f == 'summary.json' for f in os.listdir(os.path.join(run_dir, n))))


@pytest.fixture(scope='module')
def records(run_dir):
    """{host: [(index, stage name, file, record or None when unreadable)]} in NN order."""
    out = {}
    for host in host_names(run_dir):
        rows = []
        for f in sorted(os.listdir(os.path.join(run_dir, host))):
            m = STAGE_RECORD_RE.match(f)
            if not m or f.startswith('00-'):
                continue
            try:
                with open(os.path.join(run_dir, host, f), encoding='utf-8') as handle:
                    record = json.load(handle)
            except (OSError, ValueError):
                record = None
            rows.append((int(m.group('index')), m.group('name'), '%s/%s' % (host, f), record))
        out[host] = rows
    assert out, 'KDEBUG_RUN_DIR=%s holds no host directory with saved stage records' % run_dir
    return out


def build_reports(run_dir, out_dir):
    """The three reports written as the run_report action writes them, with its defaults."""
    args = {k: v.get('default') for k, v in run_report.ARGUMENT_SPEC.items()}
    report = model.build_report(run_dir, exclude=os.path.join(run_dir, 'report'))
    paths = {f: os.path.join(out_dir, report['run_id'] + run_report.FORMATS[f][0]) for f in run_report.FORMATS}
    others = [paths[f] for f in run_report.FORMATS if f != 'html']
    for f, (dummy, write) in run_report.FORMATS.items():
        with open(paths[f], 'wb') as handle:
            handle.write(write(report, args, out_dir, others))
    return paths


@pytest.fixture(scope='module')
def paths(run_dir, tmp_path_factory):
    """{format: path} of the run's reports: <run dir>/report/, or built here when it is missing."""
    report_dir = os.path.join(run_dir, 'report')
    if not os.path.isdir(report_dir):
        out = str(tmp_path_factory.mktemp('reports'))
        warnings.warn(UserWarning('%s has no report/ directory (stress.yml did not get to its report play): the reports '
                                  'were built by this test with the run_report action\'s writers into %s' % (run_dir, out)), stacklevel=2)
        return build_reports(run_dir, out)
    found = {}
    for f, suffix in REPORT_FILES.items():
        names = sorted(n for n in os.listdir(report_dir) if n.endswith(suffix))
        assert len(names) == 1, 'report/ of %s holds %d files *%s (want one): %s' % (run_dir, len(names), suffix, names)
        found[f] = os.path.join(report_dir, names[0])
    return found


@pytest.fixture(scope='module')
def doc(paths):
    with open(paths['json'], encoding='utf-8') as handle:
        return json.load(handle)


@pytest.fixture(scope='module')
def junit(paths):
    return ET.parse(paths['junit']).getroot()


@pytest.fixture(scope='module')
def page(paths):
    with open(paths['html'], encoding='utf-8') as handle:
        text = handle.read()
    return text, Dom(text)


# ---------------------------------------------------------------------------------------------
# reading the HTML (a small tree from html.parser: the page is generated, every element closed)
class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def classes(self):
        return (self.attrs.get('class') or '').split()

    def iter(self, tag=None, cls=None):
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes()):
                    yield child
                yield from child.iter(tag, cls)

    def text(self):
        return ''.join(c if isinstance(c, str) else c.text() for c in self.children)


class Dom(html.parser.HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node('#document', {}, None)
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or '' for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or '' for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)

    def iter(self, tag=None, cls=None):
        return self.root.iter(tag, cls)


def html_hosts(dom):
    """{host: {'bars': [(stage, status)], 'rows': [(stage, status)], 'markers': [title]}} from the timelines."""
    hosts = {}
    for fig in dom.iter('figure', 'timeline'):
        hosts[fig.attrs['data-host']] = {
            'bars': [(r.attrs['data-stage'], r.attrs['data-status']) for r in fig.iter('rect', 'stage-bar')],
            'rows': [(tr.attrs['data-stage'], next(tr.iter('span', 'badge')).text()) for tr in fig.iter('tr', 'stage-row')],
            'markers': [g.attrs['data-title'] for g in fig.iter('g', 'finding-marker')]}
    return hosts


def html_findings(dom):
    """[(host, stage, type, title, count)] from the findings table (a group per title, a row per occurrence)."""
    out = []
    for group in dom.iter('tbody', 'finding-group'):
        row = next(group.iter('tr', 'finding-row'))
        title = row.attrs['data-title']
        ftype = next(row.iter('span', 'type')).text()
        assert row.children[0].text() == title, 'the first cell of the findings row %r says %r' % (title, row.children[0].text())
        occurrences = []
        for tr in next(group.iter('table', 'occurrences')).iter('tr'):
            cells = [td.text() for td in tr.iter('td')]
            if cells:
                occurrences.append((cells[0], cells[1], ftype, title, int(cells[2])))
        total = int([td for td in row.iter('td') if 'num' in td.classes()][1].text())
        assert total == sum(o[4] for o in occurrences), 'the count of %r (%d) is not the sum over its occurrences %r' % (
            title, total, occurrences)
        out.extend(occurrences)
    return out


# ---------------------------------------------------------------------------------------------
# reading the JUnit XML
def junit_stages(root):
    """{host: [(stage, element or None, message, [(type, title, count)])]} in document order."""
    out = {}
    for suite in root.iter('testsuite'):
        cases = []
        for case in suite.findall('testcase'):
            assert case.get('classname') == suite.get('name'), (case.get('classname'), suite.get('name'))
            results = [c for c in case if c.tag in ('failure', 'error', 'skipped')]
            assert len(results) <= 1, 'testcase %s/%s has %d result elements' % (suite.get('name'), case.get('name'), len(results))
            element = results[0].tag if results else None
            found = []
            if element in ('failure', 'error'):
                for line in (results[0].text or '').splitlines():
                    m = JUNIT_FINDING_RE.match(line)
                    if m:
                        found.append((m.group('type'), m.group('title'), int(m.group('count'))))
            else:
                lines = (case.findtext('system-out') or '').splitlines()
                if JUNIT_ALLOWED_HEADER in lines:
                    for line in lines[lines.index(JUNIT_ALLOWED_HEADER) + 1:]:
                        m = JUNIT_ALLOWED_RE.match(line)
                        if not m:
                            break
                        found.append((m.group('type'), m.group('title'), int(m.group('count'))))
            cases.append((case.get('name'), element, results[0].get('message') if results else None, found))
        out[suite.get('name')] = cases
    return out


# ---------------------------------------------------------------------------------------------
# 1. the files: valid, self-contained
def test_the_json_report_validates_against_the_schema(doc):
    with open(SCHEMA, encoding='utf-8') as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = ['%s: %s' % ('/'.join(str(p) for p in e.absolute_path), e.message) for e in validator.iter_errors(doc)]
    assert errors == []
    assert doc['format'] == model.FORMAT and doc['schema_version'] == model.SCHEMA_VERSION


def test_the_junit_report_validates_against_the_xsd(paths, junit):
    xmlschema.XMLSchema(XSD).validate(paths['junit'])
    assert os.path.getsize(paths['junit']) < 30 * 1000 * 1000  # GitLab reads at most 30 MB per file


def test_the_html_report_fetches_nothing(run_dir, paths, page):
    text, dom = page
    assert text.startswith('<!DOCTYPE html>') and '<meta charset="utf-8">' in text
    fetching = [(n.tag, n.attrs) for n in dom.iter() if n.tag in FETCHING_TAGS or 'src' in n.attrs or 'srcset' in n.attrs]
    assert fetching == []
    assert '@import' not in text
    assert set(re.findall(r'url\(\s*([^)]*)\)', text)) <= {'#hatch-%s' % h for h in host_names(run_dir)}
    assert set(re.findall(r'https?://[^\s"\'<>)]+', text)) <= {'http://www.w3.org/2000/svg'}  # a namespace, not a fetch
    ids = {n.attrs['id'] for n in dom.iter() if 'id' in n.attrs}
    here = os.path.dirname(paths['html'])
    for a in dom.iter('a'):
        href = a.attrs.get('href', '')
        if href.startswith('#'):
            assert href[1:] in ids, 'link %s goes nowhere on the page' % href
        else:
            assert ':' not in href.split('/')[0], 'link %s leaves the page' % href
            assert os.path.isfile(os.path.join(here, href)), 'link %s (a console log) does not resolve from %s' % (href, here)


# ---------------------------------------------------------------------------------------------
# 2. the reports agree with each other and with the saved records
def test_the_reports_have_the_same_hosts(run_dir, doc, junit, page):
    hosts = host_names(run_dir)
    assert [h['name'] for h in doc['hosts']] == hosts
    assert [s.get('name') for s in junit.iter('testsuite')] == hosts
    dummy, dom = page
    assert list(html_hosts(dom)) == hosts
    assert [tr.attrs['data-host'] for tr in dom.iter('tr', 'host-row')] == hosts
    assert [next(tr.iter('span', 'badge')).text() for tr in dom.iter('tr', 'host-row')] == [h['status'] for h in doc['hosts']]


def test_every_host_has_the_same_stages_in_the_same_order_and_status(doc, junit, page):
    dummy, dom = page
    in_html, in_junit = html_hosts(dom), junit_stages(junit)
    for host in doc['hosts']:
        name = host['name']
        stages = [(s['name'], s['status']) for s in host['stages']]
        assert stages, 'host %s has no stage in the JSON report' % name
        assert [(c[0], c[1]) for c in in_junit[name]] == [(n, JUNIT_RESULTS[st]) for n, st in stages], name
        assert in_html[name]['rows'] == stages, name
        # a bar for every stage that has a time (every recorded stage has one)
        assert in_html[name]['bars'] == [(s['name'], s['status']) for s in host['stages'] if s['window']], name
        assert [s['name'] for s in host['stages'] if s['recorded'] and not s['window']] == [], \
            'recorded stages of %s without a time on the timeline' % name
        suite = next(s for s in junit.iter('testsuite') if s.get('name') == name)
        elements = [c[1] for c in in_junit[name]]
        assert (suite.get('tests'), suite.get('failures'), suite.get('errors'), suite.get('skipped')) == (
            str(len(stages)), str(elements.count('failure')), str(elements.count('error')), str(elements.count('skipped')))
        for s, case in zip(host['stages'], in_junit[name], strict=True):
            if case[1] in ('failure', 'error'):
                want = s['worst_finding']['title'] if s['worst_finding'] else ('; '.join(s['reasons']) or s['status'])
                assert case[2] == model.clean_text(want)[:1000], (name, s['name'])


def json_findings(doc):
    return sorted((h['name'], s['name'], f['type'], f['title'], f['count']) for h in doc['hosts'] for s in h['stages'] for f in s['findings'])


def test_the_findings_are_the_same_in_the_three_reports(doc, junit, page):
    dummy, dom = page
    in_json = json_findings(doc)
    in_junit = sorted((host, case[0], *f) for host, cases in junit_stages(junit).items() for case in cases for f in case[3])
    in_html = sorted(html_findings(dom))
    assert in_junit == in_json
    assert in_html == in_json
    # per host: the same titles with the same counts
    for host in doc['hosts']:
        titles = collections.Counter()
        for s in host['stages']:
            for f in s['findings']:
                titles[f['title']] += f['count']
        assert titles == _sum_by_title(in_html, host['name']) == _sum_by_title(in_junit, host['name']), host['name']
        # a marker on the timeline for every finding the page can place in time
        placeable = [f['title'] for s in host['stages'] for f in s['findings']
                     if isinstance(f.get('first_seen_time'), (int, float)) or s['window']]
        assert sorted(html_hosts(dom)[host['name']]['markers']) == sorted(placeable), host['name']
    # kmemleak call sites (the final scan in summary.json) in the kmemleak table
    leaks = sorted((h['name'], f.get('title') or '') for h in doc['hosts'] for f in ((h['kmemleak'] or {}).get('findings') or []))
    rows = sorted((tr.children[0].text(), tr.children[1].text()) for tr in dom.iter('tr', 'leak-row'))
    assert rows == leaks


def _sum_by_title(rows, host):
    out = collections.Counter()
    for h, dummy_s, dummy_t, title, count in rows:
        if h == host:
            out[title] += count
    return out


def test_the_counts_are_the_sums_over_the_saved_records(doc, records):
    total = collections.Counter()
    for host in doc['hosts']:
        per_host = collections.Counter()
        by_file = {s['file']: s for s in host['stages'] if s['file']}
        for dummy_i, dummy_name, path, record in records[host['name']]:
            if record is None:
                continue
            counts = record.get('counts')
            if counts is None:  # a record written before the role saved counts: its findings
                counts = collections.Counter()
                for f in record.get('findings') or []:
                    counts[f.get('type') or 'warning'] += int(f.get('count') or 1)
            assert by_file[path]['counts'] == dict(counts), path
            per_host.update(counts)
        assert host['counts'] == dict(per_host), host['name']
        total.update(per_host)
    assert doc['counts'] == dict(total)
    assert doc['totals']['findings'] == len(json_findings(doc))
    assert doc['totals']['stages'] == sum(len(h['stages']) for h in doc['hosts'])


# ---------------------------------------------------------------------------------------------
# 3. every saved stage is reported with its own status and findings, a reset host's too
def expected_stage(record):
    """(status, sorted findings) the reports must show for a saved record."""
    if record is None:
        return 'error', []
    status = record.get('status') if record.get('status') in STATUSES else 'error'
    findings = sorted((f.get('type') or 'warning', f.get('title') or f.get('type') or 'warning', int(f.get('count') or 1))
                      for f in record.get('findings') or [] if isinstance(f, dict))
    return status, findings


def reported(doc, junit, page):
    """{host: {stage: {'json': (status, findings), 'junit': (element, findings), 'html': (bar status, row status, findings)}}}."""
    dummy, dom = page
    in_html, in_junit, html_f = html_hosts(dom), junit_stages(junit), html_findings(dom)
    out = {}
    for host in doc['hosts']:
        name = host['name']
        stages = {}
        bars = dict(in_html[name]['bars'])
        rows = dict(in_html[name]['rows'])
        cases = {c[0]: c for c in in_junit[name]}
        for s in host['stages']:
            stages[s['name']] = {
                'file': s['file'],
                'json': (s['status'], sorted((f['type'], f['title'], f['count']) for f in s['findings'])),
                'junit': (cases[s['name']][1], sorted(cases[s['name']][3])) if s['name'] in cases else None,
                'html': (bars.get(s['name']), rows.get(s['name']),
                         sorted((t, title, c) for h, st, t, title, c in html_f if h == name and st == s['name'])),
                'window': s['window']}
        out[name] = stages
    return out


def check_stage(got, path, record):
    status, findings = expected_stage(record)
    assert got['json'] == (status, findings), '%s in the JSON report' % path
    assert got['junit'] == (JUNIT_RESULTS[status], findings), '%s in the JUnit report' % path
    assert got['html'] == (status, status, findings), '%s in the HTML report (bar status, row status, findings)' % path


def test_every_saved_stage_is_in_every_report_with_its_own_status_and_findings(doc, junit, page, records):
    got = reported(doc, junit, page)
    for host, rows in records.items():
        by_file = {v['file']: v for v in got[host].values()}
        order = [v['file'] for v in got[host].values() if v['file'] in {r[2] for r in rows}]
        assert order == [r[2] for r in rows], 'the stages of %s are not in the order of their records' % host
        for dummy_i, dummy_name, path, record in rows:
            assert path in by_file, '%s is in no report' % path
            check_stage(by_file[path], path, record)


def test_a_host_reset_half_way_still_reports_the_stages_before_and_after(doc, junit, page, records):
    resets = [(host, i) for host, rows in records.items() for i, r in enumerate(rows)
              if r[3] is not None and (r[3].get('status') == 'unresponsive' or r[3].get('recovered'))]
    if not resets:
        assert os.environ.get('KDEBUG_EXPECT_RESET') != '1', 'KDEBUG_EXPECT_RESET=1 but no stage of this run is unresponsive or recovered'
        pytest.skip('no host of this run was reset (no stage record is unresponsive or recovered): nothing to check here')
    got = reported(doc, junit, page)
    for host, i in resets:
        rows = records[host]
        by_file = {v['file']: v for v in got[host].values()}
        path, record = rows[i][2], rows[i][3]
        check_stage(by_file[path], path, record)
        assert by_file[path]['window'], '%s (the reset) has no time on the timeline' % path
        assert i > 0, '%s: the reset was in the first stage, no stage before it to check' % path
        for dummy_j, dummy_name, other, other_record in rows[:i] + rows[i + 1:]:
            check_stage(by_file[other], other, other_record)
        for dummy_j, dummy_name, before, before_record in rows[:i]:
            result = (before_record or {}).get('result') or {}
            if isinstance(result.get('start'), (int, float)) and isinstance(result.get('end'), (int, float)):
                assert by_file[before]['window'] == {'start': result['start'], 'end': result['end'], 'estimated': False}, before


# ---------------------------------------------------------------------------------------------
# 4. the page in headless chromium
@pytest.fixture(scope='module')
def browser():
    with browser_util.chromium() as driver:
        yield driver


def test_the_page_in_headless_chromium_shows_every_stage_and_finding(browser, doc, paths):
    logged = browser_util.open_page(browser, paths['html'])
    assert logged == [], 'console errors or warnings: %s' % logged
    assert browser_util.resources(browser) == []
    for host in doc['hosts']:
        boxes = browser_util.bar_boxes(browser, host['name'])
        assert [(b['stage'], b['status']) for b in boxes] == [(s['name'], s['status']) for s in host['stages'] if s['window']]
        assert len(boxes) == sum(1 for s in host['stages'] if s['recorded'])
        markers = browser.execute_script(
            "return Array.prototype.filter.call(document.querySelectorAll('figure.timeline[data-host=\"' + arguments[0] + '\"]"
            " .finding-marker path'), function (p) { var b = p.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length",
            host['name'])
        assert markers == sum(1 for s in host['stages'] for f in s['findings']
                              if isinstance(f.get('first_seen_time'), (int, float)) or s['window'])
    rows = {r.get_attribute('data-title'): r for r in browser.find_elements(By.CSS_SELECTOR, '#findings tr.finding-row')}
    titles = {f['title'] for h in doc['hosts'] for s in h['stages'] for f in s['findings']}
    assert set(rows) == titles
    for title, row in rows.items():
        assert row.is_displayed() and title in row.text, title
    leaks = browser.find_elements(By.CSS_SELECTOR, 'tr.leak-row')
    assert len(leaks) == sum(len((h['kmemleak'] or {}).get('findings') or []) for h in doc['hosts'])
    assert all(r.is_displayed() for r in leaks)
    browser_util.screenshot(browser, os.environ.get('KDEBUG_REPORT_SCREENSHOT') or SCREENSHOT)
    # the occurrences (host, stage) and an excerpt of every title, once its details are opened
    for group in browser.find_elements(By.CSS_SELECTOR, 'tbody.finding-group'):
        title = group.find_element(By.CSS_SELECTOR, 'tr.finding-row').get_attribute('data-title')
        occurrences = group.find_elements(By.CSS_SELECTOR, 'table.occurrences tbody tr')
        assert not any(o.is_displayed() for o in occurrences)
        group.find_element(By.CSS_SELECTOR, 'details > summary').click()
        seen = [tuple(td.text for td in o.find_elements(By.TAG_NAME, 'td')[:2]) for o in occurrences if o.is_displayed()]
        assert sorted(seen) == sorted((h['name'], s['name']) for h in doc['hosts'] for s in h['stages']
                                      for f in s['findings'] if f['title'] == title), title
        if any(f['title'] == title and f['excerpt'] for h in doc['hosts'] for s in h['stages'] for f in s['findings']):
            assert any(p.is_displayed() and p.text.strip() for p in group.find_elements(By.CSS_SELECTOR, 'pre.excerpt')), title
