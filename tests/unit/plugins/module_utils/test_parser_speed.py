# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parsers' speed-ups give the same results as the plain code they stand in for."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.kdebug.kernel.plugins.module_utils import kmemleak_report as km
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _records():
    """The records of the kmemleak fixtures, each without its "unreferenced object" (as the
    fast path cuts them)."""
    out = []
    for name in pf.names():
        if name.startswith('kmemleak_debugfs'):
            out.extend(pf.load(name).split(km._SEP)[1:])
    return out


RECORDS = _records()


def test_fixture_records_are_in_the_exact_layout():
    """Not a vacuous comparison below: the fixtures' records take the hot regex's path."""
    assert RECORDS
    assert all(km._EXACT_RECORD_RE.match(r) for r in RECORDS)


@SETTINGS
@given(st.sampled_from(RECORDS), st.integers(0, 400), st.sampled_from([b'', b' ', b'\n', b'"', b'x', b'(', b'0']),
       st.integers(0, 3))
def test_hot_record_regex_matches_what_the_exact_one_matches(record, at, insert, drop):
    """_HOT_RECORD_RE (the fast loop's regex, without the groups it does not read) matches the
    same texts as _EXACT_RECORD_RE, to the same end, with the same size and comm."""
    at = min(at, len(record))
    text = record[:at] + insert + record[at + drop:]
    exact = km._EXACT_RECORD_RE.match(text)
    hot = km._HOT_RECORD_RE.match(text)
    assert (exact is None) == (hot is None)
    if exact is not None:
        assert hot.end() == exact.end()
        assert hot.groups() == exact.group(3, 5)
