# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make this checkout importable as ``ansible_collections.kdebug.kernel`` for pytest.

Module and module_utils code imports its siblings as
``ansible_collections.kdebug.kernel.plugins.module_utils.<name>``. That works when a directory
on sys.path holds ``ansible_collections/kdebug/kernel`` resolving to this checkout:
- the checkout itself lies at ``.../ansible_collections/kdebug/kernel``: use its grand-grand
  parent;
- otherwise use ``build/collections`` (``make venv``/``make link`` creates the symlink
  ``build/collections/ansible_collections/kdebug/kernel -> ../../../..``; created here too, so
  a plain ``pytest`` works in a fresh clone).
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collection_root() -> str:
    parts = ROOT.split(os.sep)
    if parts[-3:] == ['ansible_collections', 'kdebug', 'kernel']:
        return os.sep.join(parts[:-3])
    base = os.path.join(ROOT, 'build', 'collections')
    link = os.path.join(base, 'ansible_collections', 'kdebug', 'kernel')
    if os.path.realpath(link) != os.path.realpath(ROOT):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(os.path.join('..', '..', '..', '..'), link)
    return base


COLLECTIONS_ROOT = _collection_root()
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
# Subprocesses (ansible-doc, ansible-playbook) started by tests find the collection too.
os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join(
    p for p in (COLLECTIONS_ROOT, os.environ.get('ANSIBLE_COLLECTIONS_PATH')) if p
)


# Tests that do not depend on the ansible-core version of a matrix leg (a browser, a stand-in
# qemu, ansible-builder, the lab tools, pure-Python report rendering of 240 MiB of logs): the
# 2.19 leg runs them, the other legs deselect them with -m "not one_leg" (Makefile unit-%), so
# that each CI run has them once instead of three times.
ONE_LEG = (
    'tests/unit/lab/',
    'tests/unit/plugins/plugin_utils/test_report_browser.py',
    'tests/unit/plugins/plugin_utils/test_report_junit.py::test_long_logs_are_cut_so_the_file_stays_under_its_bound',
    'tests/unit/test_execution_environment.py',
)


def pytest_configure(config):
    config.addinivalue_line('markers', 'one_leg: runs in one matrix leg only (independent of ansible-core)')


def pytest_collection_modifyitems(config, items):
    import pytest
    for item in items:
        rel = os.path.relpath(str(item.fspath), ROOT) + '::' + item.name.split('[')[0]
        if any(rel.startswith(prefix) for prefix in ONE_LEG):
            item.add_marker(pytest.mark.one_leg)
