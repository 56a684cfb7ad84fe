# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lazy_regex: a regex compiled at its first use is the regex re.compile gives at import, the
module's global is then the compiled pattern itself, and the parsers give the same results
whether the regexes were compiled before the parse or during it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils import (
    frames, kernel_findings, kmemleak_report, kmsg, lazy_regex, locks, report_hooks, title_rules,
)
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

PATTERN_TYPE = type(re.compile(''))
MODULES = (frames, kernel_findings, kmemleak_report, kmsg, locks, report_hooks, title_rules)
COLLECTIONS_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(kmsg.__file__).rsplit(
    os.sep + 'plugins' + os.sep, 1)[0])))


def _lazy_names():
    """(module, global name, LazyPattern) of every lazy regex of the parser modules."""
    by_id = dict((id(p), p) for p in lazy_regex.REGISTRY)
    out = []
    for mod in MODULES:
        for name, value in vars(mod).items():
            if id(value) in by_id:
                out.append((mod, name, value))
    return out


def test_every_lazy_regex_is_a_module_global_or_a_table_entry():
    # (a module global is looked up by its name when the code runs; a table entry, its
    # namespace None, stays the object the code calls)
    names = _lazy_names()
    assert len(lazy_regex.REGISTRY) > 40
    in_globals = set(id(p) for _mod, _name, p in names)
    for p in lazy_regex.REGISTRY:
        if p.__class__ is lazy_regex.LazyPattern:
            assert (id(p) in in_globals) == (p.__dict__['_lazy'][0] is not None), p
    assert any(p.__dict__['_lazy'][0] is None for p in lazy_regex.REGISTRY)


def test_lazy_regex_compiles_to_re_compile_of_its_source_and_replaces_its_global():
    for p in lazy_regex.REGISTRY:
        _namespace, pattern, flags = p.__dict__['_lazy']
        got = p.compiled()
        want = re.compile(pattern, flags)
        assert got.__class__ is PATTERN_TYPE
        assert (got.pattern, got.flags, got.groups, got.groupindex) == (want.pattern, want.flags, want.groups,
                                                                        want.groupindex)
        assert got == want
        # the proxy (a reference taken before) hands out the compiled pattern's own attributes
        assert p.pattern == want.pattern and p.flags == want.flags
        assert p.match.__self__ is got and p.search.__self__ is got and p.sub.__self__ is got
        assert p.__class__ is lazy_regex._Compiled
    for mod in MODULES:
        for name, value in vars(mod).items():
            assert value.__class__ is not lazy_regex.LazyPattern and not isinstance(value, lazy_regex._Compiled), \
                '%s.%s is still a proxy after its compile' % (mod.__name__, name)


def test_lazy_regex_with_flags_and_a_reference_taken_before():
    ns = {}
    ns['X'] = lazy_regex.lazy(ns, r'a.b', re.S | re.I)
    held = ns['X']
    assert ns['X'].__class__ is lazy_regex.LazyPattern  # nothing compiled yet
    assert held.match('A\nB').group(0) == 'A\nB'
    assert ns['X'] is re.compile(r'a.b', re.S | re.I) or ns['X'] == re.compile(r'a.b', re.S | re.I)
    assert ns['X'].__class__ is PATTERN_TYPE
    assert held.findall('a\nb a-b') == ['a\nb', 'a-b'] and held.flags == ns['X'].flags
    with pytest.raises(AttributeError):
        assert held.no_such_attribute is None
    # in a table (namespace None): the object itself serves, compiled at its first use
    entry = lazy_regex.lazy(None, r'(\d+)x')
    assert entry.__class__ is lazy_regex.LazyPattern
    assert entry.sub(r'<\1>', '12x 3x') == '<12> <3>' and entry.__class__ is lazy_regex._Compiled
    assert entry.compiled() == re.compile(r'(\d+)x') and entry.search.__self__ is entry.compiled()


SCRIPT = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings, kmemleak_report, lazy_regex
left = sum(1 for p in lazy_regex.REGISTRY if p.__class__ is lazy_regex.LazyPattern)
if sys.argv[3] == 'eager':
    for p in lazy_regex.REGISTRY:
        p.compiled()
out = {'_lazy_after_import': [left, len(lazy_regex.REGISTRY)]}
for name in sorted(os.listdir(sys.argv[2])):
    with open(os.path.join(sys.argv[2], name), 'rb') as f:
        data = f.read()
    out[name] = [kernel_findings.collect(data), kmemleak_report.summarize(data)]
sys.stdout.write(json.dumps(out, sort_keys=True, default=repr))
'''


def _parse_all(mode):
    env = dict(os.environ)
    return json.loads(subprocess.check_output([sys.executable, '-c', SCRIPT, COLLECTIONS_ROOT, pf.FIXTURE_DIR, mode],
                                              env=env).decode('utf-8'))


def test_parsers_give_the_same_results_with_regexes_compiled_before_or_during_the_parse():
    lazy, eager = _parse_all('lazy'), _parse_all('eager')
    # in a fresh interpreter, the import compiles none of them (else they were made lazy for nothing)
    left, total = lazy.pop('_lazy_after_import')
    assert left == total > 40
    eager.pop('_lazy_after_import')
    assert sorted(lazy) == sorted(os.listdir(pf.FIXTURE_DIR)) and len(lazy) > 20
    assert sum(len(v[0]['findings']) + len(v[1]['findings']) for v in lazy.values()) > 30
    assert lazy == eager


HASHLIB_SCRIPT = r'''
import hashlib, sys
sys.path.insert(0, sys.argv[1])
del sys.modules['hashlib']
from ansible_collections.kdebug.kernel.plugins.module_utils import kernel_findings, kmemleak_report
out = ['hashlib' in sys.modules]
sites = [u'kmalloc_trace+0x1/0x2', u'f\u00e9+0x3/0x4']
out.append(kmemleak_report.signature_of(sites) == hashlib.sha1(u'\n'.join(sites).encode('utf-8')).hexdigest()[:16])
out.append(kmemleak_report._sha1 is sys.modules['hashlib'].sha1)
out.append(kmemleak_report.signature_of([u'x']) == hashlib.sha1(b'x').hexdigest()[:16])
sys.stdout.write(repr(out))
'''


def test_hashlib_is_imported_at_the_first_signature_which_is_the_sha1_of_the_sites():
    out = subprocess.check_output([sys.executable, '-c', HASHLIB_SCRIPT, COLLECTIONS_ROOT]).decode('ascii')
    assert out == '[False, True, True, True]'
