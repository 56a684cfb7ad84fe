# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Environment fingerprint: collectors of a host's hardware, kernel, distribution, packages,
filesystems, sysctls, configuration files and services, each section with its own digest.

Runs on the managed host (Python 2.7 and 3.6+, stdlib only) for the environment_facts module;
the unit tests run the collectors on a temporary directory laid out like a host (``root``)
with a fake command runner. The saved form (FORMAT) is read by environment_compare.

Digests are sha256 over a canonical JSON form of a section's ``data`` (sorted keys, ASCII,
no spaces), identical on Python 2 and 3: every string is text, every number an integer.
Volatile values (uptime, free memory, counters, per-boot random values) never enter ``data``;
they are kept apart in the section's ``volatile`` dict, which no digest covers. Values that
identify one host (hostname, machine id, MAC addresses) are kept apart in ``identity``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch
import glob
import gzip
import hashlib
import json
import os
import re
import stat
import time

from functools import cmp_to_key

from ansible_collections.kdebug.kernel.plugins.module_utils.environment_compare import rpm_vercmp
from ansible_collections.kdebug.kernel.plugins.module_utils.kdebug_common import parse_meminfo

FORMAT = 'kdebug.environment/1'

# Section names in the order they are collected and reported.
SECTIONS = ('hardware', 'kernel', 'kernels', 'distribution', 'packages', 'modified_files',
            'filesystems', 'sysctl', 'config_files', 'services')
# 'default' expands to these: modified_files reads every packaged file (minutes on a big host).
DEFAULT_SECTIONS = tuple(s for s in SECTIONS if s != 'modified_files')

# CPU flags that change what the kernel or a program does (virtualization, vector units,
# mitigations, TSC); the rest only add noise between CPU steppings. cpu_flags=all keeps all.
RELEVANT_CPU_FLAGS = frozenset((
    'lm', 'nx', 'pae', 'pse', 'pge', 'sse2', 'ssse3', 'sse4_1', 'sse4_2', 'avx', 'avx2',
    'avx512f', 'avx512bw', 'avx512vl', 'fma', 'aes', 'pclmulqdq', 'sha_ni', 'vaes', 'gfni',
    'rdrand', 'rdseed', 'vmx', 'svm', 'ept', 'vpid', 'npt', 'hypervisor', 'x2apic',
    'constant_tsc', 'nonstop_tsc', 'tsc_deadline_timer', 'tsc_known_freq', 'pcid', 'invpcid',
    'smep', 'smap', 'umip', 'pku', 'la57', 'md_clear', 'ibrs', 'ibpb', 'stibp', 'ssbd', 'pti',
    'flush_l1d', 'arch_capabilities', 'xsave', 'erms', 'fsrm', 'rtm', 'hle', 'pdpe1gb', 'cx16',
    'movbe', 'popcnt', 'bmi1', 'bmi2', 'sev', 'sme', 'tme', 'sgx',
    # arm64 'Features'
    'fp', 'asimd', 'atomics', 'sve', 'sve2', 'sha2', 'crc32', 'pmull', 'lrcpc', 'bti', 'mte',
))

# Kernel build options the debug method depends on (read from /proc/config.gz or
# /boot/config-RELEASE); the sha256 of the whole config is kept beside them.
KERNEL_CONFIG_OPTIONS = (
    'CONFIG_DEBUG_KMEMLEAK', 'CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF', 'CONFIG_PROVE_LOCKING',
    'CONFIG_LOCKDEP', 'CONFIG_DETECT_HUNG_TASK', 'CONFIG_SOFTLOCKUP_DETECTOR',
    'CONFIG_MAGIC_SYSRQ', 'CONFIG_MAGIC_SYSRQ_DEFAULT_ENABLE', 'CONFIG_KASAN',
    'CONFIG_DEBUG_ATOMIC_SLEEP', 'CONFIG_FAULT_INJECTION', 'CONFIG_PREEMPT',
    'CONFIG_PREEMPT_VOLUNTARY', 'CONFIG_PREEMPT_DYNAMIC', 'CONFIG_HZ',
)

# Taint flags (kernel/panic.c taint_flags[], Documentation/admin-guide/tainted-kernels.rst).
TAINT_FLAGS = (
    (0, 'P', 'proprietary module'), (1, 'F', 'module force loaded'),
    (2, 'S', 'out of specification'), (3, 'R', 'module force unloaded'),
    (4, 'M', 'machine check'), (5, 'B', 'bad page'), (6, 'U', 'user request'),
    (7, 'D', 'kernel died (oops)'), (8, 'A', 'ACPI table overridden'),
    (9, 'W', 'kernel warning'), (10, 'C', 'staging driver'),
    (11, 'I', 'firmware workaround'), (12, 'O', 'out-of-tree module'),
    (13, 'E', 'unsigned module'), (14, 'L', 'soft lockup'), (15, 'K', 'live patched'),
    (16, 'X', 'auxiliary (distribution)'), (17, 'T', 'randstruct'), (18, 'N', 'test'),
)

# sysctls whose value changes by itself (counters, per-boot random values) or that identify
# the host: kept apart (``volatile``/``identity``), never digested.
VOLATILE_SYSCTLS = (
    'kernel.random.*', 'kernel.ns_last_pid', 'kernel.pty.nr', 'kernel.tainted',
    # counters of hung task reports: kernel/hung_task.c decrements hung_task_warnings per report
    'kernel.hung_task_warnings', 'kernel.hung_task_detect_count',
    'kernel.perf_event_max_sample_rate', 'fs.dentry-state', 'fs.inode-nr', 'fs.inode-state',
    'fs.file-nr', 'fs.aio-nr', 'fs.quota.*', 'fs.binfmt_misc.*', 'net.netfilter.nf_conntrack_count',
    'net.core.netdev_rss_key', 'net.ipv4.tcp_fastopen_key', 'net.*.conf.veth*', 'net.*.neigh.veth*',
)
# sysctls the kernel computes once at boot from the memory there is at that moment, which
# differs between boots of the same machine: on the lab VM (kernel 6.1, OVMF) the EFI boot
# services memory, given back only by an arch_initcall (arch/x86/platform/efi/quirks.c
# efi_free_boot_services), was 43212K in one boot and 34888K in the next, and kernel.threads-max
# went from 7056 to 6992. kernel/fork.c set_max_threads() (from fork_init) and mm/mmap.c
# init_user_reserve()/init_admin_reserve() (subsys_initcall). The memory size itself is
# hardware.memory_mib. Kept apart in ``volatile``, never digested.
BOOT_DERIVED_SYSCTLS = ('kernel.threads-max', 'vm.user_reserve_kbytes', 'vm.admin_reserve_kbytes')
# fork_init() sets the init user namespace's limits to threads-max / 2: user.max_*_namespaces at
# that value are recorded as this text; any other value (a limit someone set, such as
# user.max_user_namespaces = 0) as it is.
NAMESPACE_LIMITS = 'user.max_*_namespaces'
NAMESPACE_LIMIT_DEFAULT = 'kernel.threads-max/2 (the kernel default)'
# devtmpfs is sized at devtmpfs_init() (drivers/base/devtmpfs.c), before that memory is given
# back, with shmem's default of half the RAM then (mm/shmem.c shmem_default_max_blocks and
# _inodes): its size= and nr_inodes= vary between boots like those sysctls.
BOOT_DERIVED_MOUNT_OPTIONS = {'devtmpfs': ('size=', 'nr_inodes=')}
IDENTITY_SYSCTLS = ('kernel.hostname', 'kernel.domainname')
# Directories of /proc/sys never entered (see collect_sysctl).
SYSCTL_DIRS_NOT_WALKED = frozenset(('fs.binfmt_misc',))

# Pseudo filesystems: their options say nothing about the environment.
PSEUDO_FS_TYPES = frozenset((
    'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'securityfs', 'pstore', 'bpf', 'tracefs',
    'debugfs', 'mqueue', 'configfs', 'fusectl', 'autofs', 'binfmt_misc', 'efivarfs',
    'rpc_pipefs', 'nsfs', 'selinuxfs', 'hugetlbfs', 'fuse.gvfsd-fuse', 'fuse.portal',
))
# Mount points of sessions and containers: they come and go.
DEFAULT_MOUNT_EXCLUDE = (
    '/run/user/*', '/run/credentials/*', '/run/netns/*', '/run/docker/*', '/run/containerd/*',
    '/var/lib/docker/*', '/var/lib/containers/*', '/var/lib/kubelet/*', '/snap/*',
    '/proc/*', '/sys/*',
)

# Configuration files checksummed by default (present ones only). Globs are expanded.
DEFAULT_CONFIG_FILES = (
    '/etc/fstab', '/etc/crypttab', '/etc/sysctl.conf', '/etc/sysctl.d/*.conf',
    '/etc/modprobe.d/*.conf', '/etc/modules', '/etc/modules-load.d/*.conf',
    '/etc/security/limits.conf', '/etc/security/limits.d/*.conf',
    '/etc/default/grub', '/etc/default/grub.d/*.cfg', '/etc/kernel/cmdline',
    '/etc/sysconfig/grub', '/etc/sysconfig/kernel', '/etc/sysconfig/selinux', '/etc/selinux/config',
    '/etc/systemd/system.conf', '/etc/systemd/system.conf.d/*.conf', '/etc/systemd/journald.conf',
    '/etc/systemd/logind.conf', '/etc/systemd/coredump.conf', '/etc/systemd/sleep.conf',
    '/etc/nsswitch.conf', '/etc/ld.so.conf', '/etc/ld.so.conf.d/*.conf', '/etc/ld.so.preload',
    '/etc/dnf/dnf.conf', '/etc/yum.conf', '/etc/yum.repos.d/*.repo',
    '/etc/apt/sources.list', '/etc/apt/sources.list.d/*', '/etc/apt/apt.conf.d/*',
    '/etc/apt/preferences', '/etc/apt/preferences.d/*',
    '/etc/udev/rules.d/*.rules', '/etc/tuned/active_profile', '/etc/multipath.conf',
    '/etc/lvm/lvm.conf', '/etc/localtime', '/etc/timezone', '/etc/locale.conf',
    '/etc/default/locale', '/etc/environment', '/etc/login.defs',
    '/etc/chrony.conf', '/etc/chrony/chrony.conf', '/etc/ntp.conf', '/etc/ssh/sshd_config',
    '/etc/dracut.conf', '/etc/dracut.conf.d/*.conf', '/etc/initramfs-tools/initramfs.conf',
    '/etc/kdump.conf', '/etc/sysconfig/kdump', '/etc/default/kdump-tools',
)

# systemd unit file states that are an administrator's choice (static, generated, alias and
# transient units are not).
SERVICE_STATES = frozenset(('enabled', 'enabled-runtime', 'linked', 'linked-runtime',
                            'masked', 'masked-runtime'))

# /etc/os-release fields kept (os-release(5)).
OS_RELEASE_FIELDS = ('ID', 'ID_LIKE', 'NAME', 'VERSION', 'VERSION_ID', 'VERSION_CODENAME',
                     'PRETTY_NAME', 'VARIANT_ID', 'BUILD_ID', 'IMAGE_ID', 'IMAGE_VERSION')
RELEASE_FILES = ('/etc/debian_version', '/etc/redhat-release', '/etc/system-release',
                 '/etc/oracle-release', '/etc/centos-release', '/etc/rocky-release',
                 '/etc/almalinux-release', '/etc/fedora-release', '/etc/lsb-release',
                 '/etc/SuSE-release')

# Package queries: what each manager prints (one line per installed package).
RPM_QUERY = ['rpm', '-qa', '--queryformat',
             '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n']
DPKG_QUERY = ['dpkg-query', '-W', '-f',
              '${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n']
# Verification of packaged files: --nodeps/--noscripts so that rpm runs no package script.
RPM_VERIFY = ['rpm', '-Va', '--nodeps', '--noscripts']
DPKG_VERIFY = ['dpkg', '--verify']

MAC_RE = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5,19}$')


def text(value):
    """A str (Python 3) / unicode (Python 2) of bytes or text, undecodable bytes replaced."""
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return u'%s' % (value,)


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=True)


def digest_of(value):
    return 'sha256:' + hashlib.sha256(canonical_json(value).encode('ascii')).hexdigest()


def overall_digest(section_digests):
    """The fingerprint's one digest: over the format and the digest of each section."""
    return digest_of({'format': FORMAT, 'sections': section_digests})


def matches_any(name, patterns):
    for pattern in patterns:
        if fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def expand_sections(names):
    """Section names from the option (with 'default' and 'all'); ValueError when unknown."""
    result = []
    for name in names:
        if name == 'all':
            wanted = SECTIONS
        elif name == 'default':
            wanted = DEFAULT_SECTIONS
        elif name in SECTIONS:
            wanted = (name,)
        else:
            raise ValueError('unknown section %r; known: all, default, %s' % (name, ', '.join(SECTIONS)))
        for section in wanted:
            if section not in result:
                result.append(section)
    return [s for s in SECTIONS if s in result]


class Section(object):
    """One section: data (digested), volatile (not), notes, complete."""

    def __init__(self):
        self.data = {}
        self.volatile = {}
        self.notes = []
        self.complete = True

    def incomplete(self, note):
        self.complete = False
        self.notes.append(note)

    def as_dict(self, include_volatile=True):
        result = dict(digest=digest_of(self.data), complete=self.complete, data=self.data,
                      notes=self.notes)
        if include_volatile:
            result['volatile'] = self.volatile
        return result


class Budget(object):
    """The time left for the whole fingerprint."""

    def __init__(self, seconds, clock=time.time):
        self.clock = clock
        self.deadline = clock() + seconds

    def left(self):
        return self.deadline - self.clock()

    def exhausted(self):
        return self.left() <= 0


# --- parsers of what the tools and /proc print (pure functions, unit-tested on fixtures) ----

def parse_key_value_blocks(content, sep=':'):
    """/proc/cpuinfo: a list of dicts, one per blank-line separated block."""
    blocks = []
    current = {}
    for line in content.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        if sep in line:
            key, value = line.split(sep, 1)
            current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def parse_os_release(content):
    """os-release(5): KEY=value lines, values maybe quoted."""
    result = {}
    for line in content.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
            value = re.sub(r'\\(.)', r'\1', value)
        result[key.strip()] = value
    return result


def decode_taint(value):
    """Kernel taint mask -> list of 'W (kernel warning)' strings."""
    flags = []
    for bit, letter, meaning in TAINT_FLAGS:
        if value & (1 << bit):
            flags.append('%s (%s)' % (letter, meaning))
    known = 0
    for bit, dummy, dummy2 in TAINT_FLAGS:
        known |= 1 << bit
    if value & ~known:
        flags.append('unknown bits 0x%x' % (value & ~known))
    return flags


def parse_kernel_config(lines, options=KERNEL_CONFIG_OPTIONS):
    """Values of the chosen options ('n' when '# ... is not set' or absent)."""
    wanted = set(options)
    result = dict((opt, 'n') for opt in options)
    for line in lines:
        line = line.strip()
        if line.startswith('# CONFIG_') and line.endswith(' is not set'):
            name = line[2:-len(' is not set')]
            if name in wanted:
                result[name] = 'n'
        elif line.startswith('CONFIG_') and '=' in line:
            name, value = line.split('=', 1)
            if name in wanted:
                result[name] = value
    return result


def parse_mounts(content):
    """/proc/mounts: list of (source, mountpoint, fstype, options list)."""
    result = []
    for line in content.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        result.append((_unescape_octal(fields[0]), _unescape_octal(fields[1]), fields[2], fields[3].split(',')))
    return result


def _unescape_octal(field):
    """/proc/mounts writes space, tab, newline and backslash as \\040 \\011 \\012 \\134."""
    return re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), field)


def rpm_evr(epoch, version, release):
    """'E:V-R' with the epoch left out when rpm has none ('(none)')."""
    evr = '%s-%s' % (version, release)
    if epoch and epoch != '(none)':
        evr = '%s:%s' % (epoch, evr)
    return evr


def parse_rpm_query(content):
    """RPM_QUERY output -> ({'name.arch': evr or [evr, ...]}, notes)."""
    packages = {}
    bad = 0
    for line in content.splitlines():
        if not line.strip():
            continue
        fields = line.split('\t')
        if len(fields) != 5:
            bad += 1
            continue
        name, epoch, version, release, arch = fields
        key = name if arch in ('', '(none)') else '%s.%s' % (name, arch)
        _add_version(packages, key, rpm_evr(epoch, version, release))
    notes = ['%d line(s) of rpm -qa output not understood' % bad] if bad else []
    return packages, notes


def parse_dpkg_query(content):
    """DPKG_QUERY output -> (packages {'name:arch': version}, states {'name:arch': 'hi'}, notes).

    Installed packages ('.i' status) are kept; a status other than 'ii' (held, half
    configured...) is recorded in states. Removed packages with configuration files left
    ('rc') and not-installed ones are left out.
    """
    packages = {}
    states = {}
    bad = 0
    for line in content.splitlines():
        if not line.strip():
            continue
        fields = line.split('\t')
        if len(fields) != 4:
            bad += 1
            continue
        name, version, arch, abbrev = fields
        abbrev = abbrev.strip()
        if len(abbrev) < 2 or abbrev[1] in 'nc':
            continue
        key = '%s:%s' % (name, arch) if arch else name
        _add_version(packages, key, version)
        if abbrev != 'ii':
            states[key] = abbrev
    notes = ['%d line(s) of dpkg-query output not understood' % bad] if bad else []
    return packages, states, notes


def _add_version(packages, key, version):
    old = packages.get(key)
    if old is None:
        packages[key] = version
    elif isinstance(old, list):
        if version not in old:
            old.append(version)
            old.sort()
    elif old != version:
        packages[key] = sorted([old, version])


VERIFY_RE = re.compile(r'^(?P<flags>missing|[SM5DLUGTP.?]{8,9})\s+'
                       r'(?:(?P<attr>[cdglra]) +)?(?P<path>/.*?)(?: \((?P<error>[^()]*)\))?$')


def parse_verify(content):
    """``rpm -Va`` / ``dpkg --verify`` output -> ({path: 'flags attr'}, lines not understood).

    Lines look like ``S.5....T.  c /etc/ssh/sshd_config`` (rpm: 9 check letters, the file
    attribute c/d/g/l/r), ``??5??????   /usr/lib/x`` and ``missing   c /etc/x`` (dpkg's rpm
    format, dpkg-query(1) --verify-format). Lines of other messages are counted.
    """
    files = {}
    other = 0
    for line in content.splitlines():
        if not line.strip():
            continue
        match = VERIFY_RE.match(line.rstrip())
        if not match:
            other += 1
            continue
        value = match.group('flags')
        if match.group('attr'):
            value += ' ' + match.group('attr')
        files[match.group('path')] = value
    return files, other


def parse_unit_files(content):
    """``systemctl list-unit-files --no-legend`` -> {unit: state} (all states)."""
    units = {}
    for line in content.splitlines():
        fields = line.split()
        if len(fields) >= 2 and '.' in fields[0]:
            units[fields[0]] = fields[1]
    return units


def read_kernel_config(paths):
    """(lines, path read, sha256 of its content) from the first readable candidate."""
    for path in paths:
        try:
            if path.endswith('.gz'):
                fobj = gzip.open(path, 'rb')
            else:
                fobj = open(path, 'rb')
            try:
                data = fobj.read()
            finally:
                fobj.close()
        except (IOError, OSError, EOFError, ValueError):
            continue
        return text(data).splitlines(), path, hashlib.sha256(data).hexdigest()
    return None, None, None


# --- the collector ----------------------------------------------------------------------

class Collector(object):
    """Collects the sections of one host.

    root: prefix of every path read ('/' on a host, a fixture tree in tests).
    run: callable(argv list) -> (rc, stdout text, stderr text); the module passes
        AnsibleModule.run_command in the C locale. Commands are bounded with timeout(1)
        when ``timeout_bin`` is given.
    which: callable(name) -> path or None (AnsibleModule.get_bin_path).
    """

    def __init__(self, run, which, root='/', uname=None, timeout=120.0, command_timeout=60.0,
                 verify_timeout=300.0, max_entries=20000, max_modified_files=1000,
                 config_files=(), config_defaults=True, max_file_size=4 * 1024 * 1024,
                 sysctl_exclude=(), mount_exclude=(), cpu_flags='relevant',
                 package_managers=('auto',), clock=time.time):
        self.run_command = run
        self.which = which
        self.root = root
        self.uname = uname or os.uname()
        self.budget = Budget(timeout, clock)
        self.clock = clock
        self.command_timeout = command_timeout
        self.verify_timeout = verify_timeout
        self.max_entries = max_entries
        self.max_modified_files = max_modified_files
        self.config_patterns = (list(DEFAULT_CONFIG_FILES) if config_defaults else []) + list(config_files)
        self.max_file_size = max_file_size
        self.sysctl_exclude = tuple(sysctl_exclude)
        self.mount_exclude = DEFAULT_MOUNT_EXCLUDE + tuple(mount_exclude)
        self.cpu_flags = cpu_flags
        self.package_managers = list(package_managers)
        self.timeout_bin = which('timeout')
        self.identity = {}
        self.unbounded = set()
        self._managers = None

    # helpers ----------------------------------------------------------------------------

    def path(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def read(self, path, default=None, limit=4 * 1024 * 1024):
        try:
            with open(self.path(path), 'rb') as fobj:
                return text(fobj.read(limit))
        except (IOError, OSError):
            return default

    def read_value(self, path, default=None):
        value = self.read(path, None, 65536)
        if value is None:
            return default
        return value.strip()

    def exists(self, path):
        return os.path.exists(self.path(path))

    def listdir(self, path):
        try:
            return sorted(text(n) for n in os.listdir(self.path(path)))
        except (IOError, OSError):
            return []

    def command(self, argv, timeout=None, own_budget=False):
        """(rc, out, err, timed_out, seconds). rc None when the tool is missing.

        The command gets at most ``timeout`` (command_timeout by default) and, unless
        ``own_budget`` (rpm -Va / dpkg --verify, bounded by verify_timeout alone), at most the
        time left of the whole fingerprint's budget.
        """
        tool = self.which(argv[0])
        if not tool:
            return None, '', '%s: command not found' % argv[0], False, 0.0
        limit = self.command_timeout if timeout is None else timeout
        if not own_budget:
            limit = min(limit, max(self.budget.left(), 1))
        limit = max(1, int(limit))
        full = [tool] + list(argv[1:])
        if self.timeout_bin:
            full = [self.timeout_bin, '-k', '5', str(limit)] + full
        else:
            self.unbounded.add(argv[0])
        start = self.clock()
        rc, out, err = self.run_command(full)
        seconds = self.clock() - start
        timed_out = bool(self.timeout_bin) and rc in (124, 137)
        return rc, text(out), text(err), timed_out, seconds

    def managers(self):
        """Package managers of this host: ['dpkg'], ['rpm'] or both."""
        if self._managers is None:
            wanted = self.package_managers
            found = []
            if 'auto' in wanted:
                if self.which('dpkg-query') and self.exists('/var/lib/dpkg/status'):
                    found.append('dpkg')
                if self.which('rpm') and (self.exists('/var/lib/rpm') or self.exists('/usr/lib/sysimage/rpm')):
                    found.append('rpm')
            for name in ('dpkg', 'rpm'):
                if name in wanted and name not in found:
                    found.append(name)
            self._managers = sorted(found)
        return self._managers

    # the fingerprint -----------------------------------------------------------------------

    def collect(self, sections, include_volatile=True):
        start = self.clock()
        result = {}
        timings = {}
        for name in sections:
            section = Section()
            if self.budget.exhausted():
                section.incomplete('not collected: the time budget (timeout) was used up by the sections before')
            else:
                t0 = self.clock()
                getattr(self, 'collect_' + name)(section)
                timings[name] = round(self.clock() - t0, 3)
                if name == 'modified_files':
                    # bounded by verify_timeout alone: the other sections keep their budget
                    self.budget.deadline += self.clock() - t0
            result[name] = section.as_dict(include_volatile)
        self.collect_identity()
        notes = []
        if self.unbounded:
            notes.append('timeout(1) (coreutils) not found: %s ran without a time limit'
                         % ', '.join(sorted(self.unbounded)))
        digests = dict((name, sec['digest']) for name, sec in result.items())
        fingerprint = dict(
            format=FORMAT,
            digest=overall_digest(digests),
            digests=digests,
            complete=all(sec['complete'] for sec in result.values()),
            sections=result,
            identity=self.identity,
            collected=dict(seconds=round(self.clock() - start, 3), section_seconds=timings,
                           at=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                           sections=list(sections), notes=notes),
        )
        return fingerprint

    def collect_identity(self):
        ident = self.identity
        ident['hostname'] = text(self.uname[1])
        for name in IDENTITY_SYSCTLS:
            value = self.read_value('/proc/sys/' + name.replace('.', '/'))
            if value is not None:
                ident[name] = value
        machine_id = self.read_value('/etc/machine-id')
        if machine_id:
            ident['machine_id'] = machine_id
        for field in ('product_uuid', 'product_serial', 'board_serial', 'chassis_serial'):
            value = self.read_value('/sys/class/dmi/id/' + field)
            if value:
                ident[field] = value
        boot_id = self.read_value('/proc/sys/kernel/random/boot_id')
        if boot_id:
            ident['boot_id'] = boot_id
        macs = {}
        for iface in self.listdir('/sys/class/net'):
            if iface == 'lo':
                continue
            mac = self.read_value('/sys/class/net/%s/address' % iface)
            if mac and MAC_RE.match(mac.lower()):
                macs[iface] = mac.lower()
        ident['mac_addresses'] = macs

    # sections ---------------------------------------------------------------------------

    def collect_hardware(self, section):
        data = section.data
        data['architecture'] = text(self.uname[4])
        blocks = [b for b in parse_key_value_blocks(self.read('/proc/cpuinfo', '')) if b]
        processors = [b for b in blocks if 'processor' in b] or blocks
        cpu = {'count': len(processors)}
        first = processors[0] if processors else {}
        for key, field in (('vendor', 'vendor_id'), ('model', 'model name'), ('family', 'cpu family'),
                           ('model_number', 'model'), ('stepping', 'stepping'),
                           ('microcode', 'microcode'), ('cache', 'cache size'),
                           ('implementer', 'CPU implementer'), ('part', 'CPU part'),
                           ('variant', 'CPU variant'), ('revision', 'CPU revision'),
                           ('cpu', 'cpu'), ('machine', 'machine')):
            if field in first:
                cpu[key] = first[field]
        flag_sets = [set(p.get('flags', p.get('Features', '')).split()) for p in processors]
        flags = set.intersection(*flag_sets) if flag_sets else set()
        if self.cpu_flags != 'all':
            flags &= RELEVANT_CPU_FLAGS
        cpu['flags'] = sorted(flags)
        if 'bugs' in first:
            cpu['bugs'] = sorted(first['bugs'].split())
        sockets = set(p.get('physical id') for p in processors if 'physical id' in p)
        if sockets:
            cpu['sockets'] = len(sockets)
        if 'cpu cores' in first:
            cpu['cores_per_socket'] = _int(first['cpu cores'])
        data['cpu'] = cpu
        section.volatile['cpu_mhz'] = [p['cpu MHz'] for p in processors if 'cpu MHz' in p]

        meminfo = parse_meminfo(self.read('/proc/meminfo', ''))
        if 'MemTotal' in meminfo:
            data['memory_mib'] = meminfo['MemTotal'] // 1024
        if 'SwapTotal' in meminfo:
            data['swap_mib'] = meminfo['SwapTotal'] // 1024
        for key in ('MemAvailable', 'MemFree', 'SwapFree'):
            if key in meminfo:
                section.volatile[key.lower() + '_mib'] = meminfo[key] // 1024
        nodes = [n for n in self.listdir('/sys/devices/system/node') if re.match(r'^node\d+$', n)]
        if nodes:
            data['numa_nodes'] = len(nodes)

        virt = None
        rc, out, dummy, dummy2, dummy3 = self.command(['systemd-detect-virt'], timeout=10)
        if rc is not None and out.strip():
            virt = out.strip()  # 'none' (rc 1) on bare metal
        elif any('hypervisor' in flag_set for flag_set in flag_sets):
            virt = 'unknown hypervisor'
        data['virtualization'] = virt
        dmi = {}
        for field in ('sys_vendor', 'product_name', 'product_version', 'board_vendor', 'board_name',
                      'bios_vendor', 'bios_version', 'bios_date'):
            value = self.read_value('/sys/class/dmi/id/' + field)
            if value:
                dmi[field] = value
        data['dmi'] = dmi
        data['firmware'] = 'uefi' if self.exists('/sys/firmware/efi') else 'bios'
        nics = {}
        for iface in self.listdir('/sys/class/net'):
            driver = os.path.join(self.path('/sys/class/net'), iface, 'device', 'driver')
            if os.path.islink(driver) or os.path.isdir(driver):
                nics[iface] = dict(driver=text(os.path.basename(os.path.realpath(driver))),
                                   mtu=_int(self.read_value('/sys/class/net/%s/mtu' % iface)))
        data['nics'] = nics
        disks = {}
        for dev in self.listdir('/sys/block'):
            if re.match(r'^(loop|ram|zram|dm-|md|sr|nbd)', dev):
                continue
            sectors = _int(self.read_value('/sys/block/%s/size' % dev))
            disk = dict(size_mib=(sectors * 512) // (1024 * 1024) if sectors is not None else None,
                        rotational=self.read_value('/sys/block/%s/queue/rotational' % dev),
                        scheduler=self.read_value('/sys/block/%s/queue/scheduler' % dev))
            model = self.read_value('/sys/block/%s/device/model' % dev)
            if model:
                disk['model'] = model
            disks[dev] = disk
        data['disks'] = disks

    def collect_kernel(self, section):
        data = section.data
        release = text(self.uname[2])
        data['release'] = release
        data['version'] = text(self.uname[3])
        cmdline = self.read_value('/proc/cmdline', '')
        data['cmdline'] = cmdline.split()
        taint = _int(self.read_value('/proc/sys/kernel/tainted'))
        data['taint'] = dict(value=taint, flags=decode_taint(taint) if taint is not None else [])
        modules = {}
        content = self.read('/proc/modules')
        if content is None:
            section.notes.append('/proc/modules cannot be read (a kernel without loadable modules?)')
        else:
            for line in content.splitlines():
                fields = line.split()
                if not fields:
                    continue
                name = fields[0]
                if len(modules) >= self.max_entries:
                    section.incomplete('more than max_entries=%d modules: the rest left out' % self.max_entries)
                    break
                module = {}
                for field in ('version', 'srcversion'):
                    value = self.read_value('/sys/module/%s/%s' % (name, field))
                    if value:
                        module[field] = value
                modules[name] = module
        data['modules'] = modules

        lines, path, sha = read_kernel_config([self.path('/proc/config.gz'),
                                               self.path('/boot/config-%s' % release),
                                               self.path('/lib/modules/%s/config' % release)])
        if lines is None:
            data['config'] = None
            section.notes.append('no kernel config found (/proc/config.gz, /boot/config-%s)' % release)
        else:
            data['config'] = parse_kernel_config(lines)
            data['config_sha256'] = sha
            section.volatile['config_path'] = path[len(self.root.rstrip('/')):] if self.root != '/' else path
        debug = {}
        config = data['config'] or {}
        if config.get('CONFIG_DEBUG_KMEMLEAK', 'n') == 'n' and data['config'] is not None:
            debug['kmemleak'] = 'not built'
        elif self.exists('/sys/kernel/debug/kmemleak'):
            debug['kmemleak'] = 'present'
        elif self.exists('/sys/kernel/debug/tracing') or self.listdir('/sys/kernel/debug'):
            debug['kmemleak'] = 'off'
        else:
            debug['kmemleak'] = 'unknown (debugfs not mounted or not readable)'
        stats = self.read('/proc/lockdep_stats')
        if stats is None:
            debug['lockdep'] = 'not built' if self.exists('/proc') and not self.exists('/proc/lockdep') else 'unknown'
        else:
            match = re.search(r'debug_locks:\s+(\d+)', stats)
            debug['lockdep'] = 'on' if match and match.group(1) == '1' else 'off (debug_locks=0)'
        debug['sysrq'] = _int(self.read_value('/proc/sys/kernel/sysrq'))
        debug['hung_task_timeout_secs'] = _int(self.read_value('/proc/sys/kernel/hung_task_timeout_secs'))
        data['debug'] = debug
        security = {}
        lockdown = self.read_value('/sys/kernel/security/lockdown')
        if lockdown:
            match = re.search(r'\[(\w+)\]', lockdown)
            security['lockdown'] = match.group(1) if match else lockdown
        enforce = self.read_value('/sys/fs/selinux/enforce')
        if enforce is not None:
            security['selinux'] = 'enforcing' if enforce == '1' else 'permissive'
        apparmor = self.read_value('/sys/module/apparmor/parameters/enabled')
        if apparmor is not None:
            security['apparmor'] = 'enabled' if apparmor == 'Y' else 'disabled'
        data['security'] = security
        uptime = self.read_value('/proc/uptime')
        if uptime:
            section.volatile['uptime_seconds'] = _int(uptime.split()[0].split('.')[0])

    def collect_kernels(self, section):
        running = text(self.uname[2])
        installed = set()
        for name in self.listdir('/boot'):
            if name.startswith(('vmlinuz-', 'vmlinux-')):
                installed.add(name.split('-', 1)[1])
        for name in self.listdir('/lib/modules'):
            if self.exists('/lib/modules/%s/modules.dep' % name) or self.exists('/lib/modules/%s/kernel' % name):
                installed.add(name)
        installed = sorted(installed, key=cmp_to_key(rpm_vercmp))
        data = section.data
        data['running'] = running
        data['installed'] = installed
        data['newest'] = installed[-1] if installed else None
        data['running_is_newest'] = bool(installed) and rpm_vercmp(running, installed[-1]) >= 0
        data['running_is_installed'] = running in installed
        if not installed:
            section.notes.append('no kernel found in /boot or /lib/modules')

    def collect_distribution(self, section):
        data = section.data
        os_release = parse_os_release(self.read('/etc/os-release') or self.read('/usr/lib/os-release') or '')
        data['os_release'] = dict((k, os_release[k]) for k in OS_RELEASE_FIELDS if k in os_release)
        files = {}
        for path in RELEASE_FILES:
            value = self.read_value(path)
            if value is not None:
                files[path] = value[:4096]
        data['release_files'] = files
        if not os_release:
            section.notes.append('no /etc/os-release')

    def collect_packages(self, section):
        managers = self.managers()
        if not managers:
            section.notes.append('no package manager found (dpkg-query with /var/lib/dpkg, rpm with its database)')
        for manager in managers:
            argv = DPKG_QUERY if manager == 'dpkg' else RPM_QUERY
            rc, out, err, timed_out, dummy = self.command(argv)
            if rc is None or (rc != 0 and not out):
                section.incomplete('%s failed (rc=%s): %s' % (' '.join(argv[:2]), rc, err.strip()[:500]))
                continue
            if timed_out:
                section.incomplete('%s stopped after the time limit: the list is partial' % argv[0])
            if manager == 'dpkg':
                packages, states, notes = parse_dpkg_query(out)
                if states:
                    section.data['dpkg_status'] = states
            else:
                packages, notes = parse_rpm_query(out)
            section.notes.extend(notes)
            if len(packages) > self.max_entries:
                section.incomplete('%d %s packages, more than max_entries=%d: the rest left out'
                                   % (len(packages), manager, self.max_entries))
                packages = dict((k, packages[k]) for k in sorted(packages)[:self.max_entries])
            section.data[manager] = packages
            section.volatile['%s_count' % manager] = len(packages)

    def collect_modified_files(self, section):
        managers = self.managers()
        if not managers:
            section.notes.append('no package manager found')
        for manager in managers:
            argv = DPKG_VERIFY if manager == 'dpkg' else RPM_VERIFY
            rc, out, err, timed_out, seconds = self.command(argv, timeout=self.verify_timeout, own_budget=True)
            section.volatile['%s_verify_seconds' % manager] = round(seconds, 1)
            if rc is None:
                section.incomplete('%s not found' % argv[0])
                continue
            if timed_out:
                section.incomplete('%s did not finish within %s s (verify_timeout): the list is partial'
                                   % (' '.join(argv), self.verify_timeout))
            elif rc != 0 and not out.strip():
                section.incomplete('%s failed (rc=%s): %s' % (' '.join(argv), rc, err.strip()[:500]))
                continue
            files, other = parse_verify(out)
            if other:
                section.volatile['%s_other_lines' % manager] = other
            if len(files) > self.max_modified_files:
                section.incomplete('%d modified files, more than max_modified_files=%d: the rest left out'
                                   % (len(files), self.max_modified_files))
                files = dict((k, files[k]) for k in sorted(files)[:self.max_modified_files])
            section.data[manager] = files

    def collect_filesystems(self, section):
        content = self.read('/proc/mounts')
        if content is None:
            section.incomplete('/proc/mounts cannot be read')
            return
        mounts = {}
        stacked = 0
        for source, mountpoint, fstype, options in parse_mounts(content):
            if fstype in PSEUDO_FS_TYPES or matches_any(mountpoint, self.mount_exclude):
                continue
            if mountpoint in mounts:
                stacked += 1
            elif len(mounts) >= self.max_entries:
                section.incomplete('more than max_entries=%d mounts: the rest left out' % self.max_entries)
                break
            derived = BOOT_DERIVED_MOUNT_OPTIONS.get(fstype)
            if derived and any(o.startswith(derived) for o in options):
                section.volatile.setdefault('boot_derived_options', {})[mountpoint] = [
                    o for o in options if o.startswith(derived)]
                options = [o for o in options if not o.startswith(derived)]
            mounts[mountpoint] = dict(type=fstype, source=source, options=options)
        section.data['mounts'] = mounts
        if stacked:
            section.volatile['stacked_mounts'] = stacked

    def collect_sysctl(self, section):
        base = self.path('/proc/sys')
        values = {}
        unreadable = 0
        volatile = {}
        full_stop = False
        for dirpath, dirnames, filenames in os.walk(base):
            rel = os.path.relpath(dirpath, base)
            prefix = '' if rel == '.' else rel.replace(os.sep, '.') + '.'
            # pruned before os.walk opens them: fs/binfmt_misc is an autofs mount point under
            # systemd (proc-sys-fs-binfmt_misc.automount), and opening it mounts binfmt_misc
            # and loads its module, so a fingerprint would change the kernel section of the next
            dirnames[:] = sorted(d for d in dirnames if prefix + d not in SYSCTL_DIRS_NOT_WALKED)
            if self.budget.exhausted():
                section.incomplete('stopped at %s: the time budget (timeout) was used up' % prefix)
                break
            for filename in sorted(filenames):
                name = text(prefix + filename)
                if name in IDENTITY_SYSCTLS:
                    continue
                full = os.path.join(dirpath, filename)
                try:
                    mode = os.stat(full).st_mode
                except (IOError, OSError):
                    unreadable += 1
                    continue
                if not stat.S_ISREG(mode) or not mode & 0o444:
                    continue
                try:
                    with open(full, 'rb') as fobj:
                        value = ' '.join(text(fobj.read(65536)).split())
                except (IOError, OSError):
                    unreadable += 1
                    continue
                if name in BOOT_DERIVED_SYSCTLS or matches_any(name, VOLATILE_SYSCTLS):
                    volatile[name] = value
                elif matches_any(name, self.sysctl_exclude):
                    continue
                elif len(values) >= self.max_entries:
                    full_stop = True
                    break
                else:
                    values[name] = value
            if full_stop:
                section.incomplete('more than max_entries=%d sysctls: the rest left out' % self.max_entries)
                break
        threads_max = _int(volatile.get('kernel.threads-max'))
        for name in sorted(values):
            if threads_max is not None and fnmatch.fnmatchcase(name, NAMESPACE_LIMITS) \
                    and values[name] == str(threads_max // 2):
                volatile[name] = values[name]
                values[name] = NAMESPACE_LIMIT_DEFAULT
        if not values:
            section.notes.append('no sysctl could be read under /proc/sys')
        section.data['values'] = values
        section.volatile['values'] = volatile
        section.volatile['unreadable'] = unreadable
        if unreadable:
            section.notes.append('%d sysctl(s) could not be read%s' % (
                unreadable, '' if os.geteuid() == 0 else ' (run as root to read them all)'))

    def collect_config_files(self, section):
        files = {}
        full_stop = False
        for pattern in self.config_patterns:
            if self.budget.exhausted():
                section.incomplete('stopped at %s: the time budget (timeout) was used up' % pattern)
                break
            if glob.has_magic(pattern):
                paths = sorted(glob.glob(self.path(pattern)))
            else:
                paths = [self.path(pattern)]
            for full in paths:
                rel = text('/' + os.path.relpath(full, self.root) if self.root != '/' else full)
                if rel in files:
                    continue
                entry = self.file_entry(full)
                if entry is None:
                    continue
                if len(files) >= self.max_entries:
                    full_stop = True
                    break
                files[rel] = entry
            if full_stop:
                section.incomplete('more than max_entries=%d files: the rest left out' % self.max_entries)
                break
        section.data['files'] = files

    def file_entry(self, full):
        """{'sha256', 'size', 'mode', 'uid', 'gid'[, 'link']}; None for a missing file or a directory."""
        try:
            st = os.stat(full)
        except (IOError, OSError) as exc:
            if os.path.islink(full):
                return dict(link=text(os.readlink(full)), error='dangling link')
            if getattr(exc, 'errno', None) == 2:
                return None
            return dict(error=text(exc.strerror or exc))
        if stat.S_ISDIR(st.st_mode):
            return None
        entry = dict(size=st.st_size, mode='%04o' % stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid)
        if os.path.islink(full):
            entry['link'] = text(os.readlink(full))
        if not stat.S_ISREG(st.st_mode):
            entry['type'] = 'special'
            return entry
        if st.st_size > self.max_file_size:
            entry['sha256'] = None
            entry['error'] = 'larger than max_file_size (%d bytes): not checksummed' % self.max_file_size
            return entry
        sha = hashlib.sha256()
        try:
            with open(full, 'rb') as fobj:
                while True:
                    chunk = fobj.read(65536)
                    if not chunk:
                        break
                    sha.update(chunk)
        except (IOError, OSError) as exc:
            entry['sha256'] = None
            entry['error'] = text(exc.strerror or exc)
            return entry
        entry['sha256'] = sha.hexdigest()
        return entry

    def collect_services(self, section):
        if not self.which('systemctl'):
            section.notes.append('systemctl not found: services are not listed on hosts without systemd')
            return
        rc, out, err, timed_out, dummy = self.command(
            ['systemctl', 'list-unit-files', '--no-legend', '--no-pager', '--type=service,socket,timer'])
        if rc != 0 or timed_out:
            section.incomplete('systemctl list-unit-files failed (rc=%s): %s' % (rc, err.strip()[:500]))
        units = parse_unit_files(out)
        chosen = dict((u, s) for u, s in units.items() if s in SERVICE_STATES)
        section.data['units'] = chosen
        section.volatile['unit_files'] = len(units)
        rc, out, err, timed_out, dummy = self.command(['systemctl', 'get-default'], timeout=10)
        section.data['default_target'] = out.strip() if rc == 0 else None
        if not self.exists('/run/systemd/system'):
            section.notes.append('systemd is not running (no /run/systemd/system): unit file states only')


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
