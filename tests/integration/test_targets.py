# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration harness: every target under tests/integration/targets on old Python targets.

For each target interpreter (pyenv's Python 2.7 and 3.6: what RHEL 7 and 8 run) and each target
directory (a role: ``tasks/main.yml``, fixtures in ``files/``), run ``ansible-playbook`` of the
running venv (ansible-core 2.16, the last controller for such targets) against localhost with
``ansible_connection=local`` and ``ansible_python_interpreter`` set to that interpreter.
``harness_stat`` runs first: it proves the harness itself (``stat`` works on both).

Variables given to every target:
  kdebug_it_tmpdir   a fresh empty directory for this run (stand-ins for /proc, /sys files)
  kdebug_it_python   "2.7" or "3.6"
Targets must never touch the real /proc/sysrq-trigger, /sys/kernel/debug, /dev/kmsg: they pass
path options pointing at fixtures or at files in kdebug_it_tmpdir.

Interpreters come from KDEBUG_PY27 / KDEBUG_PY36 (the Makefile sets them) or pyenv's default
location. A missing interpreter is a failure, not a skip.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS_DIR = os.path.join(HERE, 'targets')
PYENV = os.path.expanduser(os.environ.get('PYENV_VERSIONS', '~/.pyenv/versions'))
INTERPRETERS = {
    '2.7': os.environ.get('KDEBUG_PY27') or os.path.join(PYENV, '2.7.18', 'bin', 'python'),
    '3.6': os.environ.get('KDEBUG_PY36') or os.path.join(PYENV, '3.6.15', 'bin', 'python'),
}
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
FIRST = 'harness_stat'


def _targets():
    names = sorted(
        name for name in os.listdir(TARGETS_DIR)
        if os.path.isfile(os.path.join(TARGETS_DIR, name, 'tasks', 'main.yml'))
    )
    return sorted(names, key=lambda n: (n != FIRST, n))


TARGETS = _targets()


def test_controller_is_ansible_core_2_16():
    """The harness is about what 2.16 can still drive; a newer core would not run 2.7/3.6 targets."""
    proc = subprocess.run([ANSIBLE_PLAYBOOK, '--version'], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'core 2.16.' in proc.stdout.splitlines()[0], proc.stdout


@pytest.mark.parametrize('python', sorted(INTERPRETERS))
@pytest.mark.parametrize('target', TARGETS)
def test_target(target, python, tmp_path):
    interpreter = INTERPRETERS[python]
    assert os.access(interpreter, os.X_OK), 'target interpreter %s missing: %s' % (python, interpreter)
    workdir = tmp_path / 'work'
    workdir.mkdir()
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text(
        'localhost ansible_connection=local ansible_python_interpreter=%s\n' % interpreter
    )
    playbook = tmp_path / 'play.yml'
    playbook.write_text(
        '---\n'
        '- name: Integration target %s on Python %s\n'
        '  hosts: all\n'
        '  gather_facts: false\n'
        '  vars:\n'
        '    kdebug_it_tmpdir: "%s"\n'
        '    kdebug_it_python: "%s"\n'
        '  roles:\n'
        '    - role: "%s"\n' % (target, python, workdir, python, os.path.join(TARGETS_DIR, target))
    )
    env = dict(
        os.environ,
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_RETRY_FILES_ENABLED='0',
        ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'),
        ANSIBLE_REMOTE_TEMP=str(tmp_path / 'ansible-remote'),
    )
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, '-i', str(inventory), str(playbook)],
        capture_output=True, text=True, env=env, timeout=600, check=False, cwd=str(tmp_path),
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    recap = [line for line in proc.stdout.splitlines() if line.startswith('localhost')]
    assert recap and 'failed=0' in recap[-1] and 'ok=0 ' not in recap[-1], output[-3000:]
