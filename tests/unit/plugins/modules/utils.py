# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with given arguments, the way ansible's own unit tests
do (set_module_args + exit_json/fail_json raising), on every supported ansible-core.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import json
import os

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:  # ansible-core >= 2.19
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.16 - 2.18
    patch_module_args = None

try:
    from unittest import mock
except ImportError:  # pragma: no cover
    import mock


REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     '..', '..', '..', '..'))
FIXTURES = os.path.join(REPO, 'tests', 'unit', 'fixtures')


def fixture_path(*parts):
    """Path of a file under tests/unit/fixtures."""
    return os.path.join(FIXTURES, *parts)


def fixture_lines(*parts):
    """Lines (bytes, with newline) of a fixture file without its leading '#' comments."""
    with open(fixture_path(*parts), 'rb') as fobj:
        return [line for line in fobj if not line.startswith(b'#')]


class AnsibleExitJson(Exception):
    """exit_json was called: args[0] is the result."""

    @property
    def result(self):
        return self.args[0]


class AnsibleFailJson(Exception):
    """fail_json was called: args[0] is the result."""

    @property
    def result(self):
        return self.args[0]


def _exit_json(self, **kwargs):
    kwargs.setdefault('changed', False)
    raise AnsibleExitJson(kwargs)


def _fail_json(self, msg=None, **kwargs):
    kwargs['failed'] = True
    kwargs['msg'] = msg
    raise AnsibleFailJson(kwargs)


@contextlib.contextmanager
def set_module_args(args):
    """Make AnsibleModule read args (a dict of module options plus _ansible_* keys)."""
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    serialized = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    with mock.patch.object(basic, '_ANSIBLE_ARGS', serialized):
        yield


# The kernel files kernel_log, kmemleak and sysrq use are not options: tests point them at
# stand-ins with the environment, as the integration targets do (kdebug_common.kernel_path).
STAND_INS = dict(kmsg_path='kmsg', boot_id_path='boot_id', sysrq_path='sysrq', trigger_path='sysrq_trigger')


def stand_in_env(args):
    """(args without the stand-in keys of STAND_INS, the environment that points
    kdebug_common.kernel_path() at them)."""
    args = dict(args)
    env = {}
    for key, name in STAND_INS.items():
        if key in args:
            env['KDEBUG_KERNEL_TEST_PATH_%s' % name.upper()] = str(args.pop(key))
    return args, env


def run_module_with_stand_ins(module, args, check_mode=False):
    """run_module() with kmsg_path, boot_id_path, sysrq_path, trigger_path in args taken as the
    paths of the kernel's files (see STAND_INS)."""
    args, env = stand_in_env(args)
    with mock.patch.dict(os.environ, env):
        return run_module(module, args, check_mode=check_mode)


def run_module(module, args, check_mode=False):
    """Run module.main() with args; returns the result dict (result['failed'] on failure).

    A module that returns without calling exit_json or fail_json is a bug: AssertionError.
    """
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    with set_module_args(args):
        with mock.patch.multiple(basic.AnsibleModule, exit_json=_exit_json,
                                 fail_json=_fail_json):
            try:
                module.main()
            except AnsibleExitJson as exc:
                result = exc.result
                result.setdefault('failed', False)
                return result
            except AnsibleFailJson as exc:
                return exc.result
    raise AssertionError('%s.main() returned without exit_json/fail_json' % module.__name__)
