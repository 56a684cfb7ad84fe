# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Version ordering (rpm, dpkg) and the fingerprint diff, on crafted inputs.

The rpm cases are those of rpm's own test suite (tests/rpmvercmp.at, rpm 4.15+: tilde and
caret); the dpkg cases follow deb-version(7) and dpkg's lib/dpkg/t/t-version.c, and when
dpkg is installed every dpkg case is also checked against ``dpkg --compare-versions``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import shutil
import subprocess

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils import environment_compare as ec
from ansible_collections.kdebug.kernel.plugins.module_utils.environment import digest_of, overall_digest

# (a, b, expected rpmvercmp(a, b)) from rpm's tests/rpmvercmp.at
RPMVERCMP = [
    ('1.0', '1.0', 0), ('1.0', '2.0', -1), ('2.0', '1.0', 1),
    ('2.0.1', '2.0.1', 0), ('2.0', '2.0.1', -1), ('2.0.1', '2.0', 1),
    ('2.0.1a', '2.0.1a', 0), ('2.0.1a', '2.0.1', 1), ('2.0.1', '2.0.1a', -1),
    ('5.5p1', '5.5p1', 0), ('5.5p1', '5.5p2', -1), ('5.5p2', '5.5p1', 1),
    ('5.5p10', '5.5p10', 0), ('5.5p1', '5.5p10', -1), ('5.5p10', '5.5p1', 1),
    ('10xyz', '10.1xyz', -1), ('10.1xyz', '10xyz', 1),
    ('xyz10', 'xyz10', 0), ('xyz10', 'xyz10.1', -1), ('xyz10.1', 'xyz10', 1),
    ('xyz.4', 'xyz.4', 0), ('xyz.4', '8', -1), ('8', 'xyz.4', 1), ('xyz.4', '2', -1), ('2', 'xyz.4', 1),
    ('5.5p2', '5.6p1', -1), ('5.6p1', '5.5p2', 1), ('5.6p1', '6.5p1', -1), ('6.5p1', '5.6p1', 1),
    ('6.0.rc1', '6.0', 1), ('6.0', '6.0.rc1', -1),
    ('10b2', '10a1', 1), ('10a2', '10b2', -1),
    ('1.0aa', '1.0aa', 0), ('1.0a', '1.0aa', -1), ('1.0aa', '1.0a', 1),
    ('10.0001', '10.0001', 0), ('10.0001', '10.1', 0), ('10.1', '10.0001', 0),
    ('10.0001', '10.0039', -1), ('10.0039', '10.0001', 1),
    ('4.999.9', '5.0', -1), ('5.0', '4.999.9', 1),
    ('20101121', '20101121', 0), ('20101121', '20101122', -1), ('20101122', '20101121', 1),
    ('2_0', '2_0', 0), ('2.0', '2_0', 0), ('2_0', '2.0', 0),
    ('a', 'a', 0), ('a+', 'a+', 0), ('a+', 'a_', 0), ('a_', 'a+', 0),
    ('+a', '+a', 0), ('+a', '_a', 0), ('_a', '+a', 0), ('+_', '_+', 0), ('_+', '+_', 0),
    ('_+', '+', 0), ('+', '_', 0), ('_', '+', 0),
    # tilde: sorts before everything, even the end of the version
    ('1.0~rc1', '1.0~rc1', 0), ('1.0~rc1', '1.0', -1), ('1.0', '1.0~rc1', 1),
    ('1.0~rc1', '1.0~rc2', -1), ('1.0~rc2', '1.0~rc1', 1),
    ('1.0~rc1~git123', '1.0~rc1~git123', 0), ('1.0~rc1~git123', '1.0~rc1', -1), ('1.0~rc1', '1.0~rc1~git123', 1),
    # caret: after the end of the base version, before any further segment
    ('1.0^', '1.0^', 0), ('1.0^', '1.0', 1), ('1.0', '1.0^', -1),
    ('1.0^git1', '1.0^git1', 0), ('1.0^git1', '1.0', 1), ('1.0', '1.0^git1', -1),
    ('1.0^git1', '1.0^git2', -1), ('1.0^git2', '1.0^git1', 1),
    ('1.0^git1', '1.01', -1), ('1.01', '1.0^git1', 1),
    ('1.0^20160101', '1.0^20160101', 0), ('1.0^20160101', '1.0.1', -1), ('1.0.1', '1.0^20160101', 1),
    ('1.0^20160101^git1', '1.0^20160101^git1', 0), ('1.0^20160102', '1.0^20160101^git1', 1),
    ('1.0^20160101^git1', '1.0^20160102', -1),
    ('1.0~rc1^git1', '1.0~rc1^git1', 0), ('1.0~rc1^git1', '1.0~rc1', 1), ('1.0~rc1', '1.0~rc1^git1', -1),
    ('1.0^git1~pre', '1.0^git1~pre', 0), ('1.0^git1', '1.0^git1~pre', 1), ('1.0^git1~pre', '1.0^git1', -1),
]

# (a, b, expected sign) for full epoch:version-release strings
RPM_EVR = [
    ('1:1.0-1', '0:2.0-1', 1),          # the epoch wins over the version
    ('2.0-1', '0:2.0-1', 0),            # no epoch is epoch 0
    ('1:1.0-1', '1.0-1', 1),
    ('5.14.0-427.13.1.el9_4', '5.14.0-362.8.1.el9_3', 1),
    ('3.0.7-27.el9', '3.0.7-27.el9_4', -1),
    ('1.2-3', '1.2-3', 0),
    ('1.2-3~rc1', '1.2-3', -1),         # tilde in the release
    ('1.2^git1-1', '1.2-1', 1),         # caret in the version
]

# (a, b, expected sign) dpkg: deb-version(7) and dpkg's t-version.c
DPKG = [
    ('1.0', '1.0', 0), ('1.0', '1.0-0', 0), ('0:1.0', '1.0', 0),
    ('1:0.9', '2.0', 1),                 # epoch first
    ('2:3.8.2+dfsg-1+b1', '2:3.8.2+dfsg-1', 1),
    ('1.0~rc1', '1.0', -1),              # tilde sorts before the end of the version
    ('1.0~~', '1.0~', -1), ('1.0~~a', '1.0~~', 1), ('1.0~', '1.0', -1), ('1.0', '1.0a', -1),
    ('1.0-1~bpo1', '1.0-1', -1),
    ('1.0^1', '1.0', 1),                 # '^' is no special character in dpkg: sorts after letters
    ('1.0^1', '1.0a', 1), ('1.0+1', '1.0a', 1), ('1.0.1', '1.0+1', 1),
    ('1.0a', '1.0A', 1),
    ('1.10', '1.9', 1), ('1.009', '1.9', 0), ('1.0-1', '1.0-1+b1', -1),
    ('7.2-1', '7.2-1+deb12u1', -1), ('20230710~deb12u1', '20230710', -1),
    ('1.14.10-1~deb12u1', '1.14.10-1', -1), ('4:12.2.0-3', '12.2.0-3', 1),
    ('1.0-a', '1.0-1', 1),               # letters sort after the end, digits compare as numbers
    ('a', 'b', -1), ('abc', 'ab', 1),
]


def sign(value):
    return (value > 0) - (value < 0)


@pytest.mark.parametrize('a, b, expected', RPMVERCMP)
def test_rpmvercmp(a, b, expected):
    assert ec.rpm_vercmp(a, b) == expected


@pytest.mark.parametrize('left, right, expected', RPM_EVR)
def test_rpm_evr(left, right, expected):
    assert ec.rpm_evr_compare(left, right) == expected
    assert ec.rpm_evr_compare(right, left) == -expected


@pytest.mark.parametrize('left, right, expected', DPKG)
def test_dpkg_compare(left, right, expected):
    assert ec.dpkg_compare(left, right) == expected
    assert ec.dpkg_compare(right, left) == -expected


DPKG_BIN = shutil.which('dpkg')


@pytest.mark.skipif(DPKG_BIN is None, reason='dpkg is not installed: the cases are checked against the rules only')
@pytest.mark.parametrize('a, b, expected', DPKG)
def test_dpkg_cases_agree_with_dpkg(a, b, expected):
    """The expectations above are dpkg's own answers, not only this implementation's."""
    for op, want in (('lt', expected < 0), ('eq', expected == 0), ('gt', expected > 0)):
        rc = subprocess.call([DPKG_BIN, '--compare-versions', a, op, b])
        assert (rc == 0) == want, (a, op, b)


def test_split_versions():
    assert ec.split_evr('1:2.3-4.el9') == (1, '2.3', '4.el9')
    assert ec.split_evr('2.3') == (0, '2.3', None)
    assert ec.split_dpkg_version('2:3.8.2+dfsg-1+b1') == (2, '3.8.2+dfsg', '1+b1')
    assert ec.split_dpkg_version('1.0-2-3') == (0, '1.0-2', '3')
    assert ec.split_dpkg_version('43-1') == (0, '43', '1')


# --- the diff ------------------------------------------------------------------------

def make_fp(sections, hostname='host-a', macs=None):
    """A fingerprint as the module makes it (digests computed the same way)."""
    secs = {}
    for name, data in sections.items():
        secs[name] = dict(digest=digest_of(data), complete=True, data=data, notes=[], volatile={})
    digests = dict((n, s['digest']) for n, s in secs.items())
    return dict(format='kdebug.environment/1', digest=overall_digest(digests), digests=digests,
                complete=True, sections=secs,
                identity=dict(hostname=hostname, mac_addresses=macs or {'eth0': '52:54:00:12:34:56'}))


BASE = dict(
    packages={'dpkg': {'bash:amd64': '5.2.15-2+b8', 'openssh-server:amd64': '1:9.2p1-2+deb12u5',
                       'dbus:amd64': '1.14.10-1~deb12u1', 'nano:amd64': '7.2-1'}},
    sysctl={'values': {'vm.swappiness': '60', 'kernel.sysrq': '438', 'net.ipv4.conf.eth0.forwarding': '0'}},
    kernel={'release': '6.1.0-28-amd64', 'cmdline': ['root=/dev/vda1', 'ro', 'console=ttyS0,115200n8']},
    filesystems={'mounts': {'/': {'type': 'ext4', 'source': '/dev/vda1', 'options': ['rw', 'relatime']}}},
    config_files={'files': {'/etc/fstab': {'sha256': 'aa', 'size': 10, 'mode': '0644', 'uid': 0, 'gid': 0},
                            '/etc/hostname': {'sha256': 'h1', 'size': 7, 'mode': '0644', 'uid': 0, 'gid': 0}}},
)


def changed_copy(**changes):
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        parts = path.split('|')
        target = data
        for part in parts[:-1]:
            target = target[part]
        if value is None:
            del target[parts[-1]]
        else:
            target[parts[-1]] = value
    return data


def test_same_fingerprints():
    result = ec.diff_fingerprints(make_fp(BASE), make_fp(copy.deepcopy(BASE), hostname='host-b'))
    assert result['same'] and result['digests_equal']
    assert result['summary']['sections_different'] == []
    assert all(s['status'] == 'same' for s in result['sections'].values())
    assert (result['host_a'], result['host_b']) == ('host-a', 'host-b')


def test_each_kind_of_difference_is_named_exactly():
    b = changed_copy(**{
        'packages|dpkg|bash:amd64': '5.2.21-2',                 # upgrade
        'packages|dpkg|openssh-server:amd64': '9.9p1-1',        # downgrade: the epoch 1 is gone
        'packages|dpkg|dbus:amd64': '1.14.10-1',                # upgrade: ~deb12u1 sorts before
        'packages|dpkg|nano:amd64': None,                       # removed
        'packages|dpkg|vim:amd64': '2:9.0.1378-2',              # added
        'sysctl|values|vm.swappiness': '10',
        'kernel|cmdline': ['root=/dev/vda1', 'ro', 'console=ttyS0,115200n8', 'kmemleak=on'],
        'filesystems|mounts|/|options': ['rw', 'noatime'],
    })
    result = ec.diff_fingerprints(make_fp(BASE), make_fp(b))
    assert not result['same']
    pkgs = result['sections']['packages']
    changes = dict((c['key'], c['change']) for c in pkgs['changed'])
    assert changes == {'dpkg / bash:amd64': 'upgrade', 'dpkg / openssh-server:amd64': 'downgrade',
                       'dpkg / dbus:amd64': 'upgrade'}
    assert [e['key'] for e in pkgs['added']] == ['dpkg / vim:amd64']
    assert [e['key'] for e in pkgs['removed']] == ['dpkg / nano:amd64']
    assert pkgs['counts'] == dict(added=1, removed=1, changed=3, upgrade=2, downgrade=1, ignored=0)
    sysctl = result['sections']['sysctl']['changed']
    assert sysctl == [dict(key='values / vm.swappiness', path=['values', 'vm.swappiness'], old='60', new='10',
                           change='changed')]
    cmdline = result['sections']['kernel']['changed'][0]
    assert cmdline['added_items'] == ['kmemleak=on'] and cmdline['removed_items'] == []
    mount = result['sections']['filesystems']['changed'][0]
    assert mount['key'] == 'mounts / / / options'
    assert (mount['added_items'], mount['removed_items']) == (['noatime'], ['relatime'])
    assert result['sections']['config_files']['status'] == 'same'
    assert result['summary']['sections_different'] == ['kernel', 'packages', 'filesystems', 'sysctl']
    assert result['summary']['lines'][1] == 'packages: 3 changed (2 upgrade(s), 1 downgrade(s)), 1 added, 1 removed'
    assert (result['summary']['upgrade'], result['summary']['downgrade']) == (2, 1)


def test_rpm_versions_and_multiple_installed():
    a = {'packages': {'rpm': {'openssl-libs.x86_64': '1:3.0.7-27.el9', 'glibc.x86_64': '2.34-100.el9',
                              'kernel-core.x86_64': ['5.14.0-362.8.1.el9_3', '5.14.0-427.13.1.el9_4']}}}
    b = {'packages': {'rpm': {'openssl-libs.x86_64': '3.0.9-1.el9', 'glibc.x86_64': '2.34-100.el9_4.2',
                              'kernel-core.x86_64': ['5.14.0-427.13.1.el9_4', '5.14.0-503.11.1.el9_5']}}}
    changes = dict((c['key'], c) for c in ec.diff_fingerprints(make_fp(a), make_fp(b))['sections']['packages']['changed'])
    assert changes['rpm / openssl-libs.x86_64']['change'] == 'downgrade'   # epoch 1 -> none
    assert changes['rpm / glibc.x86_64']['change'] == 'upgrade'
    kernel = changes['rpm / kernel-core.x86_64']
    assert kernel['change'] == 'upgrade'
    assert kernel['added_items'] == ['5.14.0-503.11.1.el9_5'] and kernel['removed_items'] == ['5.14.0-362.8.1.el9_3']


def test_ignore_rules():
    b = changed_copy(**{
        'sysctl|values|net.ipv4.conf.eth0.forwarding': '1',
        'config_files|files|/etc/hostname': {'sha256': 'h2', 'size': 7, 'mode': '0644', 'uid': 0, 'gid': 0},
        'kernel|cmdline': ['root=/dev/vda1', 'ro', 'console=ttyS0,115200n8', 'ip=::::host-b:eth0:dhcp'],
        'packages|dpkg|bash:amd64': '5.2.21-2',
    })
    a = changed_copy(**{'kernel|cmdline': ['root=/dev/vda1', 'ro', 'console=ttyS0,115200n8', 'ip=::::host-a:eth0:dhcp']})
    fa, fb = make_fp(a, hostname='host-a'), make_fp(b, hostname='host-b')
    plain = ec.diff_fingerprints(fa, fb)
    assert set(plain['summary']['sections_different']) == {'kernel', 'packages', 'sysctl', 'config_files'}
    result = ec.diff_fingerprints(fa, fb, ignore=['hostname', '/etc/host*', 'sysctl:net.ipv4.conf.eth0.*'])
    assert result['summary']['sections_different'] == ['packages']
    assert result['sections']['kernel']['ignored'] == 1
    assert result['sections']['config_files']['ignored'] == 1  # only the sha256 of /etc/hostname differs
    assert result['sections']['sysctl']['ignored'] == 1
    assert result['summary']['ignored'] == 3
    only_packages = ec.diff_fingerprints(fa, fb, ignore=['packages', 'hostname', '/etc/host*', 'sysctl'])
    assert only_packages['same'] and 'packages' not in only_packages['sections']


def test_mac_rule_and_identity():
    a = {'kernel': {'cmdline': ['BOOTIF=01-52:54:00:12:34:56']}}
    b = {'kernel': {'cmdline': ['BOOTIF=01-52:54:00:ab:cd:ef']}}
    fa = make_fp(a, macs={'eth0': '52:54:00:12:34:56'})
    fb = make_fp(b, hostname='host-b', macs={'eth0': '52:54:00:ab:cd:ef'})
    assert not ec.diff_fingerprints(fa, fb)['same']
    assert ec.diff_fingerprints(fa, fb, ignore=['mac'])['same']
    with_identity = ec.diff_fingerprints(fa, fb, ignore=['mac'], compare_identity=True)
    assert with_identity['summary']['sections_different'] == ['identity']
    keys = [c['key'] for c in with_identity['sections']['identity']['changed']]
    assert keys == ['hostname']  # the MAC address differs too, but 'mac' says it does not matter
    ident = ec.diff_fingerprints(fa, fb, ignore=['mac', 'hostname'], compare_identity=True)
    assert ident['same']


def test_short_form_says_which_sections_differ():
    full_a = make_fp(BASE)
    full_b = make_fp(changed_copy(**{'sysctl|values|vm.swappiness': '1'}))
    short_b = dict(format=full_b['format'], digest=full_b['digest'], digests=full_b['digests'])
    result = ec.diff_fingerprints(full_a, short_b)
    assert result['summary']['sections_different'] == ['sysctl']
    assert 'digests only' in result['sections']['sysctl']['notes'][0]
    assert result['sections']['packages']['status'] == 'same'


def test_incomplete_and_missing_sections():
    fa = make_fp(BASE)
    fb = make_fp(dict((k, v) for k, v in BASE.items() if k != 'services' and k != 'sysctl'))
    fb['sections']['packages']['complete'] = False
    fb['sections']['packages']['notes'] = ['dpkg-query stopped after the time limit: the list is partial']
    result = ec.diff_fingerprints(fa, fb)
    assert result['sections']['sysctl']['status'] == 'only_in_a'
    assert result['sections']['packages']['complete'] is False
    assert any('time limit' in n for n in result['sections']['packages']['notes'])


def test_wrapped_and_json_inputs():
    fp = make_fp(BASE)
    import json
    registered = {'changed': False, 'ansible_facts': {'environment_fingerprint': fp}}
    assert ec.diff_fingerprints(registered, json.dumps(fp))['same']
    assert ec.diff_fingerprints({'environment_fingerprint': fp}, fp)['same']


@pytest.mark.parametrize('a, kwargs, message', [
    ({'packages': {}}, {}, 'not an environment fingerprint'),
    ('{not json', {}, 'does not parse'),
    ([1, 2], {}, 'expected a fingerprint'),
    (None, {'ignore': ['nosuchsection']}, "rule 'nosuchsection' is not understood"),
    (None, {'ignore': ['nosuch:glob']}, "unknown section 'nosuch'"),
    (None, {'ignore': [3]}, 'non-empty string'),
    (None, {'sections': ['nosuch']}, 'unknown section(s) nosuch'),
])
def test_bad_input(a, kwargs, message):
    good = make_fp(BASE)
    with pytest.raises(ValueError) as exc:
        ec.diff_fingerprints(good if a is None else a, good, **kwargs)
    assert message in str(exc.value)


def test_newer_format_is_refused():
    fp = make_fp(BASE)
    fp['format'] = 'kdebug.environment/2'
    with pytest.raises(ValueError, match='newer than this filter'):
        ec.diff_fingerprints(fp, make_fp(BASE))


def test_an_added_or_removed_entry_is_one_row_with_its_whole_value():
    entry = {'sha256': 'bb', 'size': 3, 'mode': '0600', 'uid': 0, 'gid': 0}
    b = changed_copy(**{'config_files|files|/etc/app.conf': entry, 'config_files|files|/etc/fstab': None})
    section = ec.diff_fingerprints(make_fp(BASE), make_fp(b))['sections']['config_files']
    assert section['added'] == [dict(key='files / /etc/app.conf', path=['files', '/etc/app.conf'], value=entry)]
    assert [r['key'] for r in section['removed']] == ['files / /etc/fstab']
    assert section['changed'] == []
    assert ec.diff_fingerprints(make_fp(BASE), make_fp(b), ignore=['/etc/app.conf'])['sections']['config_files'][
        'counts'] == dict(added=0, removed=1, changed=0, upgrade=0, downgrade=0, ignored=1)
