# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter plugin kernel_report: kernel_log_findings and kmemleak_findings."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kdebug.kernel.plugins.filter.kernel_report import (
    FilterModule, kernel_log_findings, kmemleak_findings,
)
from ansible_collections.kdebug.kernel.tests.unit.plugins.module_utils import parser_fixtures as pf

BIN = os.path.dirname(sys.executable)


def test_filters_are_registered():
    assert sorted(FilterModule().filters()) == ['kernel_log_findings', 'kmemleak_findings']


def test_kernel_log_findings_text_and_lines_agree():
    text = pf.load('hung_task_6x.log').decode('utf-8')
    by_text = kernel_log_findings(text, source='serial')
    by_lines = kernel_log_findings(text.splitlines())
    assert [(f['title'], f['count']) for f in by_text['findings']] == [
        ('INFO: task hung in do_get_write_access', 2), ('INFO: task hung in ext4_buffered_write_iter', 1)]
    assert [f['title'] for f in by_lines['findings']] == [f['title'] for f in by_text['findings']]
    assert by_text['findings'][0]['source'] == 'serial'
    # the other title syzbot accepts for a hung task
    assert by_text['findings'][0]['alt_titles'] == ['hang in do_get_write_access']
    # the result is plain data (JSON serializable) for set_fact/copy
    json.dumps(by_text)


def test_kernel_log_findings_options():
    text = pf.load('hard_lockup_6x.log').decode('utf-8')
    assert kernel_log_findings(text, types='panic')['counts'] == {'panic': 1}
    assert kernel_log_findings(text, max_findings='1')['truncated'] is True
    assert kernel_log_findings(None)['findings'] == []
    with pytest.raises(AnsibleFilterError, match='unknown finding type'):
        kernel_log_findings(text, types=['deadlock'])
    with pytest.raises(AnsibleFilterError, match='got a dict'):
        kernel_log_findings({'stdout': text})
    with pytest.raises(AnsibleFilterError, match='every list item'):
        kernel_log_findings(['ok', 5])
    with pytest.raises(AnsibleFilterError, match='max_findings'):
        kernel_log_findings(text, max_findings='many')


def test_kmemleak_findings():
    text = pf.load('kmemleak_debugfs_rhel7.txt').decode('utf-8')
    res = kmemleak_findings(text)
    assert res['records'] == 3
    assert [(f['title'], f['count']) for f in res['findings']] == [
        ('memory leak in quux_setup', 2), ('memory leak in xfs_log_commit_cil', 1)]
    assert kmemleak_findings(text.splitlines()) == res
    assert [f['title'] for f in kmemleak_findings(text, ignore='^quux')['findings']] == [
        'memory leak in xfs_log_commit_cil']
    assert kmemleak_findings([])['records'] == 0
    with pytest.raises(AnsibleFilterError):
        kmemleak_findings(text, ignore=5)


@pytest.mark.parametrize('name', ['kernel_log_findings', 'kmemleak_findings'])
def test_ansible_doc_renders(name):
    out = subprocess.check_output([os.path.join(BIN, 'ansible-doc'), '-t', 'filter', 'kdebug.kernel.' + name],
                                  stderr=subprocess.STDOUT)
    assert b'kdebug.kernel.' + name.encode() in out
    assert b'RETURN' in out.upper() or b'returns' in out.lower()


def test_filters_in_a_playbook(tmp_path):
    log = tmp_path / 'serial.log'
    log.write_bytes(pf.load('serial_capture.log'))
    leak = tmp_path / 'kmemleak.txt'
    leak.write_bytes(pf.load('kmemleak_debugfs_6x.txt'))
    playbook = tmp_path / 'play.yml'
    playbook.write_text(u'''
- hosts: localhost
  gather_facts: false
  connection: local
  vars:
    log: "{{ lookup('ansible.builtin.file', '%s') | kdebug.kernel.kernel_log_findings(types=['hung_task']) }}"
    leaks: "{{ lookup('ansible.builtin.file', '%s') | kdebug.kernel.kmemleak_findings }}"
  tasks:
    - ansible.builtin.assert:
        that:
          - "log.findings | length == 1"
          - "log.findings[0].title == 'INFO: task hung in ext4_buffered_write_iter'"
          - "log.findings[0].task == 'dd'"
          - "leaks.records == 3"
          - "leaks.findings | map(attribute='function') | list == ['foo_newlink', 'bar_handle_event', 'baz_init_stats']"
''' % (log, leak))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', str(playbook)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=str(tmp_path), check=False)
    out = proc.stdout.decode('utf-8', 'replace')
    assert proc.returncode == 0, out
    assert 'failed=0' in out
