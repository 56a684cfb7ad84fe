# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML report in a real browser: Debian's chromium, headless, driven by selenium through
Debian's chromedriver (packages chromium and chromium-driver, .ci/apt-packages.txt), the page
opened from a file:// URL with the network off.

Checks that the page renders without console errors, that each timeline has one bar per stage
(laid out, not only present), that the findings table holds the findings of the real lab run,
that the filter works, and that 20 hosts with 2,000 findings render. Screenshots are kept as
test artifacts: build/report-screenshot.png (the real run 20261202T003402Z compared with
20261202T012532Z), build/report-screenshot-hang.png (the run whose host was reset) and
build/report-screenshot-large.png (the generated 20-host run).
"""

from __future__ import annotations

import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_html as page
from ansible_collections.kdebug.kernel.plugins.plugin_utils import report_model as model
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_runs as runs

ROOT = os.path.dirname(os.path.dirname(runs.UNIT))
BUILD = os.path.join(ROOT, 'build')
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'


@pytest.fixture(scope='module')
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    assert not missing, ('the browser test needs Debian\'s chromium and chromium-driver (.ci/apt-packages.txt): '
                         'apt-get install -y chromium chromium-driver; missing %s' % ', '.join(missing))
    os.environ['SE_OFFLINE'] = 'true'  # selenium must not look for a driver on the network
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars',
                '--window-size=1300,1000', '--disable-extensions', '--no-first-run', '--disable-background-networking',
                '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>'):  # any fetch fails
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def write_page(tmp_path, run, name, compare_to=None):
    report = model.build_report(run, compare_to=compare_to)
    path = os.path.join(str(tmp_path), name)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(page.render_html(report, output_dir=str(tmp_path)))
    return report, path


def open_page(driver, path):
    driver.get_log('browser')  # drop what an earlier page logged
    driver.get('file://' + path)
    assert driver.execute_script('return document.readyState') == 'complete'
    return [e for e in driver.get_log('browser') if e['level'] in ('SEVERE', 'WARNING')]


def screenshot(driver, name, height=None):
    os.makedirs(BUILD, exist_ok=True)
    full = driver.execute_script('return document.documentElement.scrollHeight')
    driver.set_window_size(1300, min(height or full + 80, 6000))  # + the window's own frame
    driver.execute_script('window.scrollTo(0, 0)')
    # let the resized window paint before the picture is taken (two animation frames)
    driver.execute_async_script('var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });')
    path = os.path.join(BUILD, name)
    assert driver.save_screenshot(path)
    driver.set_window_size(1300, 1000)
    return path


def bars(driver, host):
    """The stage bars of a host's timeline that the browser laid out (width and height > 0)."""
    return driver.execute_script(
        "var out = []; document.querySelectorAll('figure.timeline[data-host=\"' + arguments[0] + '\"] rect.stage-bar')"
        ".forEach(function (r) { var b = r.getBoundingClientRect();"
        " if (b.width > 0 && b.height > 0) { out.push(r.getAttribute('data-stage')); } }); return out;", host)


def test_the_console_check_sees_errors(browser, tmp_path):
    """The check below is not blind: a page with a script error is caught."""
    path = os.path.join(str(tmp_path), 'broken.html')
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write('<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>')
    logged = open_page(browser, path)
    assert any('undefinedFunction' in e['message'] for e in logged), logged


def test_the_real_run_renders_with_every_stage_and_finding(browser, tmp_path):
    report, path = write_page(tmp_path, runs.RUN1, 'run1.html', compare_to=runs.RUN2)
    assert open_page(browser, path) == []
    host = report['hosts'][0]
    assert bars(browser, 'kdebug-db') == [s['name'] for s in host['stages']]
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
    screenshot(browser, 'report-screenshot.png')


def test_the_run_with_a_reset_host_renders(browser, tmp_path):
    report, path = write_page(tmp_path, runs.RUN2, 'run2.html')
    assert open_page(browser, path) == []
    assert bars(browser, 'kdebug-db') == ['dd', 'hang', 'after']
    status = browser.find_element(By.CSS_SELECTOR, 'tr.stage-row[data-stage="hang"]').text
    assert 'unresponsive' in status and '(estimated)' in status
    screenshot(browser, 'report-screenshot-hang.png')


def test_twenty_hosts_and_two_thousand_findings_render_and_filter(browser, tmp_path):
    run = runs.make_large_run(tmp_path, hosts=20, findings=2000, titles=400)
    report, path = write_page(tmp_path, run, 'large.html', compare_to=runs.RUN1)
    assert open_page(browser, path) == []
    for host in report['hosts']:
        assert bars(browser, host['name']) == [s['name'] for s in host['stages']]
    assert browser.execute_script("return document.querySelectorAll('.finding-marker').length") == 2000
    assert browser.find_element(By.ID, 'finding-shown').text == '400'
    box = browser.find_element(By.ID, 'finding-filter')
    box.send_keys('xfs_log_force')
    shown = int(browser.find_element(By.ID, 'finding-shown').text)
    visible = browser.execute_script("return Array.prototype.filter.call(document.querySelectorAll('tbody.finding-group'),"
                                     " function (g) { return !g.hidden; }).map(function (g) { return g.getAttribute('data-search'); });")
    assert 0 < shown < 400 and len(visible) == shown and all('xfs_log_force' in v for v in visible)
    assert browser.get_log('browser') == []
    screenshot(browser, 'report-screenshot-large.png', height=2400)
