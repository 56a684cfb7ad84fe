# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Regexes compiled at their first use, not at import.

re.compile is pure Python: the parser library's ~130 module-level regexes took about half of
its import time, and a parse uses only some of them (a kmemleak report: a handful). A module
defines ``NAME = lazy(globals(), pattern, flags)``; the first attribute looked up on it compiles
``re.compile(pattern, flags)`` and puts the compiled pattern in the module's globals in its
place, so the module's functions (which look NAME up when they run) then use the plain
compiled pattern: no cost per call. References taken before (``from m import NAME``, another
module's ``m.NAME``) keep this object, which then holds the compiled pattern's methods and
attributes in its own ``__dict__`` (a plain attribute look-up, no call of ours).

Only for regexes used through a name looked up when the code runs, or kept in a table that is
not read for every line; a pattern that must be a real compiled pattern (passed to re.sub,
re.compile, isinstance) is compiled at import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

#: the attributes of a compiled pattern (fullmatch: Python 3.4+)
_ATTRS = ('match', 'search', 'fullmatch', 'sub', 'subn', 'split', 'findall', 'finditer', 'scanner',
          'pattern', 'flags', 'groups', 'groupindex')

#: every LazyPattern made, in order (for the tests: each compiles to re.compile(pattern, flags))
REGISTRY = []


class LazyPattern(object):
    """re.compile(pattern, flags) at the first attribute look-up; see the module's doc."""

    def __init__(self, namespace, pattern, flags=0):
        self.__dict__['_lazy'] = (namespace, pattern, flags)

    def compiled(self):
        """The compiled pattern (compiled at the first call)."""
        regex = self.__dict__.get('_regex')
        if regex is not None:
            return regex
        namespace, pattern, flags = self.__dict__['_lazy']
        regex = re.compile(pattern, flags)
        for attr in _ATTRS:
            if hasattr(regex, attr):
                self.__dict__[attr] = getattr(regex, attr)
        self.__dict__['_regex'] = regex
        # without __getattr__, a look-up on this object is as cheap as on any object
        self.__class__ = _Compiled
        for name, value in list((namespace or {}).items()):
            if value is self:
                namespace[name] = regex
        return regex

    def __getattr__(self, attr):
        # only called for attributes not in __dict__: before the compile, or one not in _ATTRS
        if attr.startswith('__'):
            raise AttributeError(attr)
        return getattr(self.compiled(), attr)

    def __repr__(self):
        return 'LazyPattern(%r, %r)' % self.__dict__['_lazy'][1:]


class _Compiled(object):
    """A LazyPattern once compiled (its class from then on: no __getattr__): every attribute
    of the compiled pattern is in its __dict__."""

    def compiled(self):
        return self.__dict__['_regex']

    def __repr__(self):
        return repr(self.__dict__['_regex'])


def lazy(namespace, pattern, flags=0):
    """A LazyPattern of ``pattern``; ``namespace``: the defining module's globals(), or None
    for a regex kept in a table or an attribute (then this object, once compiled, is what the
    code calls: its methods are the compiled pattern's, looked up in its __dict__)."""
    p = LazyPattern(namespace, pattern, flags)
    REGISTRY.append(p)
    return p
