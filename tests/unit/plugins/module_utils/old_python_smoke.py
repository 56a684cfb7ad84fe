# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the parser library over every parser fixture and print the results as JSON.

Usage: python old_python_smoke.py CHECKOUT FIXTURE_DIR

The library files are copied into a temporary ansible_collections/kdebug/kernel tree with
__init__.py files (Python 2 has no namespace packages; AnsiballZ builds the same layout).

Runs on Python 2.7 and 3.6+ without pytest: test_old_pythons.py runs it under the pyenv
interpreters the targets have (2.7, 3.6) and compares the output with the current Python's.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io
import json
import os
import shutil
import sys
import tempfile


def _tree(checkout):
    root = tempfile.mkdtemp(prefix='kdebug-smoke-')
    pkg = root
    for part in ('ansible_collections', 'kdebug', 'kernel', 'plugins', 'module_utils'):
        pkg = os.path.join(pkg, part)
        os.mkdir(pkg)
        open(os.path.join(pkg, '__init__.py'), 'w').close()
    src = os.path.join(checkout, 'plugins', 'module_utils')
    for name in ('kmsg.py', 'frames.py', 'kmemleak_report.py', 'locks.py', 'kernel_findings.py', 'title_rules.py',
                 'report_format.py', 'report_hooks.py', 'lazy_regex.py'):
        shutil.copy(os.path.join(src, name), pkg)
    return root


def main():
    root = _tree(sys.argv[1])
    try:
        run(root, sys.argv[2])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(root, fixture_dir):
    sys.path.insert(0, root)
    from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings, kmemleak_report, locks
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import iter_lines

    out = {}
    for name in sorted(os.listdir(fixture_dir)):
        with open(os.path.join(fixture_dir, name), 'rb') as f:
            data = f.read()
        res = {}
        col = kernel_findings.collect(io.BytesIO(data))
        res['findings'] = [[x['type'], x['title'], x['function'], x['task'], x['pid'], x['count'],
                            x['corrupted'], len(x['locks']), x['stack'], x['details']] for x in col['findings']]
        res['counts'] = col['counts']
        res['notes'] = [[n['kind'], n['count'], n['line']] for n in col['notes']]
        lines = list(iter_lines(io.BytesIO(data)))
        col2 = kernel_findings.collect(lines)
        res['same_by_lines'] = [x['title'] for x in col2['findings']] == [x['title'] for x in col['findings']]
        summ = kmemleak_report.summarize(io.BytesIO(data))
        res['kmemleak'] = [[x['title'], x['count'], x['bytes'], x['signature']] for x in summ['findings']]
        res['held_locks'] = locks.parse_held_locks(lines)
        res['blocked'] = locks.parse_blocked_tasks(lines)
        out[name] = res
    print(json.dumps(out, sort_keys=True))


if __name__ == '__main__':
    main()
