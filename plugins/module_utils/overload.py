# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Overload stages run on the target: the workload of each stage type, the sampler, cleanup.

A stage runs its workload in a transient systemd unit (``systemd-run``) with a high
``oom_score_adj``, so the OOM killer takes the workload first and one ``systemctl stop`` kills
it whole; the harness itself (this module and the async wrapper that runs it) sets a low one.
While the unit runs, the sampler reads MemAvailable, PSI (memory, io, cpu) and the load
average every few seconds. Each stage type is a class in STAGE_TYPES: its parameters with
their defaults (data), what it checks before it starts, the command of its unit, what it does
while the unit runs (e.g. take a link down and up), and what it removes afterwards. The
runner never names a type.

Runs on Python 2.7 and 3.6+ (RHEL 7 and 8 targets), standard library only.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import shutil
import sys
import time

from ansible_collections.kdebug.kernel.plugins.module_utils.kdebug_common import (
    is_mountpoint, parse_meminfo, read_mounts, read_small_file)

STATUS_PASSED = 'passed'
STATUS_TIMEOUT = 'timeout'
STATUS_ERROR = 'error'
STATUS_SKIPPED = 'skipped'

# oom_score_adj of the workload (taken first) and of the harness (spared, as LKP's OOM
# monitor runs at -1000).
WORKLOAD_OOM_SCORE_ADJ = 1000
HARNESS_OOM_SCORE_ADJ = -1000

UNIT_PREFIX = 'kdebug-overload-'
WORK_ROOT = '/var/tmp/kdebug-overload'

SIZE_UNITS = {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}


class StageError(Exception):
    """The stage cannot run (missing tool, no space, bad parameter): status 'error'."""


def parse_size(value, what):
    """Bytes from 1048576, '1M', '100M', '2G' (dd's and stress-ng's binary suffixes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise StageError('%s must be positive, not %r' % (what, value))
        return value
    match = re.match(r'^\s*(\d+)\s*([KMGT]?)i?B?\s*$', str(value), re.I)
    if not match or int(match.group(1)) <= 0:
        raise StageError("%s must be a positive size such as 1048576, '1M' or '100M', not %r" % (what, value))
    return int(match.group(1)) * SIZE_UNITS[match.group(2).upper()]


def safe_name(text):
    """A name usable in unit, file and interface names."""
    name = re.sub(r'[^A-Za-z0-9_.-]+', '-', text).strip('-.')
    if not name:
        raise StageError('stage name %r has no letters or digits' % text)
    return name[:64]


def which(name, path=None):
    for directory in (path or os.environ.get('PATH', '') + ':/usr/sbin:/sbin:/usr/bin:/bin').split(':'):
        candidate = os.path.join(directory, name)
        if directory and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


# How commands run: the module sets this to AnsibleModule.run_command (argv list ->
# (rc, stdout, stderr)); coreutils timeout(1) bounds each command, run_command has no timeout.
RUNNER = None


def run(argv, check=True, timeout=60):
    """Run a short command; (rc, stdout, stderr) as text."""
    if RUNNER is None:
        raise StageError('no command runner: the module sets overload.RUNNER')
    rc, out, err = RUNNER(['timeout', '-s', 'KILL', '%d' % int(timeout)] + [str(a) for a in argv])
    if check and rc != 0:
        raise StageError('%s failed (exit %s): %s' % (' '.join(argv), rc, (err or out).strip()[-500:]))
    return rc, out, err


# --- samples ----------------------------------------------------------------------------

def read_pressure(text):
    """{'some': {'avg10': 1.2, ..., 'total': us}, 'full': {...}} from /proc/pressure/*."""
    result = {}
    for line in (text or '').splitlines():
        fields = line.split()
        if not fields:
            continue
        values = {}
        for field in fields[1:]:
            key, sep, value = field.partition('=')
            if sep:
                values[key] = int(value) if key == 'total' else float(value)
        result[fields[0]] = values
    return result


class Sampler(object):
    """MemAvailable, memory/io/cpu PSI and load, with wall-clock and boot-clock times (the
    kernel log's time stamps are seconds since boot: the timeline needs both)."""

    def __init__(self, proc='/proc', path=None):
        self.proc = proc
        self.path = path
        self.samples = []

    def take(self, note=None):
        mem = parse_meminfo(read_small_file(os.path.join(self.proc, 'meminfo')))
        uptime = (read_small_file(os.path.join(self.proc, 'uptime')) or '0').split()[0]
        load = (read_small_file(os.path.join(self.proc, 'loadavg')) or '0 0 0').split()
        sample = {
            'time': round(time.time(), 3),
            'uptime': float(uptime),
            'mem_available_kb': mem.get('MemAvailable'),
            'mem_free_kb': mem.get('MemFree'),
            'load1': float(load[0]),
        }
        for resource in ('memory', 'io', 'cpu'):
            psi = read_pressure(read_small_file(os.path.join(self.proc, 'pressure', resource)))
            for kind in ('some', 'full'):
                if kind in psi:
                    sample['psi_%s_%s_avg10' % (resource, kind)] = psi[kind].get('avg10')
        if note:
            sample['note'] = note
        self.samples.append(sample)
        if self.path:
            # kept on the target as they come: a host reset during the stage still leaves them
            with open(self.path, 'a') as fobj:
                fobj.write(json.dumps(sample, sort_keys=True) + '\n')
                fobj.flush()
                os.fsync(fobj.fileno())
        return sample


# --- the harness's own OOM protection ---------------------------------------------------

def protect_harness(pid=None, depth=3, proc='/proc'):
    """Set HARNESS_OOM_SCORE_ADJ on this process and its parents up to the async wrapper (the
    process that writes the result), so the OOM killer takes the workload, not the harness.
    Returns the pids changed."""
    changed = []
    pid = pid or os.getpid()
    for dummy in range(depth):
        if pid <= 1:
            break
        cmdline = (read_small_file(os.path.join(proc, str(pid), 'cmdline')) or '').replace('\0', ' ')
        if pid != os.getpid() and 'python' not in cmdline and 'ansible' not in cmdline:
            break
        try:
            with open(os.path.join(proc, str(pid), 'oom_score_adj'), 'w') as fobj:
                fobj.write('%d\n' % HARNESS_OOM_SCORE_ADJ)
            changed.append(pid)
        except (IOError, OSError):
            pass
        stat = read_small_file(os.path.join(proc, str(pid), 'stat')) or ''
        try:
            pid = int(stat.rsplit(')', 1)[1].split()[1])
        except (IndexError, ValueError):
            break
    return changed


# --- stage types ------------------------------------------------------------------------

class Stage(object):
    """One stage type. Subclasses set NAME, PARAMS ({name: (default, description)}) and
    override the hooks; the runner calls prepare(), command(), during() every sample,
    finish() when the unit has ended, and cleanup() always."""

    NAME = None
    PARAMS = {}
    # what the stage needs on PATH; missing -> status 'error' (infrastructure)
    TOOLS = ()

    def __init__(self, name, params, workdir, check_mode=False):
        unknown = sorted(set(params) - set(self.PARAMS))
        if unknown:
            raise StageError('stage %s (type %s) has unknown parameters %s; it takes %s'
                             % (name, self.NAME, ', '.join(unknown), ', '.join(sorted(self.PARAMS)) or 'none'))
        self.name = name
        self.params = dict((key, params.get(key, default)) for key, (default, dummy) in self.PARAMS.items())
        self.workdir = workdir
        self.check_mode = check_mode
        self.result = {}
        self.cleanup_actions = []

    def tools(self):
        missing = [tool for tool in self.TOOLS if not which(tool)]
        if missing:
            raise StageError('stage %s (type %s) needs %s on the target' % (self.name, self.NAME, ', '.join(missing)))

    def prepare(self):
        """Check and set up; raise StageError when the stage cannot run."""

    def command(self):
        """argv of the workload, run in the stage's unit."""
        raise NotImplementedError

    def during(self, elapsed):
        """Called after every sample while the unit runs."""

    def finish(self):
        """Called once the unit has ended or was stopped."""

    def cleanup(self):
        """Remove what the stage made; list what was done in self.cleanup_actions."""

    def reclaim(self):
        """Remove what a run of this stage left behind when it could not clean up itself (the
        host was reset, the module killed): by names alone, without prepare()."""
        self.cleanup()

    def remove_path(self, path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)
        else:
            return
        self.cleanup_actions.append('removed %s' % path)


def mounted(path):
    return is_mountpoint(path, read_mounts())


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class DdWrite(Stage):
    """N parallel dd writers into one file (the method: 10 x bs=1M count=100 is routine load,
    100 x bs=100M count=100 exhausts memory with dd's 100 MiB buffers)."""

    NAME = 'dd_write'
    TOOLS = ('dd', 'sh')
    PARAMS = {
        'path': ('/var/tmp', 'directory on the filesystem to write to'),
        'writers': (10, 'parallel dd processes'),
        'bs': ('1M', "dd's block size (each writer holds one such buffer)"),
        'count': (100, "dd's block count"),
        'max_fill': (0.8, 'at most this share of the free space is written'),
    }

    def prepare(self):
        self.tools()
        path = self.params['path']
        if not os.path.isdir(path):
            raise StageError('dd_write path %s is not a directory' % path)
        self.bs = parse_size(self.params['bs'], 'bs')
        self.count = int(self.params['count'])
        writers = int(self.params['writers'])
        if writers < 1 or self.count < 1:
            raise StageError('dd_write needs writers >= 1 and count >= 1')
        # every writer truncates and rewrites the same file, so it never exceeds bs * count
        room = int(free_bytes(path) * float(self.params['max_fill']))
        count = min(self.count, room // self.bs)
        if count < 1:
            raise StageError('dd_write: %d bytes free on %s allow no block of %d bytes' % (room, path, self.bs))
        if count < self.count:
            self.result['count_reduced'] = {'asked': self.count, 'written': count,
                                            'why': '%d bytes may be written on %s' % (room, path)}
        self.count = count
        self.file = os.path.join(path, 'kdebug-dd-%s' % self.name)
        self.result.update({'file': self.file, 'writers': writers, 'bs': self.bs, 'count': count,
                            'bytes_bound': self.bs * count})

    def command(self):
        script = ('for i in $(seq 1 %d); do dd if=/dev/zero of=%s bs=%d count=%d 2>/dev/null & done; wait'
                  % (self.result['writers'], self.file, self.bs, self.count))
        return ['sh', '-c', script]

    def cleanup(self):
        self.remove_path(getattr(self, 'file', None) or os.path.join(self.params['path'], 'kdebug-dd-%s' % self.name))


# stress-ng's exit codes (stress-ng.h: EXIT_*): what a stage result says instead of a guess
STRESS_NG_EXIT = {
    0: 'success',
    1: 'failure',
    2: 'a stressor failed',
    3: 'no resources',
    4: 'not implemented',
    5: 'killed by a signal',
    6: 'exited by the system',
    7: 'metrics untrustworthy',
}

MEMORY_HOG = r'''
import os, sys, time
size, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
chunks = []
while sum(len(c) for c in chunks) < size and time.time() < deadline:
    chunk = bytearray(16 << 20)
    for i in range(0, len(chunk), 4096):
        chunk[i] = 1
    chunks.append(chunk)
while time.time() < deadline:
    time.sleep(1)
'''


class StressNg(Stage):
    """Any stress-ng stressors, with its YAML metrics and exit code in the result."""

    NAME = 'stress_ng'
    TOOLS = ('stress-ng',)
    PARAMS = {
        'stressors': ({'cpu': 2}, 'stressor name -> worker count, e.g. {vm: 2, hdd: 1}'),
        'args': ([], 'more stress-ng arguments, e.g. [--vm-bytes, 80%]'),
        'duration': (60, 'seconds stress-ng runs (--timeout)'),
    }

    def prepare(self):
        self.tools()
        self.yaml = os.path.join(self.workdir, '%s.stress-ng.yaml' % self.name)

    def stressor_args(self):
        args = []
        for stressor, workers in sorted(self.params['stressors'].items()):
            args += ['--%s' % stressor, str(int(workers))]
        return args + [str(a) for a in self.params['args']]

    def command(self):
        return (['stress-ng'] + self.stressor_args()
                + ['--timeout', '%ds' % int(self.params['duration']), '--metrics-brief', '--yaml', self.yaml])

    def finish(self):
        rc = self.result.get('exit_status')
        if rc is not None:
            self.result['stress_ng_exit'] = {'code': rc, 'meaning': STRESS_NG_EXIT.get(rc, 'unknown')}
        text = read_small_file(self.yaml)
        if text:
            self.result['stress_ng_metrics'] = parse_stress_ng_yaml(text)


def parse_stress_ng_yaml(text):
    """The 'metrics' list of stress-ng's --yaml output as dicts (a small reader for that one
    flat structure: no YAML library on the target)."""
    metrics, current, in_metrics = [], None, False
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith('#') or line == '---':
            continue
        if not raw.startswith(' '):
            in_metrics = line.startswith('metrics:')
            continue
        if not in_metrics:
            continue
        stripped = line.strip()
        if stripped.startswith('- '):
            current = {}
            metrics.append(current)
            stripped = stripped[2:]
        key, sep, value = stripped.partition(':')
        if sep and current is not None:
            value = value.strip()
            try:
                current[key.strip()] = float(value) if '.' in value else int(value)
            except ValueError:
                current[key.strip()] = value
    return metrics


class MemoryPressure(StressNg):
    """Anonymous memory past the OOM killer: stress-ng --vm N --vm-bytes P% --oomable, or a
    bounded built-in hog when stress-ng is not there."""

    NAME = 'memory_pressure'
    TOOLS = ()
    PARAMS = {
        'workers': (2, 'stress-ng --vm workers (or hog processes)'),
        'vm_bytes': ('110%', "memory per run: a share of MemTotal ('110%') or a size, split over the workers"),
        'duration': (60, 'seconds the pressure is held'),
        'populate': (True, 'prefault the mappings (stress-ng --vm-populate): memory runs out in seconds, also under '
                           'an emulator where touching page after page from user space takes minutes'),
        'allow_builtin': (True, 'use the built-in hog when stress-ng is missing'),
    }

    def prepare(self):
        self.yaml = os.path.join(self.workdir, '%s.stress-ng.yaml' % self.name)
        self.tool = 'stress-ng' if which('stress-ng') else None
        if self.tool is None and not self.params['allow_builtin']:
            raise StageError('memory_pressure needs stress-ng on the target (allow_builtin is false)')
        self.result['tool'] = self.tool or 'builtin'

    def command(self):
        workers = int(self.params['workers'])
        duration = int(self.params['duration'])
        if self.tool:
            return (['stress-ng', '--vm', str(workers), '--vm-bytes', str(self.params['vm_bytes']),
                     '--oomable', '--vm-keep'] + (['--vm-populate'] if self.params['populate'] else [])
                    + ['--timeout', '%ds' % duration, '--metrics-brief', '--yaml', self.yaml])
        total = parse_meminfo(read_small_file('/proc/meminfo')).get('MemTotal', 0) * 1024
        spec = str(self.params['vm_bytes']).strip()
        size = int(total * float(spec[:-1]) / 100) if spec.endswith('%') else parse_size(spec, 'vm_bytes')
        per = max(size // workers, 1 << 20)
        hog = os.path.join(self.workdir, '%s.hog.py' % self.name)
        with open(hog, 'w') as fobj:
            fobj.write(MEMORY_HOG)
        self.result['builtin'] = {'workers': workers, 'bytes_each': per}
        script = 'for i in $(seq 1 %d); do "$0" %s %d %d & done; wait' % (workers, hog, per, duration)
        return ['sh', '-c', script, sys.executable or 'python3']


class Command(Stage):
    """A user command (argv list, or a string run by sh -c) in the stage's unit."""

    NAME = 'command'
    PARAMS = {
        'cmd': (None, 'argv list, or a shell command line'),
    }

    def prepare(self):
        cmd = self.params['cmd']
        if not cmd:
            raise StageError('stage %s (type command) needs cmd' % self.name)

    def command(self):
        cmd = self.params['cmd']
        return ['sh', '-c', cmd] if not isinstance(cmd, list) else [str(a) for a in cmd]


# mount points a freeze would stop the harness or the system on
UNFREEZABLE = ('/', '/boot', '/usr', '/var', '/tmp', '/home', '/root', '/etc', '/run')


class FsfreezeStall(Stage):
    """Freeze a scratch filesystem while writers run, hold past the hung-task timeout, thaw:
    the kernel reports the writers as "blocked for more than N seconds" with their locks."""

    NAME = 'fsfreeze_stall'
    TOOLS = ('fsfreeze', 'mkfs.ext4', 'mount', 'umount', 'losetup', 'dd', 'sh')
    PARAMS = {
        'mountpoint': (None, 'a mounted scratch filesystem to freeze; by default a loop-mounted ext4 image the stage makes'),
        'image_size': ('64M', 'size of the stage\'s own loop image'),
        'writers': (2, 'writer processes that block on the frozen filesystem'),
        'hung_task_timeout': (10, 'kernel.hung_task_timeout_secs during the stage (restored after)'),
        'hold': (None, 'seconds frozen; by default the hung-task timeout plus 20'),
    }
    SYSCTL = '/proc/sys/kernel/hung_task_timeout_secs'

    def prepare(self):
        self.tools()
        self.frozen = False
        self.loop = None
        self.own_mount = None
        mountpoint = self.params['mountpoint']
        if mountpoint:
            mountpoint = os.path.normpath(mountpoint)
            if mountpoint in UNFREEZABLE or not mounted(mountpoint):
                raise StageError('fsfreeze_stall: %s is not a scratch mount point (not one of %s, and mounted)'
                                 % (mountpoint, ', '.join(UNFREEZABLE)))
        else:
            image = os.path.join(self.workdir, '%s.ext4' % self.name)
            mountpoint = os.path.join(self.workdir, '%s.mnt' % self.name)
            run(['dd', 'if=/dev/zero', 'of=%s' % image, 'bs=1M', 'count=0',
                 'seek=%d' % (parse_size(self.params['image_size'], 'image_size') >> 20)])
            run(['mkfs.ext4', '-q', '-F', image])
            os.mkdir(mountpoint)
            rc, out, dummy = run(['losetup', '--find', '--show', image])
            self.loop = out.strip()
            run(['mount', self.loop, mountpoint])
            self.own_mount = mountpoint
            self.image = image
        self.mountpoint = mountpoint
        self.old_timeout = (read_small_file(self.SYSCTL) or '').strip()
        self.hold = int(self.params['hold'] or int(self.params['hung_task_timeout']) + 20)
        self.result.update({'mountpoint': mountpoint, 'hold': self.hold,
                            'hung_task_timeout': int(self.params['hung_task_timeout'])})

    def command(self):
        with open(self.SYSCTL, 'w') as fobj:
            fobj.write('%d\n' % int(self.params['hung_task_timeout']))
        run(['fsfreeze', '--freeze', self.mountpoint])
        self.frozen = True
        self.frozen_since = time.time()
        self.result['frozen_at'] = round(self.frozen_since, 3)
        script = ('for i in $(seq 1 %d); do dd if=/dev/zero of=%s/kdebug-w$i bs=4k count=256 conv=fsync 2>/dev/null & done; wait'
                  % (int(self.params['writers']), self.mountpoint))
        return ['sh', '-c', script]

    def during(self, elapsed):
        # the hold counts from the freeze, not from the stage's start: making and mounting the
        # image took 24 s of a 40 s hold on a loaded TCG VM, too short for a hung-task report
        if self.frozen and time.time() - self.frozen_since >= self.hold:
            self.thaw()

    def thaw(self):
        if getattr(self, 'frozen', False):
            run(['fsfreeze', '--unfreeze', self.mountpoint], check=False)
            self.frozen = False
            self.result['thawed_at'] = round(time.time(), 3)
            self.cleanup_actions.append('thawed %s' % self.mountpoint)

    def finish(self):
        self.thaw()

    def reclaim(self):
        own = os.path.join(self.workdir, '%s.mnt' % self.name)
        self.image = os.path.join(self.workdir, '%s.ext4' % self.name)
        self.mountpoint = self.params['mountpoint'] or own
        if mounted(self.mountpoint):
            self.frozen = True  # thawing a filesystem that is not frozen does no harm
        if mounted(own):
            self.own_mount = own
            rc, out, dummy = run(['losetup', '--associated', self.image], check=False)
            self.loop = out.split(':', 1)[0].strip() or None
        elif os.path.isdir(own):
            self.remove_path(own)
        if not os.path.isdir(self.mountpoint):
            self.mountpoint = None
        self.cleanup()

    def cleanup(self):
        self.thaw()
        if getattr(self, 'old_timeout', ''):
            with open(self.SYSCTL, 'w') as fobj:
                fobj.write(self.old_timeout + '\n')
            self.cleanup_actions.append('restored hung_task_timeout_secs=%s' % self.old_timeout)
        if getattr(self, 'own_mount', None):
            run(['umount', self.own_mount], check=False)
            self.cleanup_actions.append('unmounted %s' % self.own_mount)
            self.remove_path(self.own_mount)
        elif getattr(self, 'mountpoint', None) and os.path.isdir(self.mountpoint):
            for entry in os.listdir(self.mountpoint):
                if entry.startswith('kdebug-w'):
                    self.remove_path(os.path.join(self.mountpoint, entry))
        if getattr(self, 'loop', None):
            run(['losetup', '--detach', self.loop], check=False)
            self.cleanup_actions.append('detached %s' % self.loop)
        if getattr(self, 'image', None):
            self.remove_path(self.image)


class LinkFlap(Stage):
    """Heavy traffic through a veth pair into a network namespace the stage makes, with the
    link taken down and up again and again (the method's "pull the cable during heavy
    traffic"). Traffic goes only to the peer address inside that namespace."""

    NAME = 'link_flap'
    TOOLS = ('ip',)
    PARAMS = {
        'flap_interval': (2, 'seconds between taking the link down and up'),
        'duration': (60, 'seconds of traffic'),
        'subnet': ('10.213.0', 'first three octets of the /30 on the veth pair'),
    }

    def names(self):
        short = re.sub(r'[^a-z0-9]', '', self.name.lower())[:6] or 'stage'
        self.netns = 'kdebug-%s' % short
        self.host_if, self.peer_if = 'kd%sa' % short, 'kd%sb' % short

    def reclaim(self):
        self.names()
        if run(['ip', 'netns', 'pid', self.netns], check=False)[0] == 0 or os.path.exists('/run/netns/' + self.netns):
            self.cleanup_netns = True
        self.cleanup()

    def prepare(self):
        self.tools()
        self.names()
        self.host_ip, self.peer_ip = self.params['subnet'] + '.1', self.params['subnet'] + '.2'
        self.up = True
        self.flaps = 0
        self.last_flap = 0
        run(['ip', 'netns', 'add', self.netns])
        self.cleanup_netns = True
        run(['ip', 'link', 'add', self.host_if, 'type', 'veth', 'peer', 'name', self.peer_if])
        run(['ip', 'link', 'set', self.peer_if, 'netns', self.netns])
        run(['ip', 'addr', 'add', self.host_ip + '/30', 'dev', self.host_if])
        run(['ip', 'link', 'set', self.host_if, 'up'])
        run(['ip', 'netns', 'exec', self.netns, 'ip', 'addr', 'add', self.peer_ip + '/30', 'dev', self.peer_if])
        run(['ip', 'netns', 'exec', self.netns, 'ip', 'link', 'set', self.peer_if, 'up'])
        run(['ip', 'netns', 'exec', self.netns, 'ip', 'link', 'set', 'lo', 'up'])
        self.tool = 'iperf3' if which('iperf3') else 'builtin'
        self.result.update({'netns': self.netns, 'interfaces': [self.host_if, self.peer_if],
                            'peer': self.peer_ip, 'traffic': self.tool})

    def command(self):
        duration = int(self.params['duration'])
        if self.tool == 'iperf3':
            server = 'ip netns exec %s iperf3 -s -1 -B %s >/dev/null 2>&1 &' % (self.netns, self.peer_ip)
            # each client is bounded (a connect through a link that is down waits minutes otherwise)
            client = ('sleep 1; end=$(( $(date +%%s) + %d )); while [ $(date +%%s) -lt $end ]; do '
                      'timeout -s KILL 10 iperf3 -c %s -t 5 -P 4 --connect-timeout 2000 >/dev/null 2>&1 || sleep 0.5; '
                      'pkill -f "iperf3 -s -1 -B %s"; ip netns exec %s iperf3 -s -1 -B %s >/dev/null 2>&1 & done; '
                      'pkill -f "iperf3 -s -1 -B %s"; wait'
                      % (duration, self.peer_ip, self.peer_ip, self.netns, self.peer_ip, self.peer_ip))
            return ['sh', '-c', server + ' ' + client]
        sink = ('ip netns exec %s %s -c "import socket; s=socket.socket(); s.setsockopt(1, 2, 1); '
                "s.bind(('%s', 5201)); s.listen(8)\n"
                'while True:\n c=s.accept()[0]\n while c.recv(65536): pass" &'
                % (self.netns, sys.executable, self.peer_ip))
        source = ('end=$(( $(date +%%s) + %d )); while [ $(date +%%s) -lt $end ]; do '
                  '%s -c "import socket; s=socket.create_connection((\'%s\', 5201), 3); b=bytes(65536)\n'
                  'while True: s.sendall(b)" 2>/dev/null || sleep 0.5; done; kill %%1'
                  % (duration, sys.executable, self.peer_ip))
        return ['sh', '-c', sink + ' sleep 1; ' + source]

    def during(self, elapsed):
        if elapsed - self.last_flap >= float(self.params['flap_interval']):
            self.last_flap = elapsed
            self.up = not self.up
            run(['ip', 'link', 'set', self.host_if, 'up' if self.up else 'down'], check=False)
            self.flaps += 1
            self.result['flaps'] = self.flaps

    def cleanup(self):
        if getattr(self, 'cleanup_netns', False):
            # deleting the namespace deletes the peer end, which deletes the pair
            run(['ip', 'link', 'del', self.host_if], check=False)
            run(['ip', 'netns', 'del', self.netns], check=False)
            self.cleanup_actions.append('deleted netns %s and veth %s' % (self.netns, self.host_if))


class Trinity(Stage):
    """The syscall fuzzer, as an unprivileged user the stage makes, in a scratch directory,
    bounded in time; only with allow_fuzzing (the role's overload_allow_fuzzing)."""

    NAME = 'trinity'
    TOOLS = ('trinity', 'useradd', 'userdel')
    PARAMS = {
        'children': (2, 'trinity -C: child processes'),
        'duration': (60, 'seconds trinity runs'),
        'args': ([], 'more trinity arguments, e.g. [-c, read, -c, write]'),
        'allow_fuzzing': (False, 'must be true: fuzzing can corrupt what the user can write'),
        'user': ('kdebug-fuzz', 'the unprivileged user made for the run and removed after'),
    }

    def prepare(self):
        if not self.params['allow_fuzzing']:
            raise StageError('trinity runs only with allow_fuzzing (overload_allow_fuzzing: true)')
        self.tools()
        self.user = self.params['user']
        self.scratch = os.path.join(self.workdir, '%s.trinity' % self.name)
        rc, dummy, dummy2 = run(['id', '-u', self.user], check=False)
        if rc == 0:
            raise StageError('user %s exists already: trinity needs a user of its own' % self.user)
        run(['useradd', '--system', '--no-create-home', '--shell', '/usr/sbin/nologin', self.user])
        self.made_user = True
        os.mkdir(self.scratch)
        os.chmod(self.scratch, 0o700)
        run(['chown', self.user, self.scratch])
        self.result.update({'user': self.user, 'scratch': self.scratch})

    def command(self):
        return (['setpriv', '--reuid', self.user, '--regid', self.user, '--clear-groups', '--',
                 'sh', '-c', 'cd "$0" && exec timeout -s KILL %d trinity -q -C %d "$@"'
                 % (int(self.params['duration']), int(self.params['children'])), self.scratch]
                + [str(a) for a in self.params['args']])

    def reclaim(self):
        self.user = self.params['user']
        self.scratch = os.path.join(self.workdir, '%s.trinity' % self.name)
        self.made_user = run(['id', '-u', self.user], check=False)[0] == 0
        self.cleanup()

    def cleanup(self):
        if getattr(self, 'made_user', False):
            run(['pkill', '-KILL', '-u', self.user], check=False)
            run(['userdel', self.user], check=False)
            self.cleanup_actions.append('removed user %s' % self.user)
        if getattr(self, 'scratch', None):
            self.remove_path(self.scratch)


class FaultInjection(Stage):
    """failslab / fail_page_alloc (debugfs) for the workload's tasks only (task-filter and
    /proc/PID/make-it-fail), around a command; every setting restored after."""

    NAME = 'fault_injection'
    PARAMS = {
        'attrs': (['failslab'], 'fault attributes under /sys/kernel/debug: failslab, fail_page_alloc'),
        'probability': (10, 'percent of calls that fail'),
        'interval': (1, 'calls between failures'),
        'times': (100, 'failures at most (-1: no limit)'),
        'space': (0, 'bytes that succeed before failures start'),
        'verbose': (1, '1: a line per failure, 2: with a stack'),
        'cmd': ('for i in $(seq 1 200); do ls -lR /usr/share >/dev/null; done', 'workload, in the filtered tasks'),
        'debugfs': ('/sys/kernel/debug', 'where debugfs is mounted'),
    }
    SETTINGS = ('probability', 'interval', 'times', 'space', 'verbose', 'task-filter')

    def prepare(self):
        self.saved = {}
        for attr in self.params['attrs']:
            base = os.path.join(self.params['debugfs'], attr)
            if not os.path.isdir(base):
                raise StageError('%s is missing: the kernel needs CONFIG_FAULT_INJECTION_DEBUG_FS and '
                                 'CONFIG_%s (and debugfs mounted)' % (base, attr.upper()))
        for attr in self.params['attrs']:
            base = os.path.join(self.params['debugfs'], attr)
            self.saved[attr] = dict((name, (read_small_file(os.path.join(base, name)) or '').strip()) for name in self.SETTINGS)
            values = {'probability': self.params['probability'], 'interval': self.params['interval'],
                      'times': self.params['times'], 'space': self.params['space'],
                      'verbose': self.params['verbose'], 'task-filter': 'Y'}
            for name in self.SETTINGS:
                with open(os.path.join(base, name), 'w') as fobj:
                    fobj.write('%s\n' % values[name])
        self.result['attrs'] = list(self.params['attrs'])
        self.result['restored'] = False

    def command(self):
        # the shell marks itself, and its children inherit make-it-fail
        return ['sh', '-c', 'echo 1 > /proc/self/make-it-fail && %s' % self.params['cmd']]

    # the kernel's defaults (lib/fault-inject.c, FAULT_ATTR_INITIALIZER): what a reclaim sets
    # when the values saved before the stage are gone with the process that saved them
    DEFAULTS = {'probability': '0', 'interval': '1', 'times': '1', 'space': '0', 'verbose': '2', 'task-filter': 'N'}

    def reclaim(self):
        self.saved = dict((attr, dict(self.DEFAULTS)) for attr in self.params['attrs']
                          if os.path.isdir(os.path.join(self.params['debugfs'], attr)))
        self.cleanup()

    def cleanup(self):
        for attr, values in sorted(getattr(self, 'saved', {}).items()):
            base = os.path.join(self.params['debugfs'], attr)
            for name in self.SETTINGS:
                if values.get(name, '') != '':
                    try:
                        with open(os.path.join(base, name), 'w') as fobj:
                            fobj.write(values[name] + '\n')
                    except (IOError, OSError):
                        pass
            self.cleanup_actions.append('restored %s settings' % attr)
            self.result['restored'] = True


STAGE_TYPES = dict((cls.NAME, cls) for cls in (DdWrite, StressNg, MemoryPressure, Command, FsfreezeStall,
                                               LinkFlap, Trinity, FaultInjection))


# --- the runner -------------------------------------------------------------------------

class Systemd(object):
    """The stage's transient unit: started with systemd-run, watched, stopped, forgotten.
    RemainAfterExit keeps the unit (and the workload's exit status) after its main process
    ended; works with systemd 219 (RHEL 7) and newer."""

    # OOMPolicy= (systemd 243+): the default, stop, ends the whole unit at the first OOM kill in
    # it; seen on the lab: the method's heavy dd on ext4 ended after 43 s when one of its 100
    # writers was killed. The overload goes on until the workload ends or the stage's timeout.
    OOM_POLICY_SINCE = 243

    def __init__(self, unit, runner=run):
        self.unit = unit
        self.run = runner

    def version(self):
        rc, out, dummy = self.run(['systemctl', '--version'], check=False)
        match = re.match(r'systemd (\d+)', out or '')
        return int(match.group(1)) if rc == 0 and match else 0

    def start(self, argv, out_path):
        if not which('systemd-run'):
            raise StageError('systemd-run is missing: the stages run their workload in a transient systemd unit')
        wrapped = ['/bin/sh', '-c', 'exec "$@" >>%s 2>&1' % out_path, 'sh'] + argv
        props = ['-p', 'RemainAfterExit=yes', '-p', 'KillMode=control-group', '-p', 'TimeoutStopSec=15',
                 '-p', 'OOMScoreAdjust=%d' % WORKLOAD_OOM_SCORE_ADJ]
        if self.version() >= self.OOM_POLICY_SINCE:
            props += ['-p', 'OOMPolicy=continue']
        self.run(['systemd-run', '--unit', self.unit, '--description', 'kdebug.kernel overload stage'] + props
                 + ['--'] + wrapped)

    def state(self):
        rc, out, dummy = self.run(['systemctl', 'show', self.unit + '.service', '-p', 'ActiveState', '-p', 'SubState',
                                   '-p', 'ExecMainStatus', '-p', 'ExecMainCode', '-p', 'Result', '-p', 'LoadState'],
                                  check=False)
        props = {}
        for line in out.splitlines():
            key, sep, value = line.partition('=')
            if sep:
                props[key] = value
        return props

    @staticmethod
    def ended(props):
        return props.get('SubState') == 'exited' or props.get('ActiveState') in ('failed', 'inactive')

    def stop(self):
        self.run(['systemctl', 'stop', self.unit + '.service'], check=False, timeout=60)
        self.run(['systemctl', 'reset-failed', self.unit + '.service'], check=False)

    def active(self):
        rc, out, dummy = self.run(['systemctl', 'is-active', self.unit + '.service'], check=False)
        return out.strip() in ('active', 'activating', 'deactivating', 'reloading')


def tail_text(path, max_bytes=4096):
    try:
        with open(path, 'rb') as fobj:
            fobj.seek(0, 2)
            size = fobj.tell()
            fobj.seek(max(0, size - max_bytes))
            return fobj.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return ''


class StageRunner(object):
    """Runs one stage: markers in the kernel log, the workload in its unit bounded by the
    timeout, samples every interval, cleanup always. Never names a stage type."""

    def __init__(self, stage, timeout, sample_interval=5.0, run_id='run', kmsg=None, systemd=None,
                 sampler=None, clock=time.time, sleep=time.sleep, protect=protect_harness):
        self.stage = stage
        self.protect = protect
        self.timeout = float(timeout)
        self.interval = max(float(sample_interval), 0.2)
        self.unit = UNIT_PREFIX + safe_name('%s-%s' % (run_id, stage.name))
        self.systemd = systemd or Systemd(self.unit)
        self.sampler = sampler or Sampler(path=os.path.join(stage.workdir, '%s.samples.jsonl' % stage.name))
        self.kmsg = kmsg
        self.clock = clock
        self.sleep = sleep

    def mark(self, what):
        if self.kmsg:
            try:
                self.kmsg('kdebug: stage %s %s' % (self.stage.name, what))
            except (IOError, OSError):
                pass

    def clean_only(self):
        """Remove what an interrupted run of this stage left (state=absent)."""
        stage = self.stage
        self.systemd.stop()
        stage.reclaim()
        for entry in sorted(os.listdir(stage.workdir)) if os.path.isdir(stage.workdir) else []:
            if entry.startswith(stage.name + '.'):
                stage.remove_path(os.path.join(stage.workdir, entry))
        leftovers = ['unit %s still active' % self.unit] if self.systemd.active() else []
        return {'name': stage.name, 'type': stage.NAME, 'unit': self.unit, 'status': 'cleaned',
                'cleanup': stage.cleanup_actions, 'leftovers': leftovers}

    def run(self):
        stage = self.stage
        result = {'name': stage.name, 'type': stage.NAME, 'unit': self.unit, 'timeout': self.timeout,
                  'harness_oom_protected': self.protect()}
        out_path = os.path.join(stage.workdir, '%s.out' % stage.name)
        started = self.clock()
        result['start'] = round(started, 3)
        self.mark('start')
        status, message = STATUS_PASSED, None
        try:
            stage.prepare()
            self.sampler.take('before')
            self.systemd.start(stage.command(), out_path)
            props = {}
            while True:
                elapsed = self.clock() - started
                props = self.systemd.state()
                if self.systemd.ended(props):
                    break
                if elapsed >= self.timeout:
                    status = STATUS_TIMEOUT
                    message = 'the workload ran past the stage timeout of %ds and was stopped' % self.timeout
                    self.systemd.stop()
                    props = self.systemd.state()
                    break
                self.sleep(min(self.interval, max(self.timeout - elapsed, 0.05)))
                self.sampler.take()
                stage.during(self.clock() - started)
            code = props.get('ExecMainStatus')
            stage.result['exit_status'] = int(code) if code and code.isdigit() else None
            stage.result['exit_code'] = props.get('ExecMainCode')
            stage.result['unit_result'] = props.get('Result')  # e.g. oom-kill: the OOM killer took part of it
            stage.finish()
            self.sampler.take('after')
        except StageError as exc:
            status, message = STATUS_ERROR, str(exc)
        finally:
            try:
                self.systemd.stop()
                stage.cleanup()
            except (StageError, IOError, OSError) as exc:
                stage.cleanup_actions.append('cleanup failed: %s' % exc)
                status = status if status != STATUS_PASSED else STATUS_ERROR
                message = message or 'cleanup failed: %s' % exc
            leftovers = ['unit %s still active' % self.unit] if self.systemd.active() else []
            self.mark('end')
        ended = self.clock()
        result.update({
            'status': status, 'message': message, 'end': round(ended, 3), 'duration': round(ended - started, 3),
            'samples': self.sampler.samples, 'details': stage.result,
            'output_tail': tail_text(out_path), 'cleanup': stage.cleanup_actions, 'leftovers': leftovers,
        })
        return result
