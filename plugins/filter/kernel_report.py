# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters exposing the parser library on the controller (documented in kernel_log_findings.yml
and kmemleak_findings.yml next to this file)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import FINDING_TYPES, collect
from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import summarize

from collections.abc import Mapping

_TEXT = (str, bytes, bytearray)


def _lines(value, name):
    """Text (one blob) or a list of lines; anything else is a usage error."""
    if value is None:
        return []
    if isinstance(value, _TEXT):
        return value
    if isinstance(value, Mapping):
        raise AnsibleFilterError('%s: expected the log as a string or a list of lines, got a dict '
                                 '(pass e.g. the registered result\'s "stdout" or "stdout_lines")' % name)
    if isinstance(value, (list, tuple)):
        for item in value:
            if not isinstance(item, _TEXT):
                raise AnsibleFilterError('%s: every list item must be a line of text, got %s'
                                         % (name, type(item).__name__))
        return value
    raise AnsibleFilterError('%s: expected a string or a list of lines, got %s' % (name, type(value).__name__))


def kernel_log_findings(text_or_lines, types=None, max_findings=None, source=None):
    """Findings of a kernel log (dmesg, journalctl -k, /dev/kmsg, serial capture)."""
    lines = _lines(text_or_lines, 'kernel_log_findings')
    if types is not None:
        if isinstance(types, _TEXT):
            types = [types]
        unknown = sorted(set(types) - set(FINDING_TYPES))
        if unknown:
            raise AnsibleFilterError('kernel_log_findings: unknown finding type(s) %s; known: %s'
                                     % (', '.join(unknown), ', '.join(FINDING_TYPES)))
    if max_findings is not None:
        try:
            max_findings = int(max_findings)
        except (TypeError, ValueError):
            raise AnsibleFilterError('kernel_log_findings: max_findings must be an integer, got %r' % (max_findings,))
    return collect(lines, types=types, max_findings=max_findings, source=source)


def kmemleak_findings(text, ignore=None, max_findings=None):
    """kmemleak report (/sys/kernel/debug/kmemleak content or log lines) summarized by call site."""
    lines = _lines(text, 'kmemleak_findings')
    if ignore is not None:
        if isinstance(ignore, _TEXT):
            ignore = [ignore]
        if not isinstance(ignore, (list, tuple)):
            raise AnsibleFilterError('kmemleak_findings: ignore must be a list of regular expressions')
    if isinstance(lines, (list, tuple)) and not lines:
        lines = ''
    return summarize(lines, ignore=ignore, max_findings=max_findings)


class FilterModule(object):
    def filters(self):
        return {
            'kernel_log_findings': kernel_log_findings,
            'kmemleak_findings': kmemleak_findings,
        }
