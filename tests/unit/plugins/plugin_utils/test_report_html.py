# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML page of a run, read as HTML (html.parser): self-contained, a bar per stage, the
findings of the real lab run, the comparison, and its size for 20 hosts and 2,000 findings.
test_report_browser.py opens the same pages in chromium."""

from __future__ import annotations

import html.parser
import re

from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_html as page
from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_model as model
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_runs as runs


class Elements(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self, text):
        super().__init__()
        self.tags = []
        self.text = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def having(self, tag=None, **attrs):
        return [a for t, a in self.tags if (tag is None or t == tag)
                and all(a.get(k.replace('_', '-')) == v if v is not None else k.replace('_', '-') in a for k, v in attrs.items())]

    def classed(self, cls, tag=None):
        return [a for t, a in self.tags if (tag is None or t == tag) and cls in (a.get('class') or '').split()]


def render(run, compare_to=None, **kw):
    report = model.build_report(run, compare_to=compare_to)
    return report, page.render_html(report, **kw)


def test_the_page_fetches_nothing():
    dummy, text = render(runs.RUN1, compare_to=runs.RUN2)
    doc = Elements(text)
    assert not [a for t, a in doc.tags if t in ('link', 'img', 'iframe', 'object', 'embed', 'source')]
    assert not [a for t, a in doc.tags if 'src' in a]
    assert '@import' not in text and 'url(http' not in text
    # the only URL is the SVG namespace, which no browser fetches
    assert set(re.findall(r'https?://[^\s"\'<>)]+', text)) == {'http://www.w3.org/2000/svg'}
    assert text.startswith('<!DOCTYPE html>') and '<meta charset="utf-8">' in text
    assert len(doc.having('script')) == 1 and len(doc.having('style')) == 1


def test_run_with_hung_tasks_and_a_timeout():
    report, text = render(runs.RUN1)
    doc = Elements(text)
    bars = doc.classed('stage-bar', 'rect')
    assert [(b['data-stage'], b['data-status']) for b in bars] == [
        (s['name'], s['status']) for s in report['hosts'][0]['stages']]
    assert len(bars) == 6
    # a marker per finding, linked to its group in the findings table
    (marker,) = doc.classed('finding-marker')
    assert marker['data-title'] == 'INFO: task hung in mnt_want_write' and marker['data-type'] == 'hung_task'
    (row,) = doc.classed('finding-row')
    assert row['data-title'] == 'INFO: task hung in mnt_want_write'
    (group,) = doc.classed('finding-group')
    assert doc.having('a', href='#' + group['id'])
    # memory lines drawn from the samples of each stage
    assert len(doc.classed('mem-line')) == 6 and len(doc.classed('psi-line')) == 6
    words = ' '.join(doc.text)
    assert '2026-12-02 00:50:02' in words and '2026-12-02 00:50:12' in words  # first and last seen, wall clock
    assert 'the workload ran past the stage timeout of 120s and was stopped' in words
    assert 'SysRq d (show-all-locks), 10 lines' in words and 'Showing all locks held in the system:' in words
    assert 'INFO: task dd:1445 blocked for more than 10 seconds.' in words  # the excerpt
    assert 'Not in the saved results: cmdline, distribution.' in words
    (host_row,) = doc.classed('host-row')
    assert host_row['data-host'] == 'kdebug-db'


def test_estimated_stage_is_drawn_hatched_and_says_so():
    dummy, text = render(runs.RUN2)
    doc = Elements(text)
    bars = {b['data-stage']: b for b in doc.classed('stage-bar', 'rect')}
    assert list(bars) == ['dd', 'hang', 'after']
    assert bars['hang'].get('stroke-dasharray') == '4 2' and 'stroke-dasharray' not in bars['dd']
    assert doc.having('rect', fill='url(#hatch-kdebug-db)')
    assert 'time estimated' in text and '(estimated)' in ' '.join(doc.text)


def test_the_comparison_is_on_the_page():
    dummy, text = render(runs.RUN1, compare_to=runs.RUN2)
    doc = Elements(text)
    rows = doc.classed('compare-row')
    assert [r['data-state'] for r in rows] == ['new']
    assert 'Compared with run 20261202T012532Z' in ' '.join(doc.text)
    dummy, text = render(runs.RUN2, compare_to=runs.RUN1)
    assert [r['data-state'] for r in Elements(text).classed('compare-row')] == ['gone']


def test_links_to_the_console_logs_are_relative_to_the_page():
    dummy, text = render(runs.RUN1, output_dir=runs.RUN1 + '/report')
    hrefs = [a['href'] for a in Elements(text).having('a') if a['href'].endswith('.console.log')]
    assert hrefs[0] == '../kdebug-db/01-dd-light-ext4.console.log' and len(hrefs) == 6


def test_twenty_hosts_and_two_thousand_findings(tmp_path):
    run = runs.make_large_run(tmp_path, hosts=20, findings=2000, titles=400)
    report, text = render(run)
    assert report['totals']['findings'] == 2000 and report['totals']['hosts'] == 20
    doc = Elements(text)
    assert len(doc.classed('stage-bar', 'rect')) == 120
    assert len(doc.classed('timeline', 'figure')) == 20
    assert len(doc.classed('finding-marker')) == 2000
    groups = doc.classed('finding-group')
    assert len(groups) == 400  # grouped by title
    assert {r['data-title'] for r in doc.classed('finding-row')} == {
        f['title'] for h in report['hosts'] for s in h['stages'] for f in s['findings']}
    # excerpts: at most html_max_excerpts per title, the same excerpt once
    assert len(doc.classed('excerpt', 'pre')) <= 400 * page.DEFAULT_MAX_EXCERPTS
    assert len(doc.classed('leak-row')) == 4 * len(
        next(h for h in report['hosts'] if h['name'] == 'test-01.lab.example')['kmemleak']['findings'])
    size = len(text.encode('utf-8'))
    assert size < 8 * 1024 * 1024, size


def test_a_broken_rule_that_the_reason_quotes_is_not_repeated(tmp_path):
    """The overload role's reason quotes the rule ("expect rules broken: <rule>", as in stage
    fsfreeze of the lab's stress proof run proof-20261202T030729Z): the stage row says it once;
    a rule no reason quotes is still listed."""
    run = runs.copy_run(runs.RUN1, tmp_path)
    path = run + '/' + runs.HOST + '/01-dd-light-ext4.json'
    record = runs.load(path)
    rule, other = "length(findings[?type=='hung_task']) > `0`", 'result.details.exit_status == `0`'
    record.update(status='failed', reasons=['expect rules broken: ' + rule], broken_rules=[rule, other])
    runs.save(path, record)
    dummy, text = render(run)
    row = re.search(r'<tr class="stage-row" data-stage="dd-light-ext4">.*?</tr>', text).group(0)
    assert row.count(page._e(rule)) == 1 and 'rule: ' + page._e(other) in row


def test_a_bar_too_narrow_for_its_name_shows_its_number(tmp_path):
    """In the lab's stress proof run proof-20261202T030729Z stages of 9 and 12 s sat in a 20
    minute timeline with no label: a bar too narrow for its name shows its number (the # column
    of the stage table)."""
    run = runs.copy_run(runs.RUN2, tmp_path)
    path = run + '/' + runs.HOST + '/03-after.json'
    record = runs.load(path)
    record['result']['end'] = record['result']['start'] + 6
    record['result']['duration'] = 6
    runs.save(path, record)
    dummy, text = render(run)
    after = text[text.index('data-stage="after"'):]
    after = after[:after.index('</g>')]
    assert re.search(r'<text class="stage-number" [^>]*>3</text>', after) and '>after<' not in after
    dd = text[text.index('data-stage="dd"'):]
    assert '>dd</text>' in dd[:dd.index('</g>')]  # a bar wide enough keeps its name
