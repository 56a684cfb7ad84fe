# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""environment_facts module: option checks, check mode, the facts key. The collectors
themselves are tested on fixtures in tests/unit/plugins/module_utils/test_environment.py;
here the module reads this machine's distribution and kernel sections (read-only).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import platform

import pytest

from ansible_collections.kdebug.kernel.plugins.modules import environment_facts

from ansible_collections.kdebug.kernel.tests.unit.plugins.modules.utils import run_module


@pytest.mark.parametrize('args, message', [
    (dict(sections=['packagez']), "sections: unknown section 'packagez'"),
    (dict(sections=[]), 'choose at least one section'),
    (dict(timeout=0), 'timeout must be more than 0'),
    (dict(verify_timeout=-1), 'verify_timeout must be more than 0'),
    (dict(max_entries=0), 'max_entries must be more than 0'),
    (dict(config_files=['etc/fstab']), "'etc/fstab' is not an absolute path"),
    (dict(cpu_flags='some'), 'value of cpu_flags must be one of'),
    (dict(package_managers=['apk']), 'package_managers must be one or more of'),
])
def test_bad_options(args, message):
    result = run_module(environment_facts, args)
    assert result['failed'] and message in result['msg'], result['msg']


@pytest.mark.parametrize('check_mode', [False, True])
def test_facts_on_this_machine(check_mode):
    result = run_module(environment_facts, dict(sections=['kernel', 'distribution'], include_volatile=False),
                        check_mode=check_mode)
    assert not result['failed'] and result['changed'] is False
    fp = result['ansible_facts']['environment_fingerprint']
    assert sorted(fp['sections']) == ['distribution', 'kernel'] == sorted(fp['digests'])
    assert fp['sections']['kernel']['data']['release'] == platform.release()
    assert 'volatile' not in fp['sections']['kernel']
    assert fp['collected']['bytes'] > 0 and fp['collected']['sections'] == ['kernel', 'distribution']
    assert not [k for k in result['ansible_facts'] if k.startswith('ansible_')]
