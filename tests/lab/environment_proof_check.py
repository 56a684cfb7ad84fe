# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge an environment_diff result against the differences a lab proof made on purpose.

    environment_proof_check.py --diff DIFF.json --expected EXPECTED.json [--names REF SUBJECT] [--out LISTING]
    environment_proof_check.py --diff DIFF.json --same [--fingerprints BEFORE.json AFTER.json] [--out LISTING]

DIFF.json is what the kdebug.kernel.environment_diff filter returned (the environment_report
role's ``environment_report_diff``). EXPECTED.json is a list of expectations, one or more per
difference made on purpose::

    {"difference": "package version", "section": "packages", "key": "dpkg / kdebug-envproof:all",
     "change": "downgrade", "old": "1.0", "new": "1.0~rc1"}

``key`` is a glob (fnmatch) on the row's key; ``change`` is added, removed, changed, upgrade or
downgrade; ``old``/``new`` (changed rows), ``value`` (added and removed rows) and
``added_items``/``removed_items`` (changed lists) are compared exactly when given.

Passes (exit 0) when every row of the diff matches exactly one expectation, every expectation
matches at least one row, no section was compared incomplete, no difference was left out by an
ignore rule, and the sections that differ are exactly those of the rows. With ``--same``: no
row at all, every section the same and the two overall digests equal. Prints every row (the
listing the proof report quotes) and what failed; exit 1 on a failure, 2 on bad input.
``--fingerprints`` also lists, for information, what changed between the two fingerprints
outside the digests (each section's ``volatile`` values and the ``identity``): what a reboot
legitimately changes.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys

KINDS = ('changed', 'added', 'removed')
CHANGES = ('added', 'removed', 'changed', 'upgrade', 'downgrade')


def rows_of(diff):
    """Every row of the diff: dicts with section, change, key and the row's values."""
    rows = []
    for name in diff['summary']['sections_compared']:
        section = diff['sections'][name]
        for kind in KINDS:
            for entry in section.get(kind) or []:
                row = dict(entry, section=name, change=entry['change'] if kind == 'changed' else kind)
                rows.append(row)
    return rows


def matches(expectation, row):
    if expectation['section'] != row['section'] or expectation['change'] != row['change']:
        return False
    if not fnmatch.fnmatchcase(row['key'], expectation['key']):
        return False
    for field in ('old', 'new', 'value', 'added_items', 'removed_items'):
        if field in expectation and row.get(field) != expectation[field]:
            return False
    return True


def _short(value, width=60):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[:width - 3] + '...'


def describe(row):
    if row['change'] == 'added':
        return '%-12s %-9s %s = %s' % (row['section'], 'added', row['key'], _short(row.get('value')))
    if row['change'] == 'removed':
        return '%-12s %-9s %s (was %s)' % (row['section'], 'removed', row['key'], _short(row.get('value')))
    if 'added_items' in row:
        return '%-12s %-9s %s: %d -> %d items, added %s, removed %s' % (
            row['section'], row['change'], row['key'], len(row.get('old') or []), len(row.get('new') or []),
            _short(row['added_items'], 50), _short(row['removed_items'], 50))
    return '%-12s %-9s %s: %s -> %s' % (row['section'], row['change'], row['key'], _short(row.get('old')),
                                        _short(row.get('new')))


def check(diff, expected=None, same=False, names=None):
    """(ok, lines): the listing and the verdict. names: (reference, subject) for the header."""
    rows = rows_of(diff)
    problems = []
    reference, subject = names or (diff.get('host_a'), diff.get('host_b'))
    lines = ['%s against %s: %s' % (subject, reference, 'same' if diff.get('same') else 'DIFFERENT'),
             'overall digests: %s %s, %s %s' % (reference, diff.get('digest_a'), subject, diff.get('digest_b'))]
    lines.append('sections compared: %s' % ', '.join(diff['summary']['sections_compared']))
    lines.append('sections that differ: %s' % (', '.join(diff['summary']['sections_different']) or 'none'))
    for name in diff['summary']['sections_compared']:
        section = diff['sections'][name]
        if not section.get('complete', False):
            problems.append('section %s was compared incomplete: %s' % (name, '; '.join(section.get('notes') or [])))
        if section.get('ignored'):
            problems.append('section %s: %d difference(s) left out by ignore rules' % (name, section['ignored']))
        if section.get('status') not in ('same', 'different'):
            problems.append('section %s: status %s' % (name, section.get('status')))
    with_rows = sorted(set(r['section'] for r in rows))
    if sorted(diff['summary']['sections_different']) != with_rows:
        problems.append('sections that differ %s, sections with rows %s'
                        % (sorted(diff['summary']['sections_different']), with_rows))

    if same:
        lines.append('rows: %d' % len(rows))
        lines.extend('  ' + describe(r) for r in rows)
        if rows:
            problems.append('%d row(s) where none was expected' % len(rows))
        if not diff.get('same'):
            problems.append('the diff says different')
        if not diff.get('digests_equal'):
            problems.append('the overall digests differ: %s, %s' % (diff.get('digest_a'), diff.get('digest_b')))
    else:
        found = [0] * len(expected)
        lines.append('rows: %d' % len(rows))
        for row in rows:
            hits = [i for i, exp in enumerate(expected) if matches(exp, row)]
            for i in hits:
                found[i] += 1
            if len(hits) == 1:
                lines.append('  %s    [%s]' % (describe(row), expected[hits[0]]['difference']))
            elif not hits:
                lines.append('  %s    [UNEXPECTED]' % describe(row))
                problems.append('unexpected row: %s' % describe(row))
            else:
                lines.append('  %s    [AMBIGUOUS]' % describe(row))
                problems.append('row matches %d expectations: %s' % (len(hits), describe(row)))
        differences = []
        for exp, count in zip(expected, found, strict=True):
            if exp['difference'] not in differences:
                differences.append(exp['difference'])
            if not count:
                problems.append('expected and not found: %s: %s %s %s%s' % (
                    exp['difference'], exp['section'], exp['change'], exp['key'],
                    ''.join(' %s=%s' % (f, _short(exp[f]))
                            for f in ('old', 'new', 'value', 'added_items', 'removed_items') if f in exp)))
        missing = sorted(set(e['difference'] for e, c in zip(expected, found, strict=True) if not c))
        lines.append('differences made on purpose: %d, found: %d (%s)' % (
            len(differences), len(differences) - len(missing), ', '.join(differences)))
    lines.extend('FAIL: ' + p for p in problems)
    lines.append('PASS' if not problems else 'FAIL (%d problem(s))' % len(problems))
    return not problems, lines


def _flatten(value, prefix, out):
    if isinstance(value, dict) and value:
        for key in sorted(value):
            _flatten(value[key], '%s.%s' % (prefix, key) if prefix else key, out)
    else:
        out[prefix] = value
    return out


def outside_digests(before, after):
    """Lines: the volatile and identity values that differ between two fingerprints."""
    flat_a, flat_b = {}, {}
    for fp, flat in ((before, flat_a), (after, flat_b)):
        for name, section in (fp.get('sections') or {}).items():
            _flatten(section.get('volatile') or {}, name + '.volatile', flat)
        _flatten(fp.get('identity') or {}, 'identity', flat)
    changed = [k for k in sorted(set(flat_a) | set(flat_b)) if flat_a.get(k, '<absent>') != flat_b.get(k, '<absent>')]
    lines = ['outside the digests, %d value(s) changed:' % len(changed)]
    for key in changed:
        lines.append('  %s: %s -> %s' % (key, _short(flat_a.get(key, '<absent>'), 40), _short(flat_b.get(key, '<absent>'), 40)))
    return lines


def _validate(expected):
    if not isinstance(expected, list) or not expected:
        raise ValueError('the expectations must be a non-empty list')
    for exp in expected:
        missing = [f for f in ('difference', 'section', 'key', 'change') if f not in exp]
        if missing:
            raise ValueError('expectation %r lacks %s' % (exp, ', '.join(missing)))
        if exp['change'] not in CHANGES:
            raise ValueError('expectation %r: change must be one of %s' % (exp, ', '.join(CHANGES)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--diff', required=True, help='the environment_diff result (JSON)')
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--expected', help='the expectations (JSON list)')
    group.add_argument('--same', action='store_true', help='expect no difference at all')
    parser.add_argument('--fingerprints', nargs=2, metavar=('BEFORE', 'AFTER'),
                        help='list what changed outside the digests between these two fingerprints')
    parser.add_argument('--names', nargs=2, metavar=('REFERENCE', 'SUBJECT'),
                        help='the two hosts as the listing names them (default: their hostnames)')
    parser.add_argument('--out', help='also write the listing here')
    args = parser.parse_args(argv)
    try:
        with open(args.diff) as fobj:
            diff = json.load(fobj)
        expected = None
        if args.expected:
            with open(args.expected) as fobj:
                expected = json.load(fobj)
            _validate(expected)
        ok, lines = check(diff, expected, args.same, args.names)
        if args.fingerprints:
            fingerprints = []
            for path in args.fingerprints:
                with open(path) as fobj:
                    fingerprints.append(json.load(fobj))
            lines[-1:-1] = outside_digests(*fingerprints)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print('environment_proof_check: %s: %s' % (type(exc).__name__, exc), file=sys.stderr)
        return 2
    text = '\n'.join(lines) + '\n'
    sys.stdout.write(text)
    if args.out:
        with open(args.out, 'w') as fobj:
            fobj.write(text)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
