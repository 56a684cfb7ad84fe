# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-family behaviour of the report formats, as named hooks (report_format.Hooks).

The report table (kernel_findings.REPORT_FORMATS) points to these objects; the engine calls
their functions without knowing which family it reads. A hook receives the report being read
(kernel_findings._Report): its ``groups`` (start-line groups), ``details``, ``task``/``pid``,
``done`` and ``title_tpl`` are the parts a hook may change.

Written from linux 6.1 and 3.10: mm/oom_kill.c (dump_header, oom_kill_process,
__oom_kill_process), mm/kasan/report.c (print_error_description, describe_object),
mm/kmemleak.c (print_unreferenced), kernel/kcsan/report.c and kernel/panic.c:panic.
Stdlib only; Python 2.7 and 3.6+.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.kdebug.kernel.plugins.module_utils.lazy_regex import lazy
from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import RecordParser
from ansible_collections.kdebug.kernel.plugins.module_utils.report_format import Hooks
from ansible_collections.kdebug.kernel.plugins.module_utils.title_rules import (
    PANIC_TITLES, sanitize_title, title_func,
)


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


# ---- OOM killer (mm/oom_kill.c) ------------------------------------------------------------
# the header (dump_header) names the invoker; the kill line (__oom_kill_process) the victim;
# 3.10 prints "Out of memory: Kill process N (comm) score N" then "Killed process N (comm)"
_OOM_CONSTRAINT_RE = lazy(globals(), r'oom-kill:constraint=(?P<constraint>\w+)')
_OOM_KB_RE = lazy(globals(), r'\b(total-vm|anon-rss|file-rss|shmem-rss|vsz|pgtables):(\d+)kB')
_OOM_KB_KEYS = {'total-vm': 'total_vm_kb', 'vsz': 'total_vm_kb', 'anon-rss': 'anon_rss_kb',
                'file-rss': 'file_rss_kb', 'shmem-rss': 'shmem_rss_kb', 'pgtables': 'pgtables_kb'}
_OOM_MEMCG_RE = lazy(globals(), r'^Memory cgroup (?:stats for|out of memory)|^memory: usage \d+kB, limit')


def _oom_groups(report, g, text, victim):
    d = report.details
    if 'invoker' in g:
        d['invoked_by'] = g['invoker']
        d['gfp_mask'] = g.get('gfp_mask')
        d['order'] = _int(g.get('order'))
        d['oom_score_adj'] = _int(g.get('oom_score_adj'))
        report.task = None
        report.pid = None
    if g.get('oom_kind', '').startswith('Memory cgroup'):
        d['memcg'] = True
    if 'task' in g and victim:
        d['victim'] = g['task']
        d['pid'] = _int(g.get('pid'))
        report.task = g['task']
        report.pid = _int(g.get('pid'))
    if 'score' in g:
        d['score'] = _int(g['score'])
    for name, value in _OOM_KB_RE.findall(text or ''):
        d[_OOM_KB_KEYS[name]] = _int(value)
    if 'anon_rss_kb' in d:
        d['rss_kb'] = sum(d.get(k) or 0 for k in ('anon_rss_kb', 'file_rss_kb', 'shmem_rss_kb'))
    if 'no_killable' in g:
        d['no_killable'] = True


def _oom_start(report):
    # the header's task is the invoker; any other start line names the victim
    _oom_groups(report, report.groups, report.line.text, victim='invoker' not in report.groups)


def _oom_absorb(report, fmt, groups, line):
    _oom_groups(report, groups, line.text, victim=True)
    if fmt.after == 'now':
        report.done = True  # the kill (or "no killable processes") ends the report
    return True


def _oom_line(report, text):
    d = report.details
    if _OOM_MEMCG_RE.search(text):
        d['memcg'] = True
    if 'oom-kill:constraint=' in text:
        m = _OOM_CONSTRAINT_RE.search(text)
        if m:
            d['constraint'] = m.group('constraint')
            if m.group('constraint') == 'CONSTRAINT_MEMCG':
                d['memcg'] = True
    return False


def _oom_title(report, func):
    d = report.details
    if d.get('no_killable'):
        return 'Out of memory and no killable processes'
    prefix = 'Memory cgroup out of memory' if d.get('memcg') else 'Out of memory'
    if d.get('victim') is None:
        return prefix
    return '%s: Killed process %s' % (prefix, d['victim'])


def _oom_check(report):
    return report.details.get('victim') is None and not report.details.get('no_killable')


OOM = Hooks('oom', start=_oom_start, absorb=_oom_absorb, line=_oom_line, title=_oom_title, check=_oom_check)


# ---- KASAN (mm/kasan/report.c) -------------------------------------------------------------
_KASAN_ACCESS_RE = lazy(globals(), r'^(?P<access>Read|Write) (?:of size (?P<size>\d+) )?(?:at addr \S+ )?by task '
                                   r'(?P<task>.+)/(?P<pid>\d+)')
_KASAN_ACCESS_LOOSE_RE = lazy(globals(), r'^(?P<access>Read|Write) (?:of size \d+|at addr)')
_KASAN_FREE_RE = lazy(globals(), r'^Free of addr \S+ by task (?P<task>.+)/(?P<pid>\d+)')


def _kasan_start(report):
    report.details['kind'] = report.groups.get('kind', '')


def _kasan_line(report, text):
    d = report.details
    if 'access' in d:
        return False
    m = _KASAN_ACCESS_RE.match(text)
    if m:
        d['access'] = m.group('access')
        if m.group('size'):
            d['size'] = _int(m.group('size'))
        report.task = m.group('task')
        report.pid = _int(m.group('pid'))
        return False
    m = _KASAN_ACCESS_LOOSE_RE.match(text)
    if m:
        d['access'] = m.group('access')
        return False
    m = _KASAN_FREE_RE.match(text)
    if m:
        report.task = m.group('task')
        report.pid = _int(m.group('pid'))
    return False


def _kasan_title(report, func):
    # "KASAN: KIND Read in F" (print_error_description); frees have no access line
    kind = report.values().get('kind') or 'bad-access'
    access = report.details.get('access')
    title = 'KASAN: %s %s' % (kind, access) if access else 'KASAN: %s' % kind
    return '%s in %s' % (title, title_func(func)) if func else title


def _kasan_check(report):
    kind = report.details.get('kind', '')
    # the "Read of size N at addr" line is missing (frees print none)
    return 'access' not in report.details and not kind.startswith(('double-free', 'invalid-free'))


KASAN = Hooks('kasan', start=_kasan_start, line=_kasan_line, title=_kasan_title, check=_kasan_check)


# ---- kmemleak records printed to the log (mm/kmemleak.c, verbose mode) -----------------------
def _kmemleak_start(report):
    report.state['kmemleak'] = RecordParser()
    report.state['kmemleak'].feed(report.line.text, report.lineno)


def _kmemleak_line(report, text):
    parser = report.state['kmemleak']
    rec = parser.feed(text, report.cur_lineno)
    if rec is not None:
        report.state['record'] = rec
        report.done = True
    elif not parser.active:
        report.done = True
    return True  # the record parser reads every line of the record


def _kmemleak_finish(report, corrupted):
    rec = report.state.get('record') or report.state['kmemleak'].close()
    if rec is None:
        return None
    func = rec.get('function')
    # no blamable frame: the backtrace was cut (or holds allocator frames only)
    return report.make_finding('memory leak in %s' % title_func(func) if func else 'memory leak', func,
                               rec.get('corrupted') or corrupted or func is None,
                               task=rec.get('comm'), pid=rec.get('pid'), stack=rec.get('backtrace') or [],
                               details=dict(size=rec.get('size'), address=rec.get('address'),
                                            kind=rec.get('kind'), crc=rec.get('crc'), age=rec.get('age'),
                                            jiffies=rec.get('jiffies'), hex=rec.get('hex')))


KMEMLEAK = Hooks('kmemleak', start=_kmemleak_start, line=_kmemleak_line, finish=_kmemleak_finish)


# ---- KCSAN (kernel/kcsan/report.c: "BUG: KCSAN: data-race in F1 / F2") -----------------------
def _kcsan_title(report, func):
    g = report.groups
    funcs = ' / '.join(title_func(p.strip().split('+')[0].split('.')[0]) for p in g.get('what', '').split('/'))
    return 'KCSAN: %s in %s' % (g.get('kind', ''), funcs)


KCSAN = Hooks('kcsan', title=_kcsan_title)


# ---- panic (kernel/panic.c:panic) ------------------------------------------------------------
_PANIC_TITLES = tuple((re.compile(rx), title) for rx, title in PANIC_TITLES)


def panic_title(msg):
    """Title of "Kernel panic - not syncing: MSG" (title_rules.PANIC_TITLES)."""
    msg = (msg or '').strip()
    for regex, title in _PANIC_TITLES:
        m = regex.match(msg)
        if m:
            values = dict((k, title_func(v)) for k, v in m.groupdict().items() if v)
            return title.format(**values)
    return 'kernel panic: %s' % sanitize_title(msg)


def _panic_title(report, func):
    return panic_title(report.groups.get('msg', ''))


PANIC = Hooks('panic', title=_panic_title)
