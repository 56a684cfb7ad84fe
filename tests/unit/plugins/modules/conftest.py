# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the module unit tests.

The collection is imported as ansible_collections.kdebug.kernel; tests/conftest.py (tooling)
puts the right root on sys.path. This file only falls back to finding a parent directory whose
ansible_collections/kdebug/kernel is this checkout, so these tests also run alone.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.realpath(os.path.join(HERE, '..', '..', '..', '..'))
FIXTURES = os.path.join(REPO, 'tests', 'unit', 'fixtures')


def _ensure_importable():
    try:
        import ansible_collections.kdebug.kernel.plugins  # noqa: F401 pylint: disable=unused-import
        return
    except ImportError:
        pass
    cand = os.path.dirname(REPO)
    while True:
        link = os.path.join(cand, 'ansible_collections', 'kdebug', 'kernel')
        if os.path.isdir(link) and os.path.realpath(link) == REPO:
            sys.path.insert(0, cand)
            return
        parent = os.path.dirname(cand)
        if parent == cand:
            return
        cand = parent


_ensure_importable()


def fixture_path(*parts):
    return os.path.join(FIXTURES, *parts)


@pytest.fixture
def fixtures_dir():
    return FIXTURES
