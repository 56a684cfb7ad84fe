# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""environment_diff: compare two environment fingerprints; environment_digests: their short form
(documented in environment_diff.yml and environment_digests.yml)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.kernel.plugins.module_utils.environment_compare import diff_fingerprints, short_form

from collections.abc import Mapping

from jinja2 import Undefined


def _plain(value):
    """Ansible's lazy/tagged containers (2.19+) as plain dicts, lists and strings."""
    if isinstance(value, Mapping):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def environment_diff(a, b, ignore=None, sections=None, compare_identity=False):
    """What differs from fingerprint a (the reference) to fingerprint b."""
    # an undefined input stays undefined: Jinja then reports the variable by name (and
    # ansible-lint, which templates with undefined variables, does not see a filter error)
    for value in (a, b):
        if isinstance(value, Undefined):
            return value
    if isinstance(ignore, str):
        ignore = [ignore]
    if ignore is not None and not isinstance(ignore, (list, tuple)):
        raise AnsibleFilterError('environment_diff: ignore must be a list of rules, got %s' % type(ignore).__name__)
    if sections is not None and not isinstance(sections, (str, list, tuple)):
        raise AnsibleFilterError('environment_diff: sections must be a list of section names')
    try:
        return diff_fingerprints(_plain(a), _plain(b), ignore=_plain(ignore), sections=_plain(sections),
                                 compare_identity=bool(compare_identity))
    except ValueError as exc:
        raise AnsibleFilterError('environment_diff: %s' % exc)


def environment_digests(fingerprint):
    """The short form of a fingerprint (digests only), for a run's results."""
    if isinstance(fingerprint, Undefined):
        return fingerprint
    try:
        return short_form(_plain(fingerprint))
    except ValueError as exc:
        raise AnsibleFilterError('environment_digests: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'environment_diff': environment_diff, 'environment_digests': environment_digests}
