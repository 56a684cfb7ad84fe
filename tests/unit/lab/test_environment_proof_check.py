# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/lab/environment_proof_check.py (the judge of the environment lab proof) on diffs the
collection's own environment_diff code makes of crafted fingerprints: the six kinds of
difference of the proof pass when expected, and each way a diff can be wrong fails."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

from ansible_collections.kdebug.kernel.plugins.module_utils.environment import digest_of, overall_digest
from ansible_collections.kdebug.kernel.plugins.module_utils.environment_compare import diff_fingerprints

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, 'tests', 'lab', 'environment_proof_check.py')
sys.path.insert(0, os.path.join(ROOT, 'tests', 'lab'))

import environment_proof_check as epc  # noqa: E402

CMDLINE = ['BOOT_IMAGE=/boot/vmlinuz-6.1.0-41-amd64', 'root=UUID=0e6b', 'ro', 'console=tty0', 'console=ttyS0,115200n8']


def fingerprint(data, volatile=None, identity=None):
    sections = {}
    for name, section_data in data.items():
        sections[name] = dict(digest=digest_of(section_data), complete=True, data=section_data, notes=[],
                              volatile=(volatile or {}).get(name, {}))
    digests = dict((n, s['digest']) for n, s in sections.items())
    return dict(format='kdebug.environment/1', digest=overall_digest(digests), digests=digests, complete=True,
                sections=sections, identity=identity or dict(hostname='kdebug-lab', boot_id='a'))


REFERENCE = dict(
    packages=dict(dpkg={'kdebug-envproof:all': '1.0', 'bash:amd64': '5.2.15-2+b7'}),
    sysctl=dict(values={'vm.swappiness': '60', 'kernel.sysrq': '438'}),
    config_files=dict(files={'/etc/security/limits.conf': dict(sha256='aa', size=2262, mode='0644', uid=0, gid=0)}),
    filesystems=dict(mounts={'/mnt/ext4': dict(type='ext4', source='/dev/vdc', options=['rw', 'relatime'])}),
    kernel=dict(cmdline=CMDLINE, modules={'xfs': {'srcversion': 'X'}}),
)


def subject_data():
    data = copy.deepcopy(REFERENCE)
    data['packages']['dpkg']['kdebug-envproof:all'] = '1.0~rc1'
    data['sysctl']['values']['vm.swappiness'] = '10'
    files = data['config_files']['files']
    files['/etc/sysctl.d/90-lab.conf'] = dict(sha256='bb', size=80, mode='0644', uid=0, gid=0)
    files['/etc/security/limits.conf'].update(sha256='cc', size=2310)
    files['/etc/default/grub.d/90-lab.cfg'] = dict(sha256='dd', size=99, mode='0644', uid=0, gid=0)
    data['filesystems']['mounts']['/mnt/ext4']['options'] = ['rw', 'noatime']
    data['kernel']['cmdline'] = CMDLINE + ['kdebug.envproof=1']
    data['kernel']['modules']['crc7'] = {}
    return data


EXPECTED = [
    dict(difference='package version', section='packages', key='dpkg / kdebug-envproof:all', change='downgrade',
         old='1.0', new='1.0~rc1'),
    dict(difference='sysctl', section='sysctl', key='values / vm.swappiness', change='changed', old='60', new='10'),
    dict(difference='sysctl', section='config_files', key='files / /etc/sysctl.d/90-lab.conf', change='added'),
    dict(difference='configuration file', section='config_files', key='files / /etc/security/limits.conf / *',
         change='changed'),
    dict(difference='mount option', section='filesystems', key='mounts / /mnt/ext4 / options', change='changed',
         added_items=['noatime'], removed_items=['relatime']),
    dict(difference='kernel argument', section='kernel', key='cmdline', change='changed', old=CMDLINE,
         new=CMDLINE + ['kdebug.envproof=1']),
    dict(difference='kernel argument', section='config_files', key='files / /etc/default/grub.d/90-lab.cfg',
         change='added'),
    dict(difference='loaded module', section='kernel', key='modules / crc7', change='added'),
]


def diff_of(subject, reference=None, **kwargs):
    return diff_fingerprints(fingerprint(REFERENCE if reference is None else reference), fingerprint(subject),
                             ignore=[], **kwargs)


def test_the_six_differences_pass():
    ok, lines = epc.check(diff_of(subject_data()), EXPECTED)
    assert ok, lines
    assert lines[-1] == 'PASS'
    assert 'differences made on purpose: 6, found: 6 (package version, sysctl, configuration file, mount option, ' \
           'kernel argument, loaded module)' in lines
    assert 'rows: 9' in lines  # limits.conf: its sha256 and its size
    assert not [line for line in lines if 'UNEXPECTED' in line or line.startswith('FAIL')]


def test_one_more_difference_fails():
    data = subject_data()
    data['sysctl']['values']['kernel.sysrq'] = '1'
    ok, lines = epc.check(diff_of(data), EXPECTED)
    assert not ok
    assert [line for line in lines if line.startswith('FAIL: unexpected row: sysctl')]
    assert lines[-1] == 'FAIL (1 problem(s))'


def test_a_difference_not_found_fails():
    data = subject_data()
    del data['kernel']['modules']['crc7']
    ok, lines = epc.check(diff_of(data), EXPECTED)
    assert not ok
    assert 'FAIL: expected and not found: loaded module: kernel added modules / crc7' in lines
    assert 'differences made on purpose: 6, found: 5 (package version, sysctl, configuration file, mount option, ' \
           'kernel argument, loaded module)' in lines


def test_the_wrong_verdict_on_a_version_fails():
    # 1.0 -> 1.0~rc1 is a downgrade by dpkg's tilde rule; an expectation of an upgrade must not pass
    wrong = [dict(e, change='upgrade') if e['section'] == 'packages' else e for e in EXPECTED]
    ok, lines = epc.check(diff_of(subject_data()), wrong)
    assert not ok
    assert [line for line in lines if line.startswith('FAIL: unexpected row: packages     downgrade')]


def test_wrong_values_fail():
    wrong = [dict(e, new='20') if e['section'] == 'sysctl' and 'new' in e else e for e in EXPECTED]
    assert not epc.check(diff_of(subject_data()), wrong)[0]
    wrong = [dict(e, removed_items=[]) if e['section'] == 'filesystems' else e for e in EXPECTED]
    assert not epc.check(diff_of(subject_data()), wrong)[0]


def test_ignored_differences_and_incomplete_sections_fail():
    diff = diff_fingerprints(fingerprint(REFERENCE), fingerprint(subject_data()), ignore=['sysctl:kernel.*'])
    assert epc.check(diff, EXPECTED)[0]  # the rule drops nothing here
    diff = diff_fingerprints(fingerprint(REFERENCE), fingerprint(subject_data()), ignore=['filesystems:/mnt/*'])
    ok, lines = epc.check(diff, EXPECTED)
    assert not ok
    assert 'FAIL: section filesystems: 1 difference(s) left out by ignore rules' in lines
    diff = diff_of(subject_data())
    diff['sections']['kernel']['complete'] = False
    assert not epc.check(diff, EXPECTED)[0]


def test_same_after_a_reboot():
    before = fingerprint(REFERENCE, volatile=dict(kernel=dict(uptime_seconds=900)),
                         identity=dict(hostname='kdebug-lab', boot_id='a'))
    after = fingerprint(REFERENCE, volatile=dict(kernel=dict(uptime_seconds=40)),
                        identity=dict(hostname='kdebug-lab', boot_id='b'))
    diff = diff_fingerprints(before, after, ignore=[])
    ok, lines = epc.check(diff, same=True)
    assert ok, lines
    assert epc.outside_digests(before, after) == [
        'outside the digests, 2 value(s) changed:', '  identity.boot_id: a -> b', '  kernel.volatile.uptime_seconds: 900 -> 40']


def test_not_same_after_a_reboot_fails():
    data = copy.deepcopy(REFERENCE)
    data['kernel']['modules']['loop'] = {}
    ok, lines = epc.check(diff_of(data), same=True)
    assert not ok
    assert 'FAIL: 1 row(s) where none was expected' in lines
    assert 'FAIL: the overall digests differ: %s, %s' % (fingerprint(REFERENCE)['digest'], fingerprint(data)['digest']) in lines


def test_command_line(tmp_path):
    (tmp_path / 'diff.json').write_text(json.dumps(diff_of(subject_data())))
    (tmp_path / 'expected.json').write_text(json.dumps(EXPECTED))
    out = tmp_path / 'verdict.txt'
    proc = subprocess.run([sys.executable, SCRIPT, '--diff', str(tmp_path / 'diff.json'), '--expected',
                           str(tmp_path / 'expected.json'), '--names', 'kenv-1', 'kenv-2', '--out', str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_text() == proc.stdout
    assert proc.stdout.splitlines()[0] == 'kenv-2 against kenv-1: DIFFERENT'
    proc = subprocess.run([sys.executable, SCRIPT, '--diff', str(tmp_path / 'diff.json'), '--same'],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    (tmp_path / 'bad.json').write_text(json.dumps([dict(section='kernel')]))
    proc = subprocess.run([sys.executable, SCRIPT, '--diff', str(tmp_path / 'diff.json'), '--expected',
                           str(tmp_path / 'bad.json')], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert 'lacks difference, key, change' in proc.stderr
