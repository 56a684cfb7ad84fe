# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the parser tests: fixture files under tests/unit/fixtures/parsers.

Every fixture starts with "# " comment lines saying where it comes from; load() returns the
bytes without them (kernel log lines never start with "# ").
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

FIXTURE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), 'unit', 'fixtures', 'parsers')
if not os.path.isdir(FIXTURE_DIR):  # pragma: no cover - layout guard
    FIXTURE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'parsers')


def path(name):
    return os.path.join(FIXTURE_DIR, name)


def raw(name):
    with open(path(name), 'rb') as f:
        return f.read()


def load(name):
    """Fixture bytes without the leading "# " source comment."""
    lines = raw(name).splitlines(True)
    i = 0
    while i < len(lines) and lines[i].startswith(b'# '):
        i += 1
    return b''.join(lines[i:])


def comment(name):
    lines = raw(name).splitlines()
    return b'\n'.join(ln for ln in lines if ln.startswith(b'# ')).decode('utf-8')


def text_lines(name):
    return load(name).decode('utf-8', 'replace').splitlines()


def names(suffix=None):
    out = sorted(os.listdir(FIXTURE_DIR))
    if suffix:
        out = [n for n in out if n.endswith(suffix)]
    return out


KERNEL_LOG_FIXTURES = [n for n in names() if not n.startswith(('kmemleak_debugfs', 'sysrq_'))]
KMEMLEAK_FIXTURES = [n for n in names() if n.startswith('kmemleak_')]


def naive_hits(buf, needles):
    """The oracle of the kernel-log scanner's tests: the first keyword from each line on that
    holds one, by bytes.find of each keyword, nothing skipped."""
    hits = []
    pos = 0
    while pos < len(buf):
        found = [p for p in (buf.find(n, pos) for n in needles) if p >= 0]
        if not found:
            break
        hit = min(found)
        hits.append(hit)
        pos = buf.find(b'\n', hit) + 1 or len(buf)
    return hits
