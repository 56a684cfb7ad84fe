# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/lab/test_run_reports.py (the reports of a real lab run) run by pytest as the Molecule
scenario runs it, on copies of the two captured lab runs: it fails without KDEBUG_RUN_DIR or
with a directory that does not exist (fails, not skips), passes on the run whose host was
reset (its reports built by the test itself), and fails, in the tests that check it, when the
reports in report/ disagree with each other or with the saved records."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from ansible_collections.kdebug.kernel.tests.lab.test_run_reports import build_reports
from ansible_collections.kdebug.kernel.tests.unit.plugins.plugin_utils import report_runs as runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LAB_TEST = os.path.join(ROOT, 'tests', 'lab', 'test_run_reports.py')


def lab_test(tmp_path, run_dir=None, *args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ('KDEBUG_RUN_DIR', 'KDEBUG_EXPECT_RESET')}
    environ.update(env, KDEBUG_REPORT_SCREENSHOT=str(tmp_path / 'lab.png'))
    if run_dir is not None:
        environ['KDEBUG_RUN_DIR'] = run_dir
    proc = subprocess.run([sys.executable, '-m', 'pytest', LAB_TEST, '-q', '-rfEs', '-p', 'no:cacheprovider', *args],
                          capture_output=True, text=True, env=environ, cwd=ROOT, check=False)
    return proc, proc.stdout + proc.stderr


def outcomes(out, what):
    return sorted(set(re.findall(r'^%s tests/lab/test_run_reports\.py::(\w+)' % what, out, re.M)))


def test_without_a_run_directory_it_fails(tmp_path):
    proc, out = lab_test(tmp_path, None, '-k', 'run_dir or json')
    assert proc.returncode == 1, out
    assert outcomes(out, 'FAILED') == ['test_kdebug_run_dir_names_a_run_directory'] and 'KDEBUG_RUN_DIR is not set' in out
    assert outcomes(out, 'ERROR') == ['test_the_json_report_validates_against_the_schema']
    assert 'skipped' not in out
    proc, out = lab_test(tmp_path, str(tmp_path / 'no-such-run'), '-k', 'run_dir')
    assert proc.returncode == 1 and 'is not a directory' in out, out


def test_the_run_with_a_reset_host_passes_its_reports_built_by_the_test(tmp_path):
    run = runs.copy_run(runs.RUN2, tmp_path)
    proc, out = lab_test(tmp_path, run, KDEBUG_EXPECT_RESET='1')
    assert proc.returncode == 0, out
    assert re.search(r'\b11 passed\b', out) and 'skipped' not in out, out
    assert 'has no report/ directory' in out  # it says that it built the reports
    assert os.path.getsize(tmp_path / 'lab.png') > 10000


def test_reports_that_disagree_fail_the_checks_of_what_they_get_wrong(tmp_path):
    run = runs.copy_run(runs.RUN1, tmp_path)
    os.makedirs(os.path.join(run, 'report'))
    paths = build_reports(run, os.path.join(run, 'report'))
    # the JSON says a stage failed that passed
    with open(paths['json'], encoding='utf-8') as handle:
        doc = json.load(handle)
    doc['hosts'][0]['stages'][0]['status'] = 'failed'
    with open(paths['json'], 'w', encoding='utf-8') as handle:
        json.dump(doc, handle)
    # the JUnit XML counts the hung tasks of fsfreeze wrong
    with open(paths['junit'], encoding='utf-8') as handle:
        text = handle.read()
    assert text.count('mnt_want_write (x4)') == 1
    with open(paths['junit'], 'w', encoding='utf-8') as handle:
        handle.write(text.replace('mnt_want_write (x4)', 'mnt_want_write (x3)'))
    proc, out = lab_test(tmp_path, run, '-k', 'not chromium')
    assert proc.returncode == 1, out
    assert outcomes(out, 'FAILED') == ['test_every_host_has_the_same_stages_in_the_same_order_and_status',
                                       'test_every_saved_stage_is_in_every_report_with_its_own_status_and_findings',
                                       'test_the_findings_are_the_same_in_the_three_reports'], out
    assert 'has no report/ directory' not in out  # it read the reports in report/
    # a saved record whose counts the reports do not carry
    record = os.path.join(run, runs.HOST, '04-fsfreeze.json')
    data = runs.load(record)
    data['counts']['hung_task'] = 5
    runs.save(record, data)
    proc, out = lab_test(tmp_path, run, '-k', 'counts')
    assert proc.returncode == 1 and outcomes(out, 'FAILED') == ['test_the_counts_are_the_sums_over_the_saved_records'], out
