# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module and filter renders with ``ansible-doc`` of the ansible-core under test.

Runs the ``ansible-doc`` next to the running Python (the venv of the matrix leg), with the
collection found through tests/conftest.py's ANSIBLE_COLLECTIONS_PATH.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_DIR = os.path.join(ROOT, 'plugins', 'modules')
ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')


def _modules():
    if not os.path.isdir(MODULE_DIR):
        return []
    return sorted(
        name[:-3]
        for name in os.listdir(MODULE_DIR)
        if name.endswith('.py') and name != '__init__.py'
    )


MODULES = _modules()
FILTER_DIR = os.path.join(ROOT, 'plugins', 'filter')
# Filters are documented by YAML files beside the Python file that implements them.
FILTERS = sorted(
    name[:-4] for name in (os.listdir(FILTER_DIR) if os.path.isdir(FILTER_DIR) else [])
    if name.endswith('.yml')
)


def _run(*args):
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_DEPRECATION_WARNINGS='1')
    return subprocess.run(
        [ANSIBLE_DOC, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_modules_exist():
    """The collection ships its three modules (an empty plugins/modules would test nothing)."""
    assert set(MODULES) >= {'kmemleak', 'kernel_log', 'sysrq'}, MODULES


def test_ansible_doc_lists_every_module():
    proc = _run('--list', '--json', 'kdebug.kernel')
    assert proc.returncode == 0, proc.stderr
    listed = set(json.loads(proc.stdout))
    assert listed == {'kdebug.kernel.' + name for name in MODULES}, proc.stderr


@pytest.mark.parametrize('module', MODULES)
def test_ansible_doc_json(module):
    fqcn = 'kdebug.kernel.' + module
    proc = _run('--json', '-t', 'module', fqcn)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)[fqcn]
    doc = data['doc']
    assert doc['module'] == module
    assert doc.get('short_description'), 'short_description missing'
    assert doc.get('description'), 'description missing'
    assert doc.get('options'), 'options missing'
    for name, option in doc['options'].items():
        assert option.get('description'), 'option %s has no description' % name
    assert (data.get('examples') or '').strip(), 'EXAMPLES missing'
    assert data.get('return'), 'RETURN missing'


@pytest.mark.parametrize('module', MODULES)
def test_ansible_doc_text(module):
    fqcn = 'kdebug.kernel.' + module
    proc = _run('-t', 'module', fqcn)
    assert proc.returncode == 0, proc.stderr
    assert fqcn in proc.stdout
    assert 'EXAMPLES' in proc.stdout and 'RETURN' in proc.stdout
    bad = [line for line in proc.stderr.splitlines() if 'ERROR' in line or 'WARNING' in line]
    assert not bad, '\n'.join(bad)


def test_ansible_doc_lists_every_filter():
    """Every filter the collection provides has documentation (a plugins/filter/<name>.yml)."""
    proc = _run('-t', 'filter', '--list', '--json', 'kdebug.kernel')
    assert proc.returncode == 0, proc.stderr
    listed = set(json.loads(proc.stdout))
    assert listed == {'kdebug.kernel.' + name for name in FILTERS}, proc.stderr


@pytest.mark.parametrize('name', FILTERS)
def test_ansible_doc_filter(name):
    fqcn = 'kdebug.kernel.' + name
    proc = _run('--json', '-t', 'filter', fqcn)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)[fqcn]
    assert data['doc'].get('short_description'), 'short_description missing'
    assert (data.get('examples') or '').strip(), 'EXAMPLES missing'
    assert data.get('return'), 'RETURN missing'
    text = _run('-t', 'filter', fqcn)
    assert text.returncode == 0, text.stderr
    assert fqcn in text.stdout
