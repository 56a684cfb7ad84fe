# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML report in a real browser: Debian's chromium, headless, driven by selenium through
Debian's chromedriver (packages chromium and chromium-driver, .ci/apt-packages.txt), the page
opened from a file:// URL with the network off (report_browser_util.py, shared with
tests/lab/test_run_reports.py).

Checks that the page renders without console errors, that each timeline has one bar per stage
(laid out, not only present), that the findings table holds the findings of the real lab run,
that the filter works, and that 20 hosts with 2,000 findings render. Screenshots are kept as
test artifacts: build/report-screenshot.png (the real run 20261202T003402Z compared with
20261202T012532Z), build/report-screenshot-hang.png (the run whose host was reset) and
build/report-screenshot-large.png (the generated 20-host run).
"""

from __future__ import annotations

import os

import pytest
from selenium.webdriver.common.by import By

from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_html as page
from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_model as model
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_browser_util as util
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_runs as runs


@pytest.fixture(scope='module')
def browser():
    with util.chromium() as driver:
        yield driver


def write_page(tmp_path, run, name, compare_to=None):
    report = model.build_report(run, compare_to=compare_to)
    path = os.path.join(str(tmp_path), name)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(page.render_html(report, output_dir=str(tmp_path)))
    return report, path


def test_the_console_check_sees_errors(browser, tmp_path):
    """The check below is not blind: a page with a script error is caught."""
    path = os.path.join(str(tmp_path), 'broken.html')
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>')
    logged = util.open_page(browser, path)
    assert any('undefinedFunction' in e['message'] for e in logged), logged


def test_the_real_run_renders_with_every_stage_and_finding(browser, tmp_path):
    report, path = write_page(tmp_path, runs.RUN1, 'run1.html', compare_to=runs.RUN2)
    assert util.open_page(browser, path) == []
    host = report['hosts'][0]
    assert util.bars(browser, 'kdebug-db') == [s['name'] for s in host['stages']]
    rows = browser.find_elements(By.CSS_SELECTOR, '#findings tr.finding-row')
    titles = {f['title'] for s in host['stages'] for f in s['findings']}
    assert {r.get_attribute('data-title') for r in rows} == titles == {'INFO: task hung in mnt_want_write'}
    row = rows[0].text
    assert 'hung_task' in row and '2026-12-02 00:50:02' in row and '2026-12-02 00:50:12' in row
    # the marker sits inside the fsfreeze bar, horizontally
    marker = browser.execute_script("var b = document.querySelector('.finding-marker path').getBoundingClientRect(); return [b.left, b.right];")
    stage_box = browser.execute_script(
        "var b = document.querySelector('rect.stage-bar[data-stage=\"fsfreeze\"]').getBoundingClientRect(); return [b.left, b.right];")
    assert stage_box[0] <= (marker[0] + marker[1]) / 2 <= stage_box[1]
    # an excerpt opens
    details = browser.find_element(By.CSS_SELECTOR, 'tbody.finding-group details')
    assert not browser.find_element(By.CSS_SELECTOR, 'tbody.finding-group pre.excerpt').is_displayed()
    details.find_element(By.TAG_NAME, 'summary').click()
    assert 'INFO: task dd:1445 blocked for more than 10 seconds.' in browser.find_element(By.CSS_SELECTOR, 'tbody.finding-group pre.excerpt').text
    assert browser.find_elements(By.CSS_SELECTOR, 'tr.compare-row[data-state="new"]')
    assert len(browser.find_elements(By.CSS_SELECTOR, 'details.sysrq')) == 2
    util.screenshot(browser, 'report-screenshot.png')


def test_the_run_with_a_reset_host_renders(browser, tmp_path):
    report, path = write_page(tmp_path, runs.RUN2, 'run2.html')
    assert util.open_page(browser, path) == []
    assert util.bars(browser, 'kdebug-db') == ['dd', 'hang', 'after']
    status = browser.find_element(By.CSS_SELECTOR, 'tr.stage-row[data-stage="hang"]').text
    assert 'unresponsive' in status and '(estimated)' in status
    util.screenshot(browser, 'report-screenshot-hang.png')


def test_twenty_hosts_and_two_thousand_findings_render_and_filter(browser, tmp_path):
    run = runs.make_large_run(tmp_path, hosts=20, findings=2000, titles=400)
    report, path = write_page(tmp_path, run, 'large.html', compare_to=runs.RUN1)
    assert util.open_page(browser, path) == []
    for host in report['hosts']:
        assert util.bars(browser, host['name']) == [s['name'] for s in host['stages']]
    assert browser.execute_script("return document.querySelectorAll('.finding-marker').length") == 2000
    assert browser.find_element(By.ID, 'finding-shown').text == '400'
    box = browser.find_element(By.ID, 'finding-filter')
    box.send_keys('xfs_log_force')
    shown = int(browser.find_element(By.ID, 'finding-shown').text)
    visible = browser.execute_script("return Array.prototype.filter.call(document.querySelectorAll('tbody.finding-group'),"
                                     " function (g) { return !g.hidden; }).map(function (g) { return g.getAttribute('data-search'); });")
    assert 0 < shown < 400 and len(visible) == shown and all('xfs_log_force' in v for v in visible)
    assert browser.get_log('browser') == []
    util.screenshot(browser, 'report-screenshot-large.png', height=2400)
