# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make this checkout importable as ``ansible_collections.kdebug.kernel`` for pytest.

Module and module_utils code imports its siblings as
``ansible_collections.kdebug.kernel.plugins.module_utils.<name>``. That works when a directory
on sys.path holds ``ansible_collections/kdebug/kernel`` resolving to this checkout:
- the checkout itself lies at ``.../ansible_collections/kdebug/kernel``: use its grand-grand
  parent;
- otherwise use ``build/collections`` (``make venv``/``make link`` creates the symlink
  ``build/collections/ansible_collections/kdebug/kernel -> ../../../..``; created here too, so
  a plain ``pytest`` works in a fresh clone).
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collection_root() -> str:
    parts = ROOT.split(os.sep)
    if parts[-3:] == ['ansible_collections', 'kdebug', 'kernel']:
        return os.sep.join(parts[:-3])
    base = os.path.join(ROOT, 'build', 'collections')
    link = os.path.join(base, 'ansible_collections', 'kdebug', 'kernel')
    if os.path.realpath(link) != os.path.realpath(ROOT):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(os.path.join('..', '..', '..', '..'), link)
    return base


COLLECTIONS_ROOT = _collection_root()
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
# Subprocesses (ansible-doc, ansible-playbook) started by tests find the collection too.
os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.pathsep.join(
    p for p in (COLLECTIONS_ROOT, os.environ.get('ANSIBLE_COLLECTIONS_PATH')) if p
)
