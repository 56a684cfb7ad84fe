# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparison of two environment fingerprints (environment.FORMAT), version-aware for
packages: rpm's epoch:version-release order (rpmvercmp, lib/rpmvercmp.c of rpm 4.15+, with
tilde and caret) and dpkg's (verrevcmp, lib/dpkg/version.c). Used by the environment_diff
filter; stdlib only and Python 2.7 compatible like every module_utils file.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch
import json
import re

from ansible_collections.kdebug.kernel.plugins.module_utils.bootloader import rpmvercmp

# str and, on Python 2, unicode
string_types = (str, type(u''))

KEY_SEP = ' / '
MAC_ANY_RE = re.compile(r'(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b')
PACKAGE_MANAGERS = ('rpm', 'dpkg')
FACT_KEY = 'environment_fingerprint'


# --- rpm --------------------------------------------------------------------------------

# rpmvercmp(a, b): -1, 0 or 1, rpm's lib/rpmvercmp.c rules: segments are runs of ASCII digits
# or letters, anything else separates them; '~' sorts before everything (even the end of the
# string: 1.0~rc1 < 1.0); '^' sorts after the end of the string but before any other segment
# (1.0 < 1.0^git1 < 1.0.1); a numeric segment is newer than an alphabetic one; numbers compare
# by value (leading zeros dropped), letters by strcmp; when all segments are equal, the
# version with characters left wins. One implementation serves the boot loader code (newest
# kernel) and the environment diff.
rpm_vercmp = rpmvercmp


def _isdigit(c):
    return c in '0123456789'


def _isalpha(c):
    return c.isalpha() and ord(c) < 128


def split_evr(evr):
    """'E:V-R' -> (epoch int, version, release or None). A missing epoch is 0."""
    epoch = 0
    match = re.match(r'^(\d+):(.*)$', evr)
    if match:
        epoch = int(match.group(1))
        evr = match.group(2)
    if '-' in evr:
        version, release = evr.rsplit('-', 1)
    else:
        version, release = evr, None
    return epoch, version, release


def rpm_evr_compare(a, b):
    """Compare two rpm 'epoch:version-release' strings (rpmVersionCompare's order)."""
    ea, va, ra = split_evr(a)
    eb, vb, rb = split_evr(b)
    if ea != eb:
        return 1 if ea > eb else -1
    rc = rpm_vercmp(va, vb)
    if rc:
        return rc
    return rpm_vercmp(ra or '', rb or '')


# --- dpkg -------------------------------------------------------------------------------

def _dpkg_order(c):
    """lib/dpkg/version.c order(): digits 0, letters themselves, '~' -1, the end 0, others +256."""
    if not c or _isdigit(c):
        return 0
    if _isalpha(c):
        return ord(c)
    if c == '~':
        return -1
    return ord(c) + 256


def dpkg_verrevcmp(a, b):
    """verrevcmp of lib/dpkg/version.c: compare an upstream version or a revision."""
    i = j = 0
    la, lb = len(a), len(b)
    while i < la or j < lb:
        first_diff = 0
        while (i < la and not _isdigit(a[i])) or (j < lb and not _isdigit(b[j])):
            ac = _dpkg_order(a[i] if i < la else '')
            bc = _dpkg_order(b[j] if j < lb else '')
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < la and a[i] == '0':
            i += 1
        while j < lb and b[j] == '0':
            j += 1
        while i < la and j < lb and _isdigit(a[i]) and _isdigit(b[j]):
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < la and _isdigit(a[i]):
            return 1
        if j < lb and _isdigit(b[j]):
            return -1
        if first_diff:
            return first_diff
    return 0


def split_dpkg_version(version):
    """'[epoch:]upstream[-revision]' -> (epoch int, upstream, revision) as parseversion()."""
    epoch = 0
    if ':' in version:
        head, rest = version.split(':', 1)
        if head.isdigit():
            epoch = int(head)
            version = rest
    if '-' in version:
        upstream, revision = version.rsplit('-', 1)
    else:
        upstream, revision = version, ''
    return epoch, upstream, revision


def dpkg_compare(a, b):
    """dpkg --compare-versions order: -1, 0 or 1."""
    ea, ua, ra = split_dpkg_version(a)
    eb, ub, rb = split_dpkg_version(b)
    if ea != eb:
        return 1 if ea > eb else -1
    rc = dpkg_verrevcmp(ua, ub)
    if not rc:
        rc = dpkg_verrevcmp(ra, rb)
    return (rc > 0) - (rc < 0)


COMPARATORS = dict(rpm=rpm_evr_compare, dpkg=dpkg_compare)


def compare_versions(manager, a, b):
    return COMPARATORS[manager](a, b)


# --- diff -------------------------------------------------------------------------------

def display_key(path):
    return KEY_SEP.join(path)


class IgnoreRules(object):
    """Parsed ignore rules.

    'hostname'          a host's own hostname in a value compares equal to the other's
    'mac'               MAC addresses in values compare equal
    'SECTION'           the whole section is left out
    'SECTION:GLOB'      entries of SECTION whose key (first level or the whole
                        'a / b' key) matches GLOB are left out
    '/PATH/GLOB'        entries with a path key (config files, mounts, modified files)
                        matching the glob are left out, in every section
    """

    def __init__(self, rules, sections):
        self.hostname = False
        self.mac = False
        self.sections = set()
        self.keys = []
        self.paths = []
        for rule in rules or []:
            if not isinstance(rule, string_types) or not rule:
                raise ValueError('ignore: every rule must be a non-empty string, got %r' % (rule,))
            if rule == 'hostname':
                self.hostname = True
            elif rule == 'mac':
                self.mac = True
            elif rule.startswith('/'):
                self.paths.append(rule)
            elif ':' in rule:
                section, pattern = rule.split(':', 1)
                if section != '*' and section not in sections:
                    raise ValueError('ignore: unknown section %r in rule %r; known: %s'
                                     % (section, rule, ', '.join(sections)))
                self.keys.append((section, pattern))
            elif rule in sections:
                self.sections.add(rule)
            else:
                raise ValueError("ignore: rule %r is not understood: use 'hostname', 'mac', a section name, "
                                 "'SECTION:GLOB' or a path glob starting with '/'" % (rule,))

    def drops(self, section, path):
        key = display_key(path)
        for sec, pattern in self.keys:
            if sec in ('*', section) and (fnmatch.fnmatchcase(key, pattern) or
                                          (path and fnmatch.fnmatchcase(path[-1], pattern)) or
                                          any(fnmatch.fnmatchcase(p, pattern) for p in path)):
                return True
        for pattern in self.paths:
            for part in path:
                if part.startswith('/') and fnmatch.fnmatchcase(part, pattern):
                    return True
        return False

    def normalize(self, value, hostnames):
        if not (self.hostname or self.mac):
            return value
        if isinstance(value, list):
            return [self.normalize(v, hostnames) for v in value]
        if isinstance(value, dict):
            return dict((k, self.normalize(v, hostnames)) for k, v in value.items())
        if not isinstance(value, string_types):
            return value
        if self.mac:
            value = MAC_ANY_RE.sub('<mac>', value)
        if self.hostname:
            for name in hostnames:
                if name:
                    value = re.sub(r'(?<![\w.-])%s(?![\w-])' % re.escape(name), '<hostname>', value)
        return value


def _hostnames(fingerprint):
    ident = fingerprint.get('identity') or {}
    names = set()
    for key in ('hostname', 'kernel.hostname'):
        name = ident.get(key)
        if name:
            names.add(name)
            names.add(name.split('.')[0])
    return sorted(names, key=len, reverse=True)


def _unwrap(fingerprint, name):
    if isinstance(fingerprint, string_types):
        try:
            fingerprint = json.loads(fingerprint)
        except ValueError as exc:
            raise ValueError('%s: not a fingerprint (a JSON string that does not parse: %s)' % (name, exc))
    if not isinstance(fingerprint, dict):
        raise ValueError('%s: expected a fingerprint (a dict), got %s' % (name, type(fingerprint).__name__))
    if 'ansible_facts' in fingerprint and FACT_KEY in (fingerprint.get('ansible_facts') or {}):
        fingerprint = fingerprint['ansible_facts'][FACT_KEY]
    elif FACT_KEY in fingerprint and 'format' not in fingerprint:
        fingerprint = fingerprint[FACT_KEY]
    fmt = fingerprint.get('format')
    if not (isinstance(fmt, string_types) and fmt.startswith('kdebug.environment/')):
        raise ValueError('%s: not an environment fingerprint (no format: kdebug.environment/N); pass '
                         'ansible_facts.%s, a registered environment_facts result or a saved fingerprint'
                         % (name, FACT_KEY))
    if fmt != 'kdebug.environment/1':
        raise ValueError('%s: fingerprint format %s is newer than this filter understands '
                         '(kdebug.environment/1)' % (name, fmt))
    return fingerprint


def short_form(fingerprint):
    """The small form a run's results carry: format, digest, digests, complete, hostname, when."""
    fp = _unwrap(fingerprint, 'fingerprint')
    digests = dict(fp.get('digests') or {})
    for name, section in (fp.get('sections') or {}).items():
        if isinstance(section, dict) and section.get('digest'):
            digests[name] = section['digest']
    incomplete = sorted(n for n, s in (fp.get('sections') or {}).items()
                        if isinstance(s, dict) and s.get('complete') is False)
    return dict(format=fp['format'], digest=fp.get('digest'), digests=digests,
                complete=fp.get('complete', not incomplete), incomplete_sections=incomplete or fp.get('incomplete_sections', []),
                hostname=(fp.get('identity') or {}).get('hostname', fp.get('hostname')),
                at=(fp.get('collected') or {}).get('at', fp.get('at')))


def _section_digest(fingerprint, name):
    section = (fingerprint.get('sections') or {}).get(name)
    if isinstance(section, dict) and section.get('digest'):
        return section['digest']
    return (fingerprint.get('digests') or {}).get(name)


def _change_kind(section, path, old, new):
    """'upgrade'/'downgrade' for package versions, else 'changed'."""
    if section != 'packages' or not path or path[0] not in PACKAGE_MANAGERS:
        return 'changed'
    manager = path[0]
    olds = old if isinstance(old, list) else [old]
    news = new if isinstance(new, list) else [new]
    if not all(isinstance(v, string_types) for v in olds + news):
        return 'changed'
    cmp = COMPARATORS[manager]
    newest_old = olds[0]
    for v in olds[1:]:
        if cmp(v, newest_old) > 0:
            newest_old = v
    newest_new = news[0]
    for v in news[1:]:
        if cmp(v, newest_new) > 0:
            newest_new = v
    rc = cmp(newest_new, newest_old)
    if rc > 0:
        return 'upgrade'
    if rc < 0:
        return 'downgrade'
    return 'changed'


def _walk(a, b, path, out):
    """Append (kind, path, old, new) for what differs; a key present on one side only is one
    entry with its whole value (a configuration file added is one row, not one per field)."""
    if isinstance(a, dict) and isinstance(b, dict) and (a or b):
        for key in sorted(set(a) | set(b), key=lambda k: u'%s' % (k,)):
            sub = path + (u'%s' % (key,),)
            if key not in a:
                out.append(('added', sub, None, b[key]))
            elif key not in b:
                out.append(('removed', sub, a[key], None))
            else:
                _walk(a[key], b[key], sub, out)
    elif a != b:
        out.append(('changed', path, a, b))


def diff_section(name, data_a, data_b, rules, hostnames):
    entries = []
    _walk(data_a, data_b, (), entries)
    added, removed, changed = [], [], []
    ignored = 0
    for kind, path, old, new in entries:
        if rules.drops(name, path):
            ignored += 1
            continue
        key = display_key(path)
        if kind == 'added':
            added.append(dict(key=key, path=list(path), value=new))
            continue
        if kind == 'removed':
            removed.append(dict(key=key, path=list(path), value=old))
            continue
        if rules.normalize(old, hostnames) == rules.normalize(new, hostnames):
            ignored += 1
            continue
        entry = dict(key=key, path=list(path), old=old, new=new, change=_change_kind(name, path, old, new))
        if isinstance(old, list) and isinstance(new, list):
            entry['added_items'] = [v for v in new if v not in old]
            entry['removed_items'] = [v for v in old if v not in new]
        changed.append(entry)
    return added, removed, changed, ignored


def diff_fingerprints(a, b, ignore=None, sections=None, compare_identity=False):
    """Differences from fingerprint a (the reference, 'old') to fingerprint b ('new')."""
    a = _unwrap(a, 'first fingerprint')
    b = _unwrap(b, 'second fingerprint')
    names = []
    for fp in (a, b):
        for name in list((fp.get('sections') or {}).keys()) + list((fp.get('digests') or {}).keys()):
            if name not in names:
                names.append(name)
    from_module = ('hardware', 'kernel', 'kernels', 'distribution', 'packages', 'modified_files',
                   'filesystems', 'sysctl', 'config_files', 'services')
    names.sort(key=lambda n: (from_module.index(n) if n in from_module else len(from_module), n))
    known = list(names) + [n for n in from_module if n not in names] + ['identity']
    rules = IgnoreRules(ignore, known)
    if sections is not None:
        if isinstance(sections, string_types):
            sections = [sections]
        unknown = [s for s in sections if s not in known]
        if unknown:
            raise ValueError('sections: unknown section(s) %s; known: %s' % (', '.join(unknown), ', '.join(known)))
        names = [n for n in names if n in sections]
    if compare_identity:
        names.append('identity')
    hostnames = _hostnames(a) + _hostnames(b)

    result_sections = {}
    totals = dict(added=0, removed=0, changed=0, upgrade=0, downgrade=0, ignored=0)
    different = []
    lines = []
    for name in names:
        if name in rules.sections:
            continue
        if name == 'identity':
            sec_a = dict(data=a.get('identity') or {}, complete=True)
            sec_b = dict(data=b.get('identity') or {}, complete=True)
            dig_a = dig_b = None
        else:
            sec_a = (a.get('sections') or {}).get(name)
            sec_b = (b.get('sections') or {}).get(name)
            dig_a = _section_digest(a, name)
            dig_b = _section_digest(b, name)
        entry = dict(digest_a=dig_a, digest_b=dig_b, added=[], removed=[], changed=[], ignored=0,
                     complete=bool((sec_a or {}).get('complete', dig_a is not None) and
                                   (sec_b or {}).get('complete', dig_b is not None)),
                     notes=[])
        if dig_a is None and sec_a is None:
            entry['status'] = 'only_in_b'
        elif dig_b is None and sec_b is None:
            entry['status'] = 'only_in_a'
        elif dig_a is not None and dig_a == dig_b:
            entry['status'] = 'same'
        elif not (isinstance(sec_a, dict) and 'data' in sec_a and isinstance(sec_b, dict) and 'data' in sec_b):
            entry['status'] = 'different'
            entry['notes'].append('the digests differ; one side has digests only, so what differs is unknown')
        else:
            added, removed, changed, ignored = diff_section(name, sec_a['data'], sec_b['data'], rules, hostnames)
            entry.update(added=added, removed=removed, changed=changed, ignored=ignored)
            entry['status'] = 'different' if (added or removed or changed) else 'same'
        if not entry['complete']:
            entry['notes'].append('a side is incomplete (time or size bound reached): differences may be '
                                  'missing or caused by the bound')
            for side, sec in (('a', sec_a), ('b', sec_b)):
                for note in (sec or {}).get('notes') or []:
                    entry['notes'].append('%s: %s' % (side, note))
        counts = dict(added=len(entry['added']), removed=len(entry['removed']), changed=len(entry['changed']),
                      upgrade=sum(1 for c in entry['changed'] if c['change'] == 'upgrade'),
                      downgrade=sum(1 for c in entry['changed'] if c['change'] == 'downgrade'),
                      ignored=entry['ignored'])
        entry['counts'] = counts
        for key in totals:
            totals[key] += counts[key]
        if entry['status'] != 'same':
            different.append(name)
            lines.append('%s: %s' % (name, _describe(entry)))
        result_sections[name] = entry

    same = not different
    return dict(
        same=same,
        digest_a=a.get('digest'), digest_b=b.get('digest'),
        digests_equal=a.get('digest') is not None and a.get('digest') == b.get('digest'),
        host_a=(a.get('identity') or {}).get('hostname', a.get('hostname')),
        host_b=(b.get('identity') or {}).get('hostname', b.get('hostname')),
        sections=result_sections,
        summary=dict(same=same, sections_compared=[n for n in names if n not in rules.sections],
                     sections_different=different, lines=lines, **totals),
    )


def _describe(entry):
    if entry['status'] == 'only_in_a':
        return 'only in the first fingerprint'
    if entry['status'] == 'only_in_b':
        return 'only in the second fingerprint'
    counts = entry['counts']
    parts = []
    if counts['changed']:
        extra = []
        if counts['upgrade']:
            extra.append('%d upgrade(s)' % counts['upgrade'])
        if counts['downgrade']:
            extra.append('%d downgrade(s)' % counts['downgrade'])
        parts.append('%d changed%s' % (counts['changed'], (' (%s)' % ', '.join(extra)) if extra else ''))
    if counts['added']:
        parts.append('%d added' % counts['added'])
    if counts['removed']:
        parts.append('%d removed' % counts['removed'])
    if not parts:
        parts.append('digests differ')
    if not entry['complete']:
        parts.append('incomplete')
    return ', '.join(parts)
