# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML report in a real browser, shared by tests/unit/plugins/plugin_utils/test_report_browser.py
(the captured runs) and tests/lab/test_run_reports.py (a real lab run): Debian's chromium,
headless, driven by selenium through Debian's chromedriver (packages chromium and
chromium-driver, .ci/apt-packages.txt), offline (selenium looks for no driver, any fetch of the
page goes to a dead proxy); pages are opened from file:// URLs.
"""

from __future__ import annotations

import contextlib
import os
import shutil

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
BUILD = os.path.join(ROOT, 'build')
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
WIDTH, HEIGHT = 1300, 1000


@contextlib.contextmanager
def chromium():
    """A headless chromium under selenium (AssertionError naming the packages when missing)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    assert not missing, ('the browser test needs Debian\'s chromium and chromium-driver (.ci/apt-packages.txt): '
                         'apt-get install -y chromium chromium-driver; missing %s' % ', '.join(missing))
    os.environ['SE_OFFLINE'] = 'true'  # selenium must not look for a driver on the network
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars',
                '--window-size=%d,%d' % (WIDTH, HEIGHT), '--disable-extensions', '--no-first-run',
                '--disable-background-networking',
                '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>'):  # any fetch fails
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, path):
    """Open a local file; the console messages of level SEVERE or WARNING it logged."""
    driver.get_log('browser')  # drop what an earlier page logged
    driver.get('file://' + os.path.abspath(path))
    assert driver.execute_script('return document.readyState') == 'complete'
    return [e for e in driver.get_log('browser') if e['level'] in ('SEVERE', 'WARNING')]


def resources(driver):
    """The URLs the open page fetched (images, styles, scripts, fonts...): the Resource Timing
    entries, which list every fetch, failed ones included."""
    return driver.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; });")


def screenshot(driver, name, height=None):
    """The whole page (or its first `height` pixels) as build/<name>; its path."""
    os.makedirs(BUILD, exist_ok=True)
    full = driver.execute_script('return document.documentElement.scrollHeight')
    want = min(height or full, 6000)
    driver.set_window_size(WIDTH, want + 80)  # + the window's own frame
    inner = driver.execute_script('return window.innerHeight')
    if inner < want:  # the frame took more than that: the bottom of the page would be cut
        driver.set_window_size(WIDTH, want + 80 + (want - inner))
    driver.execute_script('window.scrollTo(0, 0)')
    # let the resized window paint before the picture is taken (two animation frames)
    driver.execute_async_script('var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });')
    path = os.path.join(BUILD, name)
    assert driver.save_screenshot(path)
    driver.set_window_size(WIDTH, HEIGHT)
    return path


def bars(driver, host):
    """The stage bars of a host's timeline that the browser laid out (width and height > 0)."""
    return [b['stage'] for b in bar_boxes(driver, host)]


def bar_boxes(driver, host):
    """The laid-out stage bars of a host's timeline: stage, status and box, in page order."""
    return driver.execute_script(
        "var out = []; document.querySelectorAll('figure.timeline[data-host=\"' + arguments[0] + '\"] rect.stage-bar')"
        ".forEach(function (r) { var b = r.getBoundingClientRect();"
        " if (b.width > 0 && b.height > 0) { out.push({stage: r.getAttribute('data-stage'), status: r.getAttribute('data-status'),"
        " left: b.left, right: b.right, top: b.top, bottom: b.bottom}); } }); return out;", host)
