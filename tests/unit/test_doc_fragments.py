# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The doc fragment kdebug.kernel.attributes is merged into the modules that extend it, by the
ansible-doc of the ansible-core under test (each matrix leg runs this), and each module keeps its
own check_mode description; the test-only paths are no longer options."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
MODULES = ('kernel_log', 'kmemleak', 'sysrq')


def _doc(module):
    env = dict(os.environ, ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([ANSIBLE_DOC, '--json', 'kdebug.kernel.' + module], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)['kdebug.kernel.' + module]['doc']


@pytest.mark.parametrize('module', MODULES)
def test_attributes_come_from_the_fragment(module):
    doc = _doc(module)
    attributes = doc['attributes']
    assert set(attributes) == {'check_mode', 'diff_mode', 'platform'}
    assert attributes['check_mode']['support'] == 'full'
    assert attributes['diff_mode'] == {'description': 'Nothing to show (the module returns facts, it changes no file).',
                                       'support': 'none'}
    assert attributes['platform']['platforms'] == 'posix'
    # the module's own description wins over the fragment's
    assert not attributes['check_mode']['description'].startswith('Supported; nothing is written')
    assert not set(doc['options']) & {'kmsg_path', 'boot_id_path', 'sysrq_path', 'trigger_path'}
