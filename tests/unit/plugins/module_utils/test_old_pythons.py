# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parser library gives the same results on the targets' Pythons (2.7, 3.6) as here."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, 'old_python_smoke.py')
CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
PYENV = os.path.expanduser('~/.pyenv/versions')
OLD = ['2.7.18', '3.6.15']


def _run(python):
    out = subprocess.check_output([python, SCRIPT, CHECKOUT, pf.FIXTURE_DIR])
    return json.loads(out.decode('utf-8'))


@pytest.fixture(scope='module')
def reference():
    return _run(sys.executable)


def test_reference_is_meaningful(reference):
    assert sorted(reference) == pf.names()
    assert all(v['same_by_lines'] for v in reference.values())
    assert sum(len(v['findings']) for v in reference.values()) > 30


@pytest.mark.parametrize('version', OLD)
def test_same_results_on_old_python(version, reference):
    python = os.path.join(PYENV, version, 'bin', 'python')
    if not os.path.exists(python):
        pytest.skip('pyenv Python %s is not installed at %s' % (version, python))
    assert _run(python) == reference
