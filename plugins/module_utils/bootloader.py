# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boot loader state: parsers and plans shared by the boot_entries, boot_default and
kernel_args modules (and by the debug_kernel role's tests).

Pure functions, no I/O except where a function takes a path. Python 2.7 and 3.6+, stdlib only.

- GRUB 2 ``grub.cfg`` (as written by ``grub-mkconfig``/``update-grub``): menu tree with
  titles, ids (``$menuentry_id_option``/``--id``), submenus, the ``linux`` and ``initrd`` lines.
- ``grubenv`` (GRUB environment block) and ``/etc/default/grub``.
- ``grubby --info=ALL`` output: the C grubby of EL 7 (``kernel=/boot/...`` unquoted) and the
  shell grubby-bls of EL 8+/Fedora (every value double-quoted).
- How GRUB resolves a default (``1>2``, ids, titles, ``>>`` escapes).
- Kernel command line merge (the debug arguments added to one entry only) and the grubby
  calls that produce it.
- ``rpmvercmp`` for choosing the newest debug kernel.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import string

DEBUG_SUFFIXES = ('+debug', '.debug')
MULTI_VALUE_KEYS = ('console',)
SECURE_BOOT_GUID = '8be4df61-93ca-11d2-aa0d-00e098032b8c'

# --------------------------------------------------------------------------------------
# GRUB script words


def grub_split(line):
    """Split one line of GRUB script into words, the way GRUB (and sh) quotes.

    Single quotes are literal, double quotes allow backslash escapes of ``"``, ``\\``, ``$``,
    a backslash outside quotes escapes the next character. ``$var`` is kept as text.
    Returns None when the quotes do not balance.
    """
    words = []
    cur = []
    have = False
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c in ' \t\r\n':
            if have:
                words.append(''.join(cur))
                cur = []
                have = False
            i += 1
            continue
        have = True
        if c == "'":
            j = line.find("'", i + 1)
            if j < 0:
                return None
            cur.append(line[i + 1:j])
            i = j + 1
        elif c == '"':
            i += 1
            closed = False
            while i < n:
                d = line[i]
                if d == '\\' and i + 1 < n and line[i + 1] in '"\\$\n':
                    cur.append(line[i + 1])
                    i += 2
                    continue
                if d == '"':
                    closed = True
                    i += 1
                    break
                cur.append(d)
                i += 1
            if not closed:
                return None
        elif c == '\\' and i + 1 < n:
            cur.append(line[i + 1])
            i += 2
        else:
            cur.append(c)
            i += 1
    if have:
        words.append(''.join(cur))
    return words


def release_of(kernel_path):
    """``/boot/vmlinuz-6.1.192+debug`` -> ``6.1.192+debug``; ``/lib/modules/R/vmlinuz`` -> R."""
    if not kernel_path:
        return None
    path = kernel_path.split(None, 1)[0]
    if path.startswith('(') and ')' in path:
        path = path[path.index(')') + 1:]
    base = path.rstrip('/').rsplit('/', 1)[-1]
    for prefix in ('vmlinuz-', 'vmlinux-', 'kernel-', 'bzImage-'):
        if base.startswith(prefix):
            return base[len(prefix):]
    if base in ('vmlinuz', 'vmlinux'):
        parts = path.rstrip('/').split('/')
        if len(parts) >= 3 and parts[-3] == 'modules':
            return parts[-2]
    return None


def is_debug_release(release, suffixes=DEBUG_SUFFIXES):
    return bool(release) and any(release.endswith(s) for s in suffixes)


def _is_recovery(entry):
    text = ' '.join([entry.get('id') or '', entry.get('title') or '']).lower()
    if 'recovery' in text or 'rescue' in text:
        return True
    return bool(entry.get('release') and entry['release'].startswith('0-rescue'))


def _finish_entry(entry):
    entry['release'] = release_of(entry.get('kernel'))
    entry['recovery'] = _is_recovery(entry)
    entry['debug'] = is_debug_release(entry['release'])
    return entry


# --------------------------------------------------------------------------------------
# grub.cfg


def parse_grub_cfg(text):
    """Parse grub.cfg text into a menu tree.

    Returns dict(items=[...], default=<the value of ``set default=`` outside the
    ``next_entry`` branch, or None>, entries=[flat list of menu entries]).
    An item is a dict with ``type`` ('menuentry' or 'submenu'), ``title``, ``id``,
    ``index`` (position in its parent), ``path_index``/``path_id``/``path_title`` (the
    ``>``-joined path GRUB accepts in ``default``), and for menu entries ``kernel``,
    ``args`` (string), ``initrd`` (list), ``linux_cmd``, ``release``, ``recovery``,
    ``debug``; submenus have ``children``.
    """
    top = []
    stack = []          # open blocks: dict(kind=..., item=...)
    default = None
    entries = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        words = grub_split(line)
        if not words:
            continue
        head = words[0]
        if words[-1] == '{' and head in ('menuentry', 'submenu'):
            item = _new_item(head, words[1:-1])
            parent = None
            for blk in reversed(stack):
                if blk['kind'] == 'submenu':
                    parent = blk['item']
                    break
                if blk['kind'] in ('menuentry', 'other'):
                    parent = False     # a menuentry inside a function or entry: not in the menu
                    break
            if parent is False:
                stack.append(dict(kind='other', item=None))
                continue
            siblings = parent['children'] if parent else top
            item['index'] = len(siblings)
            if parent:
                item['path_index'] = '%s>%s' % (parent['path_index'], item['index'])
                item['path_id'] = _join_path(parent['path_id'], item['id'])
                item['path_title'] = '%s>%s' % (parent['path_title'], _escape_gt(item['title']))
            else:
                item['path_index'] = str(item['index'])
                item['path_id'] = item['id']
                item['path_title'] = _escape_gt(item['title'])
            siblings.append(item)
            stack.append(dict(kind=head, item=item))
            continue
        if words[-1] == '{':
            # function NAME {, or anything else opening a block
            stack.append(dict(kind='other', item=None))
            continue
        if line == '}' or (head == '}' and len(words) == 1):
            if stack:
                blk = stack.pop()
                if blk['kind'] == 'menuentry':
                    entries.append(_finish_entry(blk['item']))
            continue
        cur = stack[-1] if stack else None
        if cur and cur['kind'] == 'menuentry':
            item = cur['item']
            if head in ('linux', 'linux16', 'linuxefi', 'kernel') and len(words) > 1:
                item['linux_cmd'] = head
                item['kernel'] = words[1]
                item['args'] = ' '.join(words[2:])
            elif head in ('initrd', 'initrd16', 'initrdefi'):
                item['initrd'] = words[1:]
            continue
        if head == 'set' and len(words) == 2 and words[1].startswith('default='):
            value = words[1][len('default='):]
            if value != '${next_entry}' and default is None:
                default = value
    return dict(items=top, default=default, entries=entries)


def _new_item(kind, words):
    title = words[0] if words else ''
    ident = None
    i = 1
    while i < len(words):
        w = words[i]
        if w in ('--id', '$menuentry_id_option', '${menuentry_id_option}') and i + 1 < len(words):
            ident = words[i + 1]
            i += 2
            continue
        if w.startswith('--id='):
            ident = w[len('--id='):]
        i += 1
    item = dict(type=kind, title=title, id=ident)
    if kind == 'submenu':
        item['children'] = []
    else:
        item.update(kernel=None, args='', initrd=[], linux_cmd=None)
    return item


def _escape_gt(text):
    return (text or '').replace('>', '>>')


def _join_path(parent, child):
    if parent is None or child is None:
        return None
    return '%s>%s' % (parent, child)


def split_default(ref):
    """Split a GRUB default reference at ``>``; ``>>`` stands for a literal ``>``."""
    parts = []
    cur = []
    i = 0
    while i < len(ref):
        c = ref[i]
        if c == '>':
            if i + 1 < len(ref) and ref[i + 1] == '>':
                cur.append('>')
                i += 2
                continue
            parts.append(''.join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    parts.append(''.join(cur))
    return parts


def resolve_default(items, ref):
    """The menu entry GRUB boots for ``default=ref`` (None when it finds none).

    An empty or missing ref means the first entry. Each ``>``-separated part is a number
    (position), or a title or id of an item at that level (GRUB compares both).
    """
    if ref is None or ref == '':
        parts = ['0']
    else:
        parts = split_default(ref)
    level = items
    found = None
    for pos, part in enumerate(parts):
        found = None
        if part.isdigit():
            idx = int(part)
            if 0 <= idx < len(level):
                found = level[idx]
        else:
            for item in level:
                if item.get('title') == part or (item.get('id') is not None and item.get('id') == part):
                    found = item
                    break
        if found is None:
            return None
        if pos < len(parts) - 1:
            if found.get('type') != 'submenu':
                return None
            level = found['children']
    if found is not None and found.get('type') == 'submenu':
        return None
    return found


# --------------------------------------------------------------------------------------
# grubenv and /etc/default/grub


def parse_grubenv(text):
    """GRUB environment block -> dict. Padding ``#`` and comments are ignored."""
    env = {}
    for line in text.split('\n'):
        if not line or line.startswith('#'):
            continue
        if '=' not in line:
            continue
        key, value = line.split('=', 1)
        env[key] = value.replace('\\\\', '\\')
    return env


def parse_shell_assignments(text):
    """``KEY=value`` lines of /etc/default/grub -> (values, lines): the last assignment
    wins; quotes are removed from values; ``lines`` keeps the raw text of that line."""
    values = {}
    lines = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith('export '):
            line = line[len('export '):].strip()
        m = re.match(r'^([A-Za-z_][A-Za-z0-9_]*)=(.*)$', line)
        if not m:
            continue
        key, value = m.group(1), m.group(2)
        words = grub_split(value)
        if words is None:
            value = value.strip('"\'')
        else:
            value = ' '.join(words)
        values[key] = value
        lines[key] = raw
    return values, lines


# --------------------------------------------------------------------------------------
# grubby --info=ALL


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
        return value[1:-1]
    return value


def parse_grubby_info(text):
    """Parse ``grubby --info=ALL`` (or ``--info=KERNEL``) output into entries.

    Both forms are handled: EL 7's C grubby prints ``kernel=/boot/vmlinuz-...`` unquoted and
    ``args="..."`` quoted; grubby-bls (EL 8+, Fedora) quotes every value. Blocks start with
    ``index=N``; a block with ``non linux entry`` (EL 7) has no kernel.
    """
    entries = []
    cur = None
    for raw in text.splitlines():
        line = raw.rstrip('\r')
        if not line.strip():
            continue
        m = re.match(r'^([A-Za-z_]+)=(.*)$', line)
        if not m:
            if cur is not None:
                cur.setdefault('notes', []).append(line.strip())
            continue
        key, value = m.group(1), _unquote(m.group(2))
        if key == 'index':
            try:
                idx = int(value)
            except ValueError:
                idx = None
            cur = dict(index=idx, type='menuentry', title=None, id=None, kernel=None,
                       args='', initrd=[], root=None, source='grubby')
            entries.append(cur)
            continue
        if cur is None:
            continue
        if key == 'initrd':
            cur['initrd'] = value.split()
        elif key in ('kernel', 'args', 'root', 'title', 'id'):
            cur[key] = value
        else:
            cur.setdefault('extra', {})[key] = value
    for e in entries:
        e['path_index'] = None if e['index'] is None else str(e['index'])
        e['path_id'] = e['id']
        e['path_title'] = e['title']
        _finish_entry(e)
    return entries


def grub_ref(entry):
    """The string to give grub(2)-set-default / grub(2)-reboot for an entry: its id path
    when every level has an id, else its title path, else its index path."""
    if entry.get('path_id'):
        return entry['path_id']
    if entry.get('path_title'):
        return entry['path_title']
    return entry.get('path_index')


def find_by_ref(entries, ref):
    """Entry of a flat grubby list for a saved_entry value (id, title or index)."""
    if ref is None or ref == '':
        return None
    for e in entries:
        if e.get('id') and e['id'] == ref:
            return e
    for e in entries:
        if e.get('title') and e['title'] == ref:
            return e
    if ref.isdigit():
        for e in entries:
            if e.get('index') == int(ref):
                return e
    return None


def choose_previous(entries, raw_ref, raw_entry, release, args=None, exclude_id_prefix=None):
    """Which entry boots "the previous default" now, and what to write into saved_entry.

    ``raw_ref`` is the saved_entry recorded before the debug kernel came (None when there was
    none), ``raw_entry`` the entry it resolves to today. Installing a kernel shifts positions
    and the distribution's "simple" entry follows the newest kernel, so the raw value may now
    boot something else. Returns dict(entry, ref, exact): ``exact`` is true when the raw value
    still boots the previous kernel (then writing it back restores grubenv exactly).
    Otherwise the entry of the same release (and the same arguments if possible) is chosen,
    preferring ids that name the release (Debian's ``gnulinux-<release>-advanced-<uuid>``, EL's
    BLS ids), never a recovery entry or one of ours (``exclude_id_prefix``).
    """
    def ours(e):
        return bool(exclude_id_prefix) and bool(e.get('id')) and e['id'].startswith(exclude_id_prefix)

    if raw_entry is not None and raw_entry.get('release') == release and not ours(raw_entry):
        return dict(entry=raw_entry, ref=raw_ref, exact=True)
    cands = [e for e in entries if e.get('release') == release and not e.get('recovery') and not ours(e)]
    if not cands:
        return dict(entry=None, ref=None, exact=False)

    def score(e):
        return (args is not None and e.get('args') == args,
                bool(e.get('id')) and release in e['id'],
                bool(e.get('path_id')))
    best = cands[0]
    for e in cands[1:]:
        if score(e) > score(best):
            best = e
    return dict(entry=best, ref=grub_ref(best), exact=False)


# --------------------------------------------------------------------------------------
# versions


def _is_digit(c):
    return c in string.digits


def _is_alpha(c):
    return c in string.ascii_letters


def rpmvercmp(a, b):
    """rpm's version comparison (rpmio/rpmvercmp.c, with ``~`` and ``^``): -1, 0 or 1."""
    if a == b:
        return 0
    i = j = 0
    la, lb = len(a), len(b)
    while i < la or j < lb:
        while i < la and not (_is_digit(a[i]) or _is_alpha(a[i])) and a[i] not in '~^':
            i += 1
        while j < lb and not (_is_digit(b[j]) or _is_alpha(b[j])) and b[j] not in '~^':
            j += 1
        ca = a[i] if i < la else ''
        cb = b[j] if j < lb else ''
        if ca == '~' or cb == '~':
            if ca != '~':
                return 1
            if cb != '~':
                return -1
            i += 1
            j += 1
            continue
        if ca == '^' or cb == '^':
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != '^':
                return 1
            if cb != '^':
                return -1
            i += 1
            j += 1
            continue
        if not (ca and cb):
            break
        si, sj = i, j
        if _is_digit(ca):
            while i < la and _is_digit(a[i]):
                i += 1
            while j < lb and _is_digit(b[j]):
                j += 1
            isnum = True
        else:
            while i < la and _is_alpha(a[i]):
                i += 1
            while j < lb and _is_alpha(b[j]):
                j += 1
            isnum = False
        one, two = a[si:i], b[sj:j]
        if not two:
            return 1 if isnum else -1
        if isnum:
            one = one.lstrip('0')
            two = two.lstrip('0')
            if len(one) != len(two):
                return 1 if len(one) > len(two) else -1
        if one != two:
            return 1 if one > two else -1
    if i >= la and j >= lb:
        return 0
    return -1 if i >= la else 1


def newest(releases):
    """The newest of some kernel release strings by rpmvercmp (None for none)."""
    best = None
    for r in releases:
        if best is None or rpmvercmp(r, best) > 0:
            best = r
    return best


def select_debug_entry(entries, release=None, match_release=None, kernel=None, entry_id=None,
                       suffixes=DEBUG_SUFFIXES):
    """Choose the boot entry of the debug kernel.

    ``entry_id`` or ``kernel`` (path) or ``release`` pick exactly; ``match_release`` (the
    running kernel's release) picks the debug build of that same version-release (suffix
    ``+debug`` on EL 8+, ``.debug`` on EL 7); otherwise the newest debug kernel. Recovery
    and rescue entries are never chosen. Returns (entry or None, reason).
    """
    usable = [e for e in entries if e.get('kernel') and not e.get('recovery')]
    if entry_id:
        for e in entries:
            if e.get('id') == entry_id or e.get('path_id') == entry_id:
                return e, 'entry id %s' % entry_id
        return None, 'no boot entry with id %s' % entry_id
    if kernel:
        for e in usable:
            if e['kernel'] == kernel:
                return e, 'kernel %s' % kernel
        return None, 'no boot entry for kernel %s' % kernel
    if release:
        for e in usable:
            if e.get('release') == release:
                return e, 'release %s' % release
        return None, 'no boot entry for release %s' % release
    if match_release:
        wanted = [match_release + s for s in suffixes]
        for w in wanted:
            for e in usable:
                if e.get('release') == w:
                    return e, 'debug build of the running kernel %s' % match_release
        return None, 'no boot entry for the debug build of %s (looked for %s)' % (
            match_release, ', '.join(wanted))
    debug = [e for e in usable if is_debug_release(e.get('release'), suffixes)]
    if not debug:
        return None, 'no debug kernel (release ending in %s) has a boot entry' % ' or '.join(suffixes)
    best = newest([e['release'] for e in debug])
    for e in debug:
        if e['release'] == best:
            return e, 'newest debug kernel'
    return None, 'no debug kernel'  # pragma: no cover


# --------------------------------------------------------------------------------------
# kernel command line


def arg_key(word):
    return word.split('=', 1)[0]


def _removed(word, remove):
    key = arg_key(word)
    for r in remove:
        if '=' in r:
            if word == r:
                return True
        elif key == r:
            return True
    return False


def _split_args(current):
    if current is None:
        return []
    if isinstance(current, (list, tuple)):
        return list(current)
    return current.split()


def _merge_parts(current, wanted, remove, multi_keys):
    words = _split_args(current)
    tail = []
    if '--' in words:
        pos = words.index('--')
        words, tail = words[:pos], words[pos:]
    wanted_keys = set(arg_key(w) for w in wanted)
    rest = []
    kept = []
    for w in words:
        if _removed(w, remove):
            continue
        k = arg_key(w)
        if k in wanted_keys:
            if k in multi_keys and w not in wanted:
                kept.append(w)
            continue
        rest.append(w)
    return words, rest, kept, tail


def merge_args(current, wanted, remove=(), multi_keys=MULTI_VALUE_KEYS):
    """The command line of the debug entry: ``current`` with

    - the words in ``remove`` dropped (``key=value`` drops that word, a bare ``key`` drops
      ``key`` and every ``key=...``);
    - for each key in ``wanted``, its other occurrences dropped, except that for
      multi-value keys (``console``) the values not in ``wanted`` are kept, moved before the
      wanted ones;
    - ``wanted`` appended in the given order (so the last ``console=`` in ``wanted`` is the
      last on the line and becomes /dev/console);
    - anything after ``--`` (arguments for init) kept at the end.

    Applying it twice gives the same line (idempotent).
    """
    wanted = list(wanted)
    words, rest, kept, tail = _merge_parts(current, wanted, remove, multi_keys)
    return rest + kept + wanted + tail


def plan_grubby(current, wanted=(), remove=(), multi_keys=MULTI_VALUE_KEYS, exact=None):
    """What to give grubby to turn ``current`` into the merged line (or into ``exact``).

    Returns dict(current, desired, changed, remove_args, add_args) for two calls:
    ``grubby --update-kernel=K --remove-args=REMOVE`` then ``--args=ADD``.

    The two grubby implementations match arguments differently: grubby-bls (EL 8+, Fedora)
    drops every value of a key it adds and removes ``key=value`` words exactly, the C grubby
    of EL 7 replaces or removes the first word with the same key. The plan works the same
    with both: it keeps the longest common prefix of the current and desired lines in which
    no key of a removed or added word occurs, removes everything after it and adds the rest
    of the desired line in order.
    """
    words = _split_args(current)
    if exact is not None:
        desired = _split_args(exact)
    else:
        desired = merge_args(words, wanted, remove, multi_keys)
    if desired == words:
        return dict(current=words, desired=desired, changed=False, remove_args=[], add_args=[])
    p = 0
    while p < len(words) and p < len(desired) and words[p] == desired[p]:
        p += 1
    while p > 0:
        touched = set(arg_key(w) for w in words[p:]) | set(arg_key(w) for w in desired[p:])
        clash = [i for i in range(p) if arg_key(words[i]) in touched]
        if not clash:
            break
        p = min(clash)
    return dict(current=words, desired=desired, changed=True,
                remove_args=words[p:], add_args=desired[p:])


def args_present(cmdline, wanted):
    """{arg: bool} for each wanted argument: is it a word of the command line?"""
    words = _split_args(cmdline)
    return dict((a, a in words) for a in wanted)


# --------------------------------------------------------------------------------------
# firmware


def secure_boot_state(efivars_dir='/sys/firmware/efi/efivars', efi_vars_dir='/sys/firmware/efi/vars'):
    """True/False when the firmware says whether Secure Boot is on, None when unknown
    (not EFI, or no SecureBoot variable)."""
    name = 'SecureBoot-' + SECURE_BOOT_GUID
    candidates = [(os.path.join(efivars_dir, name), 4),
                  (os.path.join(efi_vars_dir, name, 'data'), 0)]
    for path, skip in candidates:
        try:
            with open(path, 'rb') as f:
                data = f.read()
        except (IOError, OSError):
            continue
        data = bytearray(data)
        if len(data) <= skip:
            continue
        return data[skip] == 1
    return None
