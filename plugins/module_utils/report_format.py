# -*- coding: utf-8 -*-
# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The type of a report format (one entry of kernel_findings.REPORT_FORMATS).

Every field is listed in FIELDS with its default and what it means; a format given a key that
is not a field fails at import (ValueError), so the table cannot say something the engine does
not read. Per-family behaviour is not a flag the engine tests: a format points to a Hooks object
(named functions), the engine calls them. Stdlib only; Python 2.7 and 3.6+.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.kdebug.kernel.plugins.module_utils.title_rules import skip_regex

# ---------------------------------------------------------------------------------------
# part kinds: where FUNC comes from, tried in order
AT = 'at'            # frame after "at:" on a lock line (after the part's trigger line)
FRAME = 'frame'      # first frame line after the part's trigger line
RIP = 'rip'          # instruction pointer line ("RIP: 0010:func+..", "IP: [<..>] func", "pc : func")
STACK = 'stack'      # call trace: frames until a non-frame line (after an optional trigger)
HEADER = 'header'    # the function named in the report's first line (start group 'hfunc')
LINE = 'line'        # a regex with group 'func' on a later line (the part's trigger is that regex)
PART_KINDS = (AT, FRAME, RIP, STACK, HEADER, LINE)

# what follows the parts
AFTER_KINDS = ('now', 'finish', 'locks', 'tail', 'end')
# how the guilty frame is chosen (title_rules.guilty_frame)
EXTRACTOR_NAMES = ('first', 'hang', 'stall', 'stall_nmi')

REQUIRED = object()


class Hooks(object):
    """Per-family behaviour a format points to. Each hook is a function or None (nothing to do):

    start(report): the start line was read (report.groups holds its named groups).
    line(report, text): a continuation line, before the parts machine sees it.
    absorb(report, fmt, groups, line): a start line of format ``fmt`` that this report absorbs
        (fmt.name in its ``absorb``); returns True when the hook handled it.
    title(report, func): the finding's title, or None for the format's template.
    check(report): True when the report lacks something it must have (corrupted).
    finish(report, corrupted): the finding dict itself (a report read by another parser),
        or None for the engine's.
    """

    NAMES = ('start', 'line', 'absorb', 'title', 'check', 'finish')

    def __init__(self, name, **hooks):
        unknown = set(hooks) - set(self.NAMES)
        if unknown:
            raise ValueError('Hooks %s: unknown hooks %s' % (name, ', '.join(sorted(unknown))))
        self.name = name
        for key in self.NAMES:
            setattr(self, key, hooks.get(key))

    def __repr__(self):
        return 'Hooks(%s)' % self.name


NO_HOOKS = Hooks('none')

#: (field, default, meaning). REQUIRED: the format must give it.
FIELDS = (
    ('name', REQUIRED, 'identifier of the format, unique in the table'),
    ('type', None, 'finding type (kernel_findings.FINDING_TYPES); None: a line recognized only so that '
                   'it is not taken for another report (no finding)'),
    ('keys', REQUIRED, 'literal substrings, one of which every start line contains (the prefilter)'),
    ('start', REQUIRED, 'regex searched in the message text of the line that starts the report; its named '
                        'groups are title values (task, pid, src, srcline, hfunc have fixed meanings)'),
    ('loose', None, 'regex of a start line cut mid-way or in an unknown form: the report is corrupted'),
    ('title', '', 'title template: {FUNC} the guilty function, {group} a start-line group with its '
                  'variable parts replaced (title_rules.TITLE_REPLACEMENTS)'),
    ('alt_titles', (), 'templates of the other titles syzbot accepts for the same report'),
    ('parts', (), 'where FUNC comes from: (kind, trigger regex or None) pairs tried in order (PART_KINDS)'),
    ('skip', (), 'frames never blamed in this report, on top of title_rules.COMMON_SKIP'),
    ('extractor', 'first', "how the guilty frame is chosen (title_rules): 'first', 'hang', 'stall' (the stack "
                           "after the timer-interrupt entry) or 'stall_nmi' (the whole stack: printed from an NMI)"),
    ('end', None, 'regex of the line that ends the report'),
    ('after', None, "what is read after the parts (AFTER_KINDS): 'now' (nothing, not even the parts), "
                    "'finish' (nothing), 'locks' (held-lock lines), 'tail' (``tail`` lines), 'end' (up to "
                    "``end``); None: 'finish' when there are parts, else 'now'"),
    ('tail', 0, "lines read after the parts when after='tail'"),
    ('absorb', (), 'names of formats whose start lines are part of this report'),
    ('absorb_window', 0, 'start lines are absorbed only within this many lines of the start (0: anywhere)'),
    ('takes_over', False, 'absorbed into another report, this format becomes the report\'s format '
                          '(3.10 hard lockups printed through WARN())'),
    ('task', None, 'regex with groups task and pid on a later line naming the report\'s task'),
    ('skip_irq', False, 'frames inside <NMI> sections are not blamed (the detector\'s own stack)'),
    ('require', (), 'details without which the report is corrupted'),
    ('needs_frames', False, 'no finding at all without a frame (user space can print the same header)'),
    ('max_lines', 1000, 'lines after which the report is closed'),
    ('func_optional', None, 'a report without FUNC is not corrupted; None: when the title has no {FUNC}'),
    ('corrupted', False, 'the report is always corrupted (a header known to have lost its tail)'),
    ('gate', None, 'regex: lines before its first match belong to the detector, not to the stalled '
                   'context (the parts start after it)'),
    ('other_cpu', False, 'the gate and triggers must name another CPU than the "detected by N" one'),
    ('patience', 60, 'lines in a row that add nothing to the report before it is given up'),
    ('body', None, 'regex of lines that belong to the report without adding to it (keep it alive)'),
    ('checkers', (), 'title_rules.Checker rules: another title (and skip list) by source file, function '
                     'or message'),
    ('int_details', (), 'start-line groups copied into details as integers'),
    ('source_detail', False, "details['source'] is FILE:LINE of the start line's src/srcline groups"),
    ('inert_inside', False, 'with type None: the line does not interrupt a report printed around it'),
    ('locks_of_any', False, 'the held locks printed in the report are the report\'s even when they name '
                            'another task (lockdep prints the culprit\'s)'),
    ('wait_for_locks', False, 'a finding without held locks takes them from a later "Showing all locks '
                              'held in the system" block'),
    ('merge_sum', (), 'details summed when repeats of the report are merged into one finding'),
    ('sanitize', True, 'start-line groups in the title get their variable parts replaced'),
    ('hooks', NO_HOOKS, 'per-family behaviour (a Hooks object)'),
)
FIELD_NAMES = tuple(f[0] for f in FIELDS)


def _compile(value):
    return re.compile(value) if value else None


#: the fields that are regexes (parts: (kind, regex) pairs), compiled when first read
REGEX_FIELDS = ('start', 'loose', 'end', 'task', 'gate', 'body', 'parts')


class _Compiled(object):
    """A regex field of ReportFormat, compiled when the engine first reads it. A log holds few
    of the table's report kinds (the start regex of a format is tried only on a line with one
    of its keys), and compiling the regexes of all 64 formats at import took about 10 ms of
    every run. The compiled value then lives in the instance's __dict__, which Python reads
    before a descriptor without __set__: later reads cost what a plain attribute costs."""

    def __init__(self, name):
        self.name = name

    def __get__(self, fmt, owner=None):
        if fmt is None:
            return self
        source = fmt._sources[self.name]
        if self.name == 'parts':
            value = tuple((kind, _compile(arg)) for kind, arg in source)
        elif self.name == 'start':
            value = re.compile(source)
        else:
            value = _compile(source)
        fmt.__dict__[self.name] = value
        return value


class ReportFormat(object):
    """One report format. Keyword arguments are the FIELDS; unknown keys raise ValueError.
    The REGEX_FIELDS are compiled when first read (see _Compiled)."""

    start = _Compiled('start')
    loose = _Compiled('loose')
    end = _Compiled('end')
    task = _Compiled('task')
    gate = _Compiled('gate')
    body = _Compiled('body')
    parts = _Compiled('parts')

    def __init__(self, **spec):
        unknown = set(spec) - set(FIELD_NAMES)
        if unknown:
            raise ValueError('report format %s: unknown keys %s' % (spec.get('name'), ', '.join(sorted(unknown))))
        self._sources = {}
        for field, default, _doc in FIELDS:
            if field in spec:
                value = spec[field]
            elif default is REQUIRED:
                raise ValueError('report format %s: %s is required' % (spec.get('name'), field))
            else:
                value = default
            if field in REGEX_FIELDS:
                self._sources[field] = value
            else:
                setattr(self, field, value)
        self.spec = spec
        self.keys = tuple(self.keys)
        parts = tuple(self._sources['parts'])
        for kind, _arg in parts:
            if kind not in PART_KINDS:
                raise ValueError('report format %s: unknown part kind %r' % (self.name, kind))
        self._sources['parts'] = parts
        self.has_stack = any(kind == STACK for kind, _arg in parts)
        self.skip_extra = tuple(self.skip)
        self.skip = skip_regex(self.skip_extra)
        if self.after is None:
            self.after = 'finish' if parts else 'now'
        if not parts and self.after == 'finish':
            self.after = 'now'
        if self.extractor not in EXTRACTOR_NAMES:
            raise ValueError('report format %s: unknown extractor %r' % (self.name, self.extractor))
        if self.after not in AFTER_KINDS:
            raise ValueError('report format %s: unknown after %r' % (self.name, self.after))
        if self.func_optional is None:
            self.func_optional = '{FUNC}' not in self.title and self.hooks.title is None
        self.checkers = tuple((c, skip_regex(self.skip_extra + c.skip)) for c in self.checkers)
        self.absorb = frozenset(self.absorb)
        if not isinstance(self.hooks, Hooks):
            raise ValueError('report format %s: hooks must be a Hooks object' % self.name)

    def __repr__(self):
        return 'ReportFormat(%s)' % self.name


def field_doc():
    """The fields as text (for documentation and tests)."""
    return '\n'.join('%s (default %s): %s' % (name, 'required' if default is REQUIRED else repr(default), doc)
                     for name, default, doc in FIELDS)
