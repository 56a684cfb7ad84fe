# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The environment collectors on a temporary directory laid out like a host (``root``), with
the files of tests/unit/fixtures/environment (each says where it comes from: captured from
this Debian bookworm machine, or written from the tool's documented output format) and a
fake command runner that answers with those fixtures.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import gzip
import json
import os

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils import environment as env
from ansible_collections.kdebug.kernel.plugins.module_utils.environment_compare import diff_fingerprints

from ansible_collections.kdebug.kernel.tests.unit.plugins.modules.utils import fixture_path

UNAME = ('Linux', 'lab1', '6.1.0-28-amd64', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)', 'x86_64')


def fixture_text(name):
    """A fixture without its leading '#' comment lines."""
    with open(fixture_path('environment', name), 'rb') as fobj:
        lines = fobj.read().decode('utf-8').splitlines(True)
    while lines and lines[0].startswith('#'):
        lines.pop(0)
    return ''.join(lines)


class FakeHost(object):
    """Files under root, commands answered from a table {tool: (rc, out, err)}."""

    def __init__(self, root):
        self.root = str(root)
        self.calls = []
        self.commands = {
            'dpkg-query': (0, fixture_text('dpkg_query_bookworm.txt'), ''),
            'dpkg': (0, fixture_text('dpkg_verify_bookworm.txt'), ''),
            'rpm': None,
            'systemctl': (0, fixture_text('systemctl_unit_files_bookworm.txt'), ''),
            'systemd-detect-virt': (0, 'kvm\n', ''),
            'timeout': None,
        }
        self.write('proc/cpuinfo', fixture_text('cpuinfo_bookworm.txt'))
        self.write('proc/meminfo', fixture_text('meminfo_bookworm.txt'))
        self.write('proc/mounts', fixture_text('mounts_bookworm.txt'))
        self.write('etc/os-release', fixture_text('os-release_bookworm.txt'))
        self.write('etc/debian_version', '12.8\n')
        self.write('proc/cmdline', 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/vda1 ro console=ttyS0,115200n8\n')
        self.write('proc/modules', 'virtio_net 65536 0 - Live 0x0000000000000000\n'
                                   'kmemleak_test 16384 0 - Live 0x0000000000000000 (OE)\n')
        self.write('sys/module/virtio_net/srcversion', 'A1B2C3D4E5F6A7B8C9D0E1F\n')
        self.write('sys/module/kmemleak_test/version', '1.0\n')
        self.write('sys/module/kmemleak_test/srcversion', 'FFEEDDCCBBAA99887766554\n')
        self.write('proc/uptime', '1234.56 2000.00\n')
        self.write('proc/lockdep_stats', ' lock-classes:  1200 [max: 8192]\n debug_locks:  1\n')
        self.write('proc/lockdep', '')
        self.write('sys/kernel/debug/kmemleak', '')
        self.write('sys/kernel/security/lockdown', '[none] integrity confidentiality\n')
        self.write('sys/class/net/eth0/address', '52:54:00:12:34:56\n')
        self.write('sys/class/net/eth0/mtu', '1500\n')
        os.makedirs(self.path('sys/class/net/eth0/device/driver_target/virtio_net'))
        os.symlink(self.path('sys/class/net/eth0/device/driver_target/virtio_net'),
                   self.path('sys/class/net/eth0/device/driver'))
        self.write('sys/class/net/lo/address', '00:00:00:00:00:00\n')
        self.write('sys/block/vda/size', '41943040\n')
        self.write('sys/block/vda/queue/rotational', '1\n')
        self.write('sys/block/loop0/size', '0\n')
        self.write('sys/devices/system/node/node0/meminfo', '')
        self.write('etc/machine-id', '0123456789abcdef0123456789abcdef\n')
        self.write('var/lib/dpkg/status', '')
        for name, value in (('vm/swappiness', '60'), ('kernel/sysrq', '438'), ('kernel/tainted', '12288'),
                            ('kernel/hostname', 'lab1'), ('kernel/random/uuid', 'changes-on-every-read'),
                            ('kernel/random/boot_id', '9d244c89-891c-4505-9541-ac5aa9f0f845'),
                            ('fs/file-nr', '1024\t0\t9223372036854775807'),
                            ('kernel/hung_task_timeout_secs', '120'), ('kernel/hung_task_warnings', '10'),
                            ('net/ipv4/tcp_rmem', '4096\t131072\t6291456'),
                            ('net/ipv4/conf/veth1a2b/forwarding', '1')):
            self.write('proc/sys/' + name, value + '\n')
        self.write('proc/sys/vm/compact_memory', '', mode=0o200)  # write-only: never read
        self.write('etc/fstab', '/dev/vda1 / ext4 defaults 0 1\n')
        self.write('etc/sysctl.d/10-lab.conf', 'vm.swappiness = 60\n')
        self.write('etc/sysctl.d/99-local.conf', 'kernel.sysrq = 1\n')
        os.makedirs(self.path('etc/sysctl.d/not-a-file.conf'))
        self.write('boot/vmlinuz-6.1.0-28-amd64', '')
        self.write('boot/vmlinuz-6.1.0-9-amd64', '')
        self.write('lib/modules/6.1.0-30-amd64/modules.dep', '')
        with gzip.open(self.path('proc/config.gz'), 'wb') as fobj:
            fobj.write(b'CONFIG_DEBUG_KMEMLEAK=y\n# CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF is not set\n'
                       b'CONFIG_PROVE_LOCKING=y\nCONFIG_LOCKDEP=y\nCONFIG_HZ=250\nCONFIG_MAGIC_SYSRQ=y\n')

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, content, mode=None):
        full = self.path(rel)
        if not os.path.isdir(os.path.dirname(full)):
            os.makedirs(os.path.dirname(full))
        with open(full, 'w') as fobj:
            fobj.write(content)
        if mode is not None:
            os.chmod(full, mode)

    def which(self, name):
        return '/usr/bin/' + name if self.commands.get(name) else None

    def run(self, argv):
        self.calls.append(argv)
        tool = os.path.basename(argv[0])
        if tool == 'timeout':
            tool = os.path.basename(argv[4])
        if tool == 'systemctl' and 'get-default' in argv:
            return 0, 'multi-user.target\n', ''
        return self.commands[tool]

    def collector(self, **kwargs):
        kwargs.setdefault('uname', UNAME)
        return env.Collector(run=self.run, which=self.which, root=self.root, **kwargs)

    def fingerprint(self, sections=env.DEFAULT_SECTIONS, **kwargs):
        return self.collector(**kwargs).collect(list(sections))


@pytest.fixture
def host(tmp_path):
    return FakeHost(tmp_path / 'root')


def section(fp, name):
    return fp['sections'][name]['data']


def test_parsers_on_captured_output():
    blocks = env.parse_key_value_blocks(fixture_text('cpuinfo_bookworm.txt'))
    assert len(blocks) == 2 and blocks[1]['processor'] == '1' and blocks[0]['model name'] == 'AMD EPYC'
    assert env.parse_meminfo(fixture_text('meminfo_bookworm.txt'))['MemTotal'] > 0
    osr = env.parse_os_release(fixture_text('os-release_bookworm.txt'))
    assert (osr['ID'], osr['VERSION_ID'], osr['PRETTY_NAME']) == ('debian', '12', 'Debian GNU/Linux 12 (bookworm)')
    packages, states, notes = env.parse_dpkg_query(fixture_text('dpkg_query_bookworm.txt'))
    assert len(packages) == 60 and states == {} and notes == []
    assert packages['bash:amd64'] == '5.2.15-2+b8'
    assert packages['bison:amd64'] == '2:3.8.2+dfsg-1+b1'
    files, other = env.parse_verify(fixture_text('dpkg_verify_bookworm.txt'))
    assert other == 0 and len(files) == 12
    assert files['/etc/debuginfod/elfutils.urls'] == 'missing c'
    assert files['/usr/lib/node_modules/npm/.npmrc'] == 'missing'
    assert files['/usr/lib/node_modules/npm/bin/npm.ps1'] == '??5??????'
    units = env.parse_unit_files(fixture_text('systemctl_unit_files_bookworm.txt'))
    assert units['postgresql.service'] == 'enabled' and units['hwclock.service'] == 'masked'
    assert units['apt-daily.service'] == 'static'


def test_parsers_on_written_formats():
    packages, notes = env.parse_rpm_query(fixture_text('rpm_qa_written.txt'))
    assert packages['bash.x86_64'] == '5.1.8-9.el9'
    assert packages['openssl-libs.x86_64'] == '1:3.0.7-27.el9'
    assert packages['glibc.i686'] == packages['glibc.x86_64'] == '2.34-100.el9_4.2'
    assert packages['kernel-core.x86_64'] == ['5.14.0-362.8.1.el9_3', '5.14.0-427.13.1.el9_4']
    assert packages['gpg-pubkey'] == '350d275d-6279464b'
    assert notes == ['1 line(s) of rpm -qa output not understood']
    files, other = env.parse_verify(fixture_text('rpm_va_written.txt'))
    assert files == {'/etc/ssh/sshd_config': 'S.5....T. c', '/usr/bin/ping': '.M.......',
                     '/etc/sysconfig/network-scripts/ifcfg-eth1': 'missing c',
                     '/usr/share/doc/bash/FAQ': '.......T. d', '/usr/libexec/openssh/ssh-keysign': '..?......'}
    assert other == 1
    packages, states, notes = env.parse_dpkg_query(fixture_text('dpkg_query_states_written.txt'))
    assert sorted(packages) == ['libc6:amd64', 'libc6:i386', 'openssh-server:amd64', 'postgresql-15:amd64']
    assert states == {'openssh-server:amd64': 'hi', 'postgresql-15:amd64': 'iF'}
    assert notes == ['1 line(s) of dpkg-query output not understood']


def test_mount_fields_are_unescaped():
    # fs/proc_namespace.c show_vfsmnt() escapes ' \t\n\\' in the device and the mount point as octal
    assert env.parse_mounts('/dev/sdb1 /mnt/my\\040disk xfs rw,noatime 0 0\nshort line\n') == [
        ('/dev/sdb1', '/mnt/my disk', 'xfs', ['rw', 'noatime'])]


def test_taint_and_config():
    assert env.decode_taint(0) == []
    assert env.decode_taint(12288) == ['O (out-of-tree module)', 'E (unsigned module)']
    assert env.decode_taint(1 << 30) == ['unknown bits 0x40000000']
    config = env.parse_kernel_config(['CONFIG_HZ=1000', '# CONFIG_KASAN is not set'], ('CONFIG_HZ', 'CONFIG_KASAN', 'CONFIG_X'))
    assert config == {'CONFIG_HZ': '1000', 'CONFIG_KASAN': 'n', 'CONFIG_X': 'n'}


def test_sections_on_a_fixture_host(host):
    fp = host.fingerprint()
    assert fp['format'] == 'kdebug.environment/1' and fp['complete']
    assert list(fp['digests']) == list(env.DEFAULT_SECTIONS)
    hw = section(fp, 'hardware')
    assert hw['cpu']['count'] == 2 and hw['cpu']['model'] == 'AMD EPYC' and hw['cpu']['microcode'] == '0x1000065'
    assert 'avx2' in hw['cpu']['flags'] and 'hypervisor' in hw['cpu']['flags'] and '3dnowprefetch' not in hw['cpu']['flags']
    assert hw['virtualization'] == 'kvm' and hw['firmware'] == 'bios' and hw['numa_nodes'] == 1
    assert hw['nics'] == {'eth0': {'driver': 'virtio_net', 'mtu': 1500}}
    assert list(hw['disks']) == ['vda'] and hw['disks']['vda']['size_mib'] == 20480
    assert 'cpu_mhz' in fp['sections']['hardware']['volatile'] and 'cpu_mhz' not in hw['cpu']
    kernel = section(fp, 'kernel')
    assert kernel['release'] == '6.1.0-28-amd64' and 'console=ttyS0,115200n8' in kernel['cmdline']
    assert kernel['taint'] == {'value': 12288, 'flags': ['O (out-of-tree module)', 'E (unsigned module)']}
    assert kernel['modules'] == {'virtio_net': {'srcversion': 'A1B2C3D4E5F6A7B8C9D0E1F'},
                                 'kmemleak_test': {'version': '1.0', 'srcversion': 'FFEEDDCCBBAA99887766554'}}
    assert kernel['debug'] == {'kmemleak': 'present', 'lockdep': 'on', 'sysrq': 438, 'hung_task_timeout_secs': 120}
    assert kernel['config']['CONFIG_PROVE_LOCKING'] == 'y' and kernel['config']['CONFIG_KASAN'] == 'n'
    assert kernel['security'] == {'lockdown': 'none'}
    kernels = section(fp, 'kernels')
    assert kernels['installed'] == ['6.1.0-9-amd64', '6.1.0-28-amd64', '6.1.0-30-amd64']
    assert kernels['newest'] == '6.1.0-30-amd64' and not kernels['running_is_newest'] and kernels['running_is_installed']
    dist = section(fp, 'distribution')
    assert dist['os_release']['VERSION_CODENAME'] == 'bookworm'
    assert dist['release_files'] == {'/etc/debian_version': '12.8'}
    pkgs = section(fp, 'packages')
    assert list(pkgs) == ['dpkg'] and len(pkgs['dpkg']) == 60
    mounts = section(fp, 'filesystems')['mounts']
    assert sorted(mounts) == ['/', '/dev', '/dev/shm', '/mnt/sandboxing/model_tools_env/v1/python']
    assert mounts['/']['type'] == 'ext4' and 'discard' in mounts['/']['options']
    values = section(fp, 'sysctl')['values']
    assert values['vm.swappiness'] == '60' and values['net.ipv4.tcp_rmem'] == '4096 131072 6291456'
    for left_out in ('kernel.random.uuid', 'fs.file-nr', 'kernel.hung_task_warnings', 'kernel.hostname', 'kernel.tainted', 'vm.compact_memory',
                     'net.ipv4.conf.veth1a2b.forwarding'):
        assert left_out not in values
    assert 'kernel.random.uuid' in fp['sections']['sysctl']['volatile']['values']
    files = section(fp, 'config_files')['files']
    assert sorted(files) == ['/etc/fstab', '/etc/sysctl.d/10-lab.conf', '/etc/sysctl.d/99-local.conf']
    assert files['/etc/fstab']['size'] == 30 and len(files['/etc/fstab']['sha256']) == 64
    services = section(fp, 'services')
    assert services['default_target'] == 'multi-user.target'
    assert services['units']['postgresql.service'] == 'enabled' and 'apt-daily.service' not in services['units']
    ident = fp['identity']
    assert ident['hostname'] == 'lab1' and ident['kernel.hostname'] == 'lab1'
    assert ident['mac_addresses'] == {'eth0': '52:54:00:12:34:56'}
    assert ident['machine_id'] == '0123456789abcdef0123456789abcdef'
    # the overall digest is made of the section digests
    assert fp['digest'] == env.overall_digest(fp['digests'])
    for name, sec in fp['sections'].items():
        assert sec['digest'] == env.digest_of(sec['data']) == fp['digests'][name]


def test_digests_are_stable_and_volatile_values_do_not_count(host):
    first = host.fingerprint()
    host.write('proc/sys/kernel/random/uuid', 'another-value\n')
    host.write('proc/sys/fs/file-nr', '2048\t0\t9223372036854775807\n')
    host.write('proc/uptime', '99999.00 1.00\n')
    host.write('proc/sys/kernel/hung_task_warnings', '7\n')  # three hung task reports since
    host.write('proc/sys/kernel/hostname', 'lab2\n')
    host.write('etc/machine-id', 'fedcba9876543210fedcba9876543210\n')
    host.write('sys/class/net/eth0/address', '52:54:00:ab:cd:ef\n')
    second = host.fingerprint(uname=('Linux', 'lab2') + UNAME[2:])
    assert second['digest'] == first['digest']
    assert second['identity']['hostname'] == 'lab2'
    assert diff_fingerprints(first, second)['same']
    # one real change moves its section's digest and the overall one, nothing else
    host.write('proc/sys/vm/swappiness', '10\n')
    third = host.fingerprint()
    changed = [n for n in third['digests'] if third['digests'][n] != first['digests'][n]]
    assert changed == ['sysctl'] and third['digest'] != first['digest']
    diff = diff_fingerprints(first, third)
    assert diff['summary']['lines'] == ['sysctl: 1 changed']


def test_the_saved_form_is_json_and_compares_equal_after_a_round_trip(host):
    fp = host.fingerprint()
    saved = json.loads(json.dumps(fp))
    assert diff_fingerprints(saved, fp)['same']
    assert env.canonical_json(saved) == env.canonical_json(fp)


def test_bounds_mark_sections_incomplete(host):
    fp = host.fingerprint(max_entries=5)
    assert not fp['complete']
    pkgs = fp['sections']['packages']
    assert not pkgs['complete'] and len(pkgs['data']['dpkg']) == 5
    assert 'more than max_entries=5' in pkgs['notes'][0]
    assert len(fp['sections']['sysctl']['data']['values']) == 4  # exactly 4: not more than max_entries
    assert fp['sections']['sysctl']['complete']
    fp = host.fingerprint(sections=['sysctl', 'config_files'], max_entries=2)
    assert len(fp['sections']['sysctl']['data']['values']) == 2
    assert not fp['sections']['sysctl']['complete'] and not fp['sections']['config_files']['complete']
    assert len(fp['sections']['config_files']['data']['files']) == 2


def test_time_budget(host):
    ticks = iter(range(0, 1000, 10))  # every clock read is 10 s later
    fp = host.fingerprint(timeout=25, clock=lambda: next(ticks))
    collected = [n for n, s in fp['sections'].items() if s['complete']]
    skipped = [n for n, s in fp['sections'].items() if not s['complete']]
    assert collected and skipped
    assert 'time budget' in fp['sections'][skipped[-1]]['notes'][0]


def test_commands_go_through_timeout_when_installed(host):
    host.commands['timeout'] = (0, '', '')
    host.fingerprint(sections=['packages'], command_timeout=7)
    assert host.calls[0][:4] == ['/usr/bin/timeout', '-k', '5', '7']
    assert host.calls[0][4] == '/usr/bin/dpkg-query'


def test_modified_files_timeout_keeps_partial_output(host):
    host.commands['timeout'] = (0, '', '')
    host.commands['dpkg'] = (124, fixture_text('dpkg_verify_bookworm.txt'), '')
    fp = host.fingerprint(sections=['modified_files'], verify_timeout=3)
    sec = fp['sections']['modified_files']
    assert not sec['complete'] and 'did not finish within 3 s' in sec['notes'][0]
    assert len(sec['data']['dpkg']) == 12
    assert host.calls[-1][:5] == ['/usr/bin/timeout', '-k', '5', '3', '/usr/bin/dpkg']


def test_rpm_host(host):
    host.commands['dpkg-query'] = None
    host.commands['rpm'] = (0, fixture_text('rpm_qa_written.txt'), '')
    os.remove(host.path('var/lib/dpkg/status'))
    os.makedirs(host.path('var/lib/rpm'))
    fp = host.fingerprint(sections=['packages'])
    assert list(section(fp, 'packages')) == ['rpm']
    assert section(fp, 'packages')['rpm']['openssl-libs.x86_64'] == '1:3.0.7-27.el9'
    assert host.calls[0][1:] == env.RPM_QUERY[1:]
    host.commands['rpm'] = (1, fixture_text('rpm_va_written.txt'), '')  # rpm -Va: rc 1 when files differ
    fp = host.fingerprint(sections=['modified_files'])
    assert fp['sections']['modified_files']['complete']
    assert section(fp, 'modified_files')['rpm']['/etc/ssh/sshd_config'] == 'S.5....T. c'
    assert host.calls[-1][1:] == ['-Va', '--nodeps', '--noscripts']


def test_failing_and_missing_tools(host):
    host.commands['dpkg-query'] = (2, '', 'dpkg-query: error: cannot open the status file\n')
    host.commands['systemctl'] = None
    fp = host.fingerprint(sections=['packages', 'services'])
    assert not fp['sections']['packages']['complete']
    assert 'cannot open the status file' in fp['sections']['packages']['notes'][0]
    assert fp['sections']['services']['data'] == {}
    assert 'systemctl not found' in fp['sections']['services']['notes'][0]


def test_config_file_options(host, tmp_path):
    host.write('etc/myapp/a.conf', 'x=1\n')
    host.write('etc/myapp/big.conf', 'y' * 100)
    os.symlink('../usr/share/zoneinfo/Etc/UTC', host.path('etc/localtime'))  # not in the tree: dangling
    fp = host.fingerprint(sections=['config_files'], config_defaults=False,
                          config_files=['/etc/myapp/*.conf', '/etc/nonexistent'], max_file_size=50)
    files = section(fp, 'config_files')['files']
    assert sorted(files) == ['/etc/myapp/a.conf', '/etc/myapp/big.conf']
    assert files['/etc/myapp/big.conf']['sha256'] is None and 'max_file_size' in files['/etc/myapp/big.conf']['error']
    fp = host.fingerprint(sections=['config_files'])
    assert fp['sections']['config_files']['data']['files']['/etc/localtime'] == {
        'link': '../usr/share/zoneinfo/Etc/UTC', 'error': 'dangling link'}


def test_sysctl_and_mount_exclude(host):
    fp = host.fingerprint(sections=['sysctl', 'filesystems'], sysctl_exclude=['net.ipv4.*'], mount_exclude=['/mnt/*'])
    assert 'net.ipv4.tcp_rmem' not in section(fp, 'sysctl')['values']
    assert sorted(section(fp, 'filesystems')['mounts']) == ['/', '/dev', '/dev/shm']


def test_values_the_kernel_derives_at_boot_from_memory_do_not_count(host):
    # The lab VM's two boots (kernel 6.1 under OVMF, same VM, same 1 GiB): the EFI boot services
    # memory differed (43212K, 34888K), and with it what the kernel sizes from the memory there is
    # early in the boot. MemTotal (hardware.memory_mib) was the same.
    mounts = fixture_text('mounts_bookworm.txt')
    boots = [('7056', '3528', '29035', 'size=451628k,nr_inodes=112907'),
             ('6992', '3496', '29052', 'size=447492k,nr_inodes=111873')]
    fps = []
    for threads, namespaces, reserve, devtmpfs in boots:
        host.write('proc/sys/kernel/threads-max', threads + '\n')
        for kind in ('user', 'net', 'mnt', 'cgroup'):
            host.write('proc/sys/user/max_%s_namespaces' % kind, namespaces + '\n')
        host.write('proc/sys/user/max_inotify_instances', '128\n')
        host.write('proc/sys/vm/user_reserve_kbytes', reserve + '\n')
        host.write('proc/sys/vm/admin_reserve_kbytes', '8192\n')
        host.write('proc/mounts', mounts.replace('size=12334096k,nr_inodes=3083524', devtmpfs))
        fps.append(host.fingerprint(sections=['sysctl', 'filesystems']))
    first, second = fps
    assert second['digests'] == first['digests']
    assert diff_fingerprints(first, second, ignore=[])['same']
    values = section(second, 'sysctl')['values']
    assert values['user.max_user_namespaces'] == env.NAMESPACE_LIMIT_DEFAULT
    assert values['user.max_inotify_instances'] == '128'
    assert 'kernel.threads-max' not in values and 'vm.user_reserve_kbytes' not in values
    volatile = second['sections']['sysctl']['volatile']['values']
    assert volatile['kernel.threads-max'] == '6992' and volatile['user.max_net_namespaces'] == '3496'
    assert section(second, 'filesystems')['mounts']['/dev']['options'] == ['rw', 'relatime', 'mode=755']
    assert second['sections']['filesystems']['volatile']['boot_derived_options'] == {
        '/dev': ['size=447492k', 'nr_inodes=111873']}
    # tmpfs sizes are someone's choice (or derived from the memory once it is all there): kept
    assert section(second, 'filesystems')['mounts']['/dev/shm']['options'] == ['rw', 'relatime', 'size=24683568k']
    # a limit someone set is a difference: user namespaces turned off
    host.write('proc/sys/user/max_user_namespaces', '0\n')
    third = host.fingerprint(sections=['sysctl', 'filesystems'])
    diff = diff_fingerprints(second, third, ignore=[])
    assert diff['summary']['lines'] == ['sysctl: 1 changed']
    assert [(c['key'], c['old'], c['new']) for c in diff['sections']['sysctl']['changed']] == [
        ('values / user.max_user_namespaces', env.NAMESPACE_LIMIT_DEFAULT, '0')]


def test_sysctl_walk_does_not_open_binfmt_misc(host, monkeypatch):
    # Under systemd /proc/sys/fs/binfmt_misc is an autofs mount point: opening it mounts
    # binfmt_misc and loads its module. Seen on the lab VM (Debian 12) with the mount stopped
    # and the module unloaded: a walk that prunes the directory only once os.walk yields it
    # (the earlier code) loaded binfmt_misc and mounted it ("Got automount request ...
    # triggered by (python3)"); on a host where no binfmt.d file has systemd-binfmt mount it
    # at boot, the first fingerprint of a boot would change the kernel section of the next.
    # The walk must leave the directory unopened, not only unread.
    host.write('proc/sys/fs/binfmt_misc/status', 'enabled\n')
    host.write('proc/sys/fs/binfmt_misc/register', '', mode=0o200)
    opened = []
    for name in ('scandir', 'listdir'):
        real = getattr(os, name, None)
        if real is None:
            continue

        def recording(path='.', _real=real):
            opened.append(os.path.relpath(str(path), host.path('proc/sys')))
            return _real(path)
        monkeypatch.setattr(os, name, recording)
    values = section(host.fingerprint(sections=['sysctl']), 'sysctl')['values']
    monkeypatch.undo()
    assert 'fs' in opened and 'vm' in opened
    assert [p for p in opened if 'binfmt_misc' in p] == []
    assert 'vm.swappiness' in values and not [k for k in values if 'binfmt' in k]


@pytest.mark.parametrize('names, expected', [
    (['default'], list(env.DEFAULT_SECTIONS)),
    (['all'], list(env.SECTIONS)),
    (['sysctl', 'kernel', 'sysctl'], ['kernel', 'sysctl']),
    (['default', 'modified_files'], list(env.SECTIONS)),
])
def test_expand_sections(names, expected):
    assert env.expand_sections(names) == expected


def test_expand_sections_refuses_unknown():
    with pytest.raises(ValueError, match="unknown section 'packagez'"):
        env.expand_sections(['packagez'])


def test_verify_has_its_own_time_limit(host):
    """rpm -Va / dpkg --verify get verify_timeout even when the fingerprint's budget is smaller,
    and their time does not count against the other sections."""
    host.commands['timeout'] = (0, '', '')
    clock = [0.0]
    run = host.run

    def slow_verify(argv):
        if argv[4] == '/usr/bin/dpkg':
            clock[0] += 200  # dpkg --verify takes 200 s of a 300 s verify_timeout
        return run(argv)

    host.run = slow_verify
    fp = host.fingerprint(sections=['modified_files', 'sysctl'], timeout=30, verify_timeout=300,
                          clock=lambda: clock[0])
    verify = [c for c in host.calls if '/usr/bin/dpkg' in c][0]
    assert verify[:4] == ['/usr/bin/timeout', '-k', '5', '300']
    assert fp['sections']['modified_files']['complete']
    assert fp['sections']['sysctl']['complete'], fp['sections']['sysctl']['notes']
    assert fp['collected']['notes'] == []


def test_commands_without_timeout_are_noted(host):
    fp = host.fingerprint(sections=['packages', 'services'])
    assert fp['collected']['notes'] == [
        'timeout(1) (coreutils) not found: dpkg-query, systemctl ran without a time limit']
