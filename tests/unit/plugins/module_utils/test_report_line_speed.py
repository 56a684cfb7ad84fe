# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shortcuts on the path of a line inside a kernel report give what the plain regexes
they stand in for give (each reference below is the code before the shortcut)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.kdebug.kernel.plugins.module_utils import frames, kernel_findings as kf, kmsg, locks
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: message texts of every fixture line (time stamp prefixes parsed off)
TEXTS = sorted(set(kmsg.parse_line(line).text for name in pf.names() for line in pf.load(name).splitlines()))
BITS = [u' ', u'  ', u'\t', u'\xa0', u'\u3000', u'<IRQ>', u'</TASK>', u'<<EOE>>', u'<', u'#', u'#0: ', u'=' * 12,
        u'held by ', u'no locks held by dd/1.', u'state:', u'0x', u'task:', u'CPU: ', u'kmemleak:', u'lockdep',
        u'[', u']', u'\ufffd', u'x'] + [k[:i] for k in kf.PREFILTER_KEYS for i in (1, len(k) - 1, len(k))]


@st.composite
def texts(draw):
    """A fixture line with pieces of keys, markers and lock lines put in."""
    text = draw(st.sampled_from(TEXTS))
    for _step in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(BITS)) + text[at + draw(st.integers(0, 2)):]
    return text


def test_texts_reach_the_shortcuts():
    """Not a vacuous comparison: the fixture lines hold keys, markers, lock and task lines."""
    assert any(kf.PREFILTER_RE.search(t) for t in TEXTS) and not all(kf.PREFILTER_RE.search(t) for t in TEXTS)
    assert any(frames._SECTION_RE.match(t) for t in TEXTS)
    assert any(locks.LOCK_LINE_RE.match(t) for t in TEXTS) and any(locks.HELD_HEADER_RE.match(t) for t in TEXTS)
    assert any(locks.parse_task_line(t) for t in TEXTS)


@SETTINGS
@given(texts())
def test_prefilter_is_found_where_a_key_is(text):
    """PREFILTER_RE (each key written from its rarest character on) is found in a text
    exactly when one of the keys is."""
    assert bool(kf.PREFILTER_RE.search(text)) == any(k in text for k in kf.PREFILTER_KEYS)


def _strip_markers_plain(text):
    m = frames._LEAD_RE.match(text)
    if not m or m.end() == 0:
        return (), text
    return tuple(frames._MARKERS_RE.findall(text[:m.end()])), text[m.end():]


@SETTINGS
@given(texts())
def test_stack_line_shortcuts_equal_the_regexes(text):
    assert frames.strip_markers(text) == _strip_markers_plain(text)
    m = frames._SECTION_RE.match(text)
    assert (frames.section_marker(text) is None) == (m is None)


def _task_line_plain(text):
    m = locks._NEW_TASK_RE.match(text)
    if m:
        pid = locks._NEW_PID_RE.search(m.group(3))
        if not pid:
            return None
        ppid = locks._NEW_PPID_RE.search(m.group(3))
        return dict(task=m.group(1).strip(), pid=int(pid.group(1)),
                    ppid=int(ppid.group(1)) if ppid else None, state=m.group(2))
    m = locks._OLD_TASK_RE.match(text)
    if m:
        return dict(task=m.group(1).strip(), pid=int(m.group(5)), ppid=int(m.group(6)), state=m.group(2))
    return None


class _PlainHeldLocks(locks.HeldLocksParser):
    """HeldLocksParser with every regex tried on every line."""

    def feed(self, text):
        if text.startswith('kmemleak:'):
            return False
        if locks.SHOW_ALL_RE.search(text):
            self.all_locks = True
            self.current = None
            return True
        m = locks.HELD_HEADER_RE.match(text)
        if m:
            self._add(dict(task=m.group(2), pid=int(m.group(3)), count=int(m.group(1)), locks=[]))
            return True
        m = locks.NO_LOCKS_RE.match(text)
        if m:
            self._add(dict(task=m.group(1), pid=int(m.group(2)), count=0, locks=[]))
            self.current = None
            return True
        if self.current is not None:
            lock = locks.parse_lock_line(text)
            if lock is not None:
                held = self.current['locks']
                if held and held[-1]['index'] == lock['index']:
                    prev = held[-1]
                    if prev.get('at') and prev['at'].endswith('[inline]'):
                        prev['at'] = lock['at']
                    return True
                if len(held) < locks.MAX_LOCKS:
                    held.append(lock)
                return True
        if locks.LOCKDEP_OFF_RE.search(text):
            self.lockdep_off = True
            return True
        if self.all_locks and locks.SEPARATOR_RE.match(text):
            self.all_locks = False
            self.current = None
            return True
        if self.all_locks and not text.strip():
            return True
        self.current = None
        return False


LOCK_TEXTS = [t for t in TEXTS if 'held' in t or '#' in t or '=' in t or 'lockdep' in t]


@SETTINGS
@given(st.lists(st.one_of(texts(), st.sampled_from(LOCK_TEXTS)), max_size=30))
def test_lock_and_task_lines_as_without_the_shortcuts(lines):
    fast, plain = locks.HeldLocksParser(), _PlainHeldLocks()
    assert [fast.feed(t) for t in lines] == [plain.feed(t) for t in lines]
    assert (fast.entries, fast.all_locks, fast.lockdep_off) == (plain.entries, plain.all_locks, plain.lockdep_off)
    assert [locks.parse_task_line(t) for t in lines] == [_task_line_plain(t) for t in lines]


@SETTINGS
@given(st.sampled_from([u'[', u'[ ', u'[    ']), st.text(u'0123456789', min_size=1, max_size=11),
       st.text(u'0123456789', min_size=1, max_size=10), st.sampled_from([u']', u'] ', u']  ', u'].']),
       st.sampled_from([u'', u'[T1]', u'[ C12] ', u'[  T123]x', u'[X1]', u' [T1]', u'[T]', u'[T12345678901]']))
def test_time_stamp_and_caller_in_one_match(lead, secs, frac, close, caller):
    """_TS_CALLER_RE gives the time stamp, caller and end that _TS_RE then _CALLER_RE give."""
    text = lead + secs + u'.' + frac + close + caller + u'msg'
    m = kmsg._TS_CALLER_RE.match(text)
    ts = kmsg._TS_RE.match(text)
    assert (m is None) == (ts is None)
    if m is not None:
        cm = kmsg._CALLER_RE.match(text, ts.end())
        assert m.group(1, 2) == ts.group(1, 2)
        assert m.group(3) == (cm.group(1) if cm else None)
        assert m.end() == (cm.end() if cm else ts.end())
        line = kmsg.parse_line(text)
        assert line.ts == int(secs) + int(frac) / (10.0 ** len(frac))


def test_format_regexes_compiled_on_first_read_are_the_table_s():
    """ReportFormat compiles its regex fields when first read: each is the table's regex (and
    every one of them compiles), read once more it is the same object."""
    from ansible_collections.kdebug.kernel.plugins.module_utils.report_format import REGEX_FIELDS, ReportFormat
    fresh = ReportFormat(name='x', keys=('k',), start=r'k (?P<a>\d+)', parts=(('stack', r'^Call'), ('rip', None)))
    assert 'start' not in vars(fresh) and fresh.has_stack and fresh.after == 'finish'
    assert fresh.start.pattern == r'k (?P<a>\d+)' and fresh.start is fresh.start and 'start' in vars(fresh)
    assert [(k, rx and rx.pattern) for k, rx in fresh.parts] == [('stack', r'^Call'), ('rip', None)]
    assert fresh.loose is None and fresh.end is None
    for fmt in kf.FORMATS:
        for name in REGEX_FIELDS:
            value = getattr(fmt, name)
            source = fmt.spec.get(name)
            if name == 'parts':
                assert [(k, rx and rx.pattern) for k, rx in value] == [(k, a or None) for k, a in source or ()]
            elif name == 'start' or source:
                assert value.pattern == source, (fmt.name, name)
            else:
                assert value is None, (fmt.name, name)
            assert getattr(fmt, name) is value


def _skip_matchers():
    from ansible_collections.kdebug.kernel.plugins.module_utils import title_rules
    for fmt in kf.FORMATS:
        fmt.skip.search('x')  # (compiled, so that the shared list and the format's are in the cache)
        for _checker, skip in fmt.checkers:
            skip.search('x')
    return sorted(title_rules._SKIP_CACHE.values(), key=lambda m: m.patterns)


MATCHERS = _skip_matchers()
WORDS = sorted(set(w for m in MATCHERS for p in m.patterns for w in re.findall(r'[A-Za-z0-9_]+', p)))


@st.composite
def func_names(draw):
    """Function names: words of the patterns, cut, joined and with bits around them."""
    name = u''.join(draw(st.lists(st.sampled_from(WORDS + [u'_', u'__', u'x', u'.isra.0', u'64']), min_size=1,
                                  max_size=3)))
    if draw(st.booleans()):
        name = name[draw(st.integers(0, len(name))):]
    return name + draw(st.sampled_from([u'', u'', u'\n', u'x', u'_']))


@SETTINGS
@given(st.sampled_from(MATCHERS), func_names())
def test_skip_lists_as_their_regexes(matcher, name):
    """SkipMatcher (words tested as strings, only the other patterns compiled) answers what
    searching each of its patterns (and its base's) answers."""
    patterns = matcher.patterns + (matcher.base.patterns if matcher.base is not None else ())
    assert matcher.search(name) == any(re.search(p, name) for p in patterns)


def test_skip_lists_as_their_regexes_on_every_word():
    """Each word of a pattern alone, with a newline (which $ matches before) and with more
    around it, for every matcher."""
    names = set()
    for word in WORDS:
        names.update((word, word + '\n', 'x' + word, word + 'x', '_' + word + '\n'))
    names = sorted(names)
    for matcher in MATCHERS:
        patterns = matcher.patterns + (matcher.base.patterns if matcher.base is not None else ())
        rx = re.compile('|'.join('(?:%s)' % p for p in patterns))
        assert [n for n in names if matcher.search(n)] == [n for n in names if rx.search(n)], matcher.patterns[:3]


def _clean_plain(text):
    text = text[:kmsg.MAX_LINE].rstrip(u'\r\n')
    if u'\x1b' in text:
        text = kmsg._ANSI_RE.sub(u'', text)
    return kmsg._CTRL_RE.sub(u'', text)


@SETTINGS
@given(texts(), st.lists(st.sampled_from([u'\x00', u'\x07', u'\t', u'\x0b', u'\x1c', u'\x7f', u'\ufeff', u'\x85',
                                          u'\xa0', u'\u2028', u'\x1b[0m', u'\r', u'\n', u'\U0001f600']), max_size=3),
       st.integers(0, 200))
def test_clean_as_with_the_control_character_search(text, bits, at):
    """clean() searches for control characters only in a line that is not printable."""
    for bit in bits:
        text = text[:at] + bit + text[at:]
    assert kmsg.clean(text) == _clean_plain(text)


@SETTINGS
@given(st.one_of(texts(), func_names()))
def test_sanitize_title_memoized_as_computed(text):
    from ansible_collections.kdebug.kernel.plugins.module_utils import title_rules
    plain = text.strip()
    for regex, repl in title_rules._REPLACEMENTS:
        plain = regex.sub(repl, plain)
    plain = re.sub(r'\s+', ' ', plain)[:200]
    assert title_rules.sanitize_title(text) == plain
    assert title_rules.sanitize_title(text) == plain  # (from the memo when short)


def _match_start_plain(text):
    if not kf.PREFILTER_RE.search(text):
        return None
    for fmt in kf.FORMATS:
        if not any(key in text for key in fmt.keys):
            continue
        m = fmt.start.search(text)
        if m:
            return fmt, m.span(), m.groupdict(), True
        if fmt.loose is not None:
            m = fmt.loose.search(text)
            if m:
                return fmt, m.span(), m.groupdict(), False
    return None


@SETTINGS
@given(texts())
def test_match_start_tries_the_formats_the_table_loop_tries(text):
    hit = kf.match_start(text)
    assert (hit and (hit[0], hit[1].span(), hit[1].groupdict(), hit[2])) == _match_start_plain(text)


def test_match_start_on_every_fixture_line():
    hits = 0
    for text in TEXTS:
        hit = kf.match_start(text)
        assert (hit and (hit[0], hit[1].span(), hit[1].groupdict(), hit[2])) == _match_start_plain(text), text
        hits += hit is not None
    assert hits > 50


def _frame_fields(f):
    return None if f is None else tuple(getattr(f, k) for k in ('func', 'symbol', 'offset', 'module', 'address',
                                                                'reliable', 'inline', 'src', 'raw'))


def _line_facts_plain(text):
    hit = _match_start_plain(text)
    return (kf.match_note(text), kf._CUT_HERE_RE.search(text) is not None, hit,
            'Showing all locks held in the system' in text)


@SETTINGS
@given(texts())
def test_frame_and_line_shortcuts_equal_the_plain_calls(text):
    """parse_frame (which answers a text without '0x', '[inline]' or '(null)' before its cache)
    gives what _parse_frame gives; a line of markers only is no frame (_FuncReader._try_stack
    relies on it); the remembered facts of a line with a key are those of the plain calls, the
    second time too; a line without a '.' holds no glued time stamp (split_glued)."""
    assert _frame_fields(frames.parse_frame(text)) == _frame_fields(frames._parse_frame(text))
    markers, rest = frames.strip_markers(text)
    if markers and not rest.strip():
        assert frames.parse_frame(text) is None
    if kf.PREFILTER_RE.search(text):
        for facts in (kf._line_facts(text), kf._KEY_FACTS.get(text)):
            note, cut_here, hit, all_locks = facts
            assert (note, cut_here, hit and (hit[0], hit[1].span(), hit[1].groupdict(), hit[2]),
                    all_locks) == _line_facts_plain(text)
    if u'.' not in text:
        assert kmsg._EMBEDDED_TS_RE.search(text) is None


def _title_func_plain(func):
    from ansible_collections.kdebug.kernel.plugins.module_utils import title_rules
    if not func:
        return func
    for regex, repl in title_rules._SYSCALL_RES:
        m = regex.match(func)
        if m and m.end() < len(func):
            return repl + func[m.end():]
    return func


@SETTINGS
@given(func_names())
def test_title_func_remembered_as_computed(name):
    from ansible_collections.kdebug.kernel.plugins.module_utils import title_rules
    assert title_rules.title_func(name) == _title_func_plain(name)
    assert title_rules.title_func(name) == _title_func_plain(name)  # (the remembered answer)
    assert title_rules.title_func(u'__x64_sys_' + name) == _title_func_plain(u'__x64_sys_' + name)
