# Copyright (c) kdebug.kernel contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a lab VM's qemu under a supervisor that gives every boot fresh firmware.

Why: under TCG, OVMF sometimes hangs after a guest reboot (a warm reset inside one qemu
process): CPU 0 loops in the firmware, CPU 1 sits halted, nothing is printed, for good. A
new qemu process always starts from power-on. So qemu runs with ``-no-reboot`` (a reset
ends the process) and this supervisor starts it again, with the same arguments, whenever the
guest reset it (``reboot``, ``systemctl reboot``, a panic with ``panic=N``, a triple fault)
or the host did (the monitor's ``system_reset``, the recovery command of the roles). The
serial log is a file chardev opened with ``append=on`` and the monitor socket keeps its path,
so the log runs on across boots and the inventory's commands keep working.

It stops when the guest powers off, when qemu ends for another reason (a crash: it is not
started again in a loop), or on ``stop``. Every event goes to ``supervisor.log`` in the VM
directory, one line each with a UTC time, so reboots can be counted and timed.

    kdebug_lab_vm.py start DIR    # DIR/qemu.json holds qemu's argv (a JSON list)
    kdebug_lab_vm.py stop DIR
    kdebug_lab_vm.py status DIR   # exit 0 when running

Files in DIR: qemu.json (input), supervisor.pid, supervisor.log, qemu.pid (the current qemu
process), qemu.log (qemu's own stderr), qmp.sock (the supervisor's QMP connection).
"""

import argparse
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

# QMP SHUTDOWN reasons (qapi/run-state.json ShutdownCause) after which the VM boots again.
# With -no-reboot every reset ends qemu with one of these.
RESTART_REASONS = ('guest-reset', 'host-qmp-system-reset', 'subsystem-reset')
# How long `start` waits for the first qemu to come up, and `stop` for qemu to go.
START_TIMEOUT = 30
STOP_TIMEOUT = 30
# A qemu that ends this soon after it started, for a reason that would restart it, is not
# started again more than RAPID_LIMIT times in a row (a reset loop in the firmware).
RAPID_SECONDS = 5
RAPID_LIMIT = 5


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')[:-4] + 'Z'


class Paths(object):
    def __init__(self, vm_dir):
        self.dir = os.path.abspath(vm_dir)
        self.argv = os.path.join(self.dir, 'qemu.json')
        self.pid = os.path.join(self.dir, 'supervisor.pid')
        self.log = os.path.join(self.dir, 'supervisor.log')
        self.qemu_pid = os.path.join(self.dir, 'qemu.pid')
        self.qemu_log = os.path.join(self.dir, 'qemu.log')
        self.qmp = os.path.join(self.dir, 'qmp.sock')


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (IOError, OSError, ValueError):
        return 0


def alive(pid, needle):
    """True when pid runs and its command line contains needle (a pid file can be stale)."""
    if pid <= 0:
        return False
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return needle.encode() in f.read()
    except (IOError, OSError):
        return False


class Supervisor(object):
    """One VM: starts qemu, reads its QMP events, starts it again after a reset."""

    def __init__(self, paths):
        self.paths = paths
        with open(paths.argv) as f:
            self.argv = json.load(f)
        self.stopping = False
        self.qemu = None
        self.boot = 0

    def log(self, text):
        with open(self.paths.log, 'a') as f:
            f.write('%s %s\n' % (utcnow(), text))

    def qemu_argv(self):
        return self.argv + [
            '-no-reboot',
            '-qmp', 'unix:%s,server=on,wait=on' % self.paths.qmp,
            '-pidfile', self.paths.qemu_pid,
        ]

    def connect_qmp(self):
        """Connect to qemu's QMP socket (qemu waits for us before it runs the guest)."""
        deadline = time.time() + START_TIMEOUT
        while True:
            if self.qemu.poll() is not None:
                return None
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.paths.qmp)
                break
            except (IOError, OSError):
                sock.close()
                if time.time() > deadline:
                    return None
                time.sleep(0.1)
        stream = sock.makefile('rwb', buffering=0)
        stream.readline()  # greeting
        stream.write(b'{"execute": "qmp_capabilities"}\n')
        return sock, stream

    def run_once(self):
        """Run one boot; return the SHUTDOWN reason qemu gave (None when it gave none)."""
        self.boot += 1
        if os.path.exists(self.paths.qmp):
            os.unlink(self.paths.qmp)
        with open(self.paths.qemu_log, 'ab') as err:
            err.write(('%s boot %d\n' % (utcnow(), self.boot)).encode())
            err.flush()
            self.qemu = subprocess.Popen(self.qemu_argv(), stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, close_fds=True)
        self.log('boot %d: qemu pid %d started' % (self.boot, self.qemu.pid))
        conn = self.connect_qmp()
        reason = None
        if conn is None:
            self.log('boot %d: no QMP connection to qemu, stopping it' % self.boot)
            if self.qemu.poll() is None:
                self.qemu.kill()
        else:
            sock, stream = conn
            for line in iter(stream.readline, b''):
                try:
                    msg = json.loads(line.decode('utf-8', 'replace'))
                except ValueError:
                    continue
                event = msg.get('event')
                if event == 'SHUTDOWN':
                    reason = msg.get('data', {}).get('reason')
                    self.log('boot %d: SHUTDOWN reason=%s' % (self.boot, reason))
                elif event in ('RESET', 'STOP', 'RESUME', 'GUEST_PANICKED'):
                    self.log('boot %d: %s' % (self.boot, event))
            sock.close()
        rc = self.qemu.wait()
        self.log('boot %d: qemu exited rc=%d' % (self.boot, rc))
        return reason

    def on_signal(self, signum, _frame):
        self.stopping = True
        self.log('signal %d: stopping qemu' % signum)
        if self.qemu is not None and self.qemu.poll() is None:
            self.qemu.terminate()

    def run(self):
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        self.log('supervisor pid %d for %s' % (os.getpid(), self.paths.dir))
        rapid = 0
        try:
            while not self.stopping:
                started = time.time()
                reason = self.run_once()
                if self.stopping:
                    break
                if reason not in RESTART_REASONS:
                    self.log('not starting qemu again (reason=%s): the VM is off' % reason)
                    break
                rapid = rapid + 1 if time.time() - started < RAPID_SECONDS else 0
                if rapid >= RAPID_LIMIT:
                    self.log('qemu reset %d times within %d s of starting: giving up' % (rapid, RAPID_SECONDS))
                    break
                self.log('reboot: starting qemu again with fresh firmware')
        finally:
            for path in (self.paths.qemu_pid, self.paths.pid, self.paths.qmp):
                if os.path.exists(path):
                    os.unlink(path)
            self.log('supervisor ended')


def _restarted_qemu(log_path, offset):
    """The pid of a qemu the supervisor's log says it started again after offset (boot 2 or
    later: so the first one ran and reset), or 0."""
    try:
        with open(log_path) as f:
            f.seek(offset)
            text = f.read()
    except (IOError, OSError):
        return 0
    match = re.search(r'boot (?:[2-9]|[1-9]\d+): qemu pid (\d+) started', text)
    return int(match.group(1)) if match else 0


def start(paths):
    """Start the supervisor in the background; return once the first qemu runs."""
    pid = read_pid(paths.pid)
    if alive(pid, 'kdebug_lab_vm'):
        print('already running (supervisor pid %d)' % pid)
        return 0
    for path in (paths.pid, paths.qemu_pid):
        if os.path.exists(path):
            os.unlink(path)
    log_start = os.path.getsize(paths.log) if os.path.exists(paths.log) else 0
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        out = os.open(paths.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        with open(paths.pid, 'w') as f:
            f.write('%d\n' % os.getpid())
        try:
            Supervisor(paths).run()
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        qpid = read_pid(paths.qemu_pid)
        if alive(qpid, 'qemu'):
            print('started: supervisor pid %d, qemu pid %d' % (read_pid(paths.pid), qpid))
            return 0
        # The first qemu ran and reset, and a later one already ended, all between two looks
        # (a loaded machine): started all the same; the supervisor's log says what followed.
        # A first qemu that ends without a reset (bad arguments) is still a failed start.
        again = _restarted_qemu(paths.log, log_start)
        if again:
            print('started: supervisor pid %d, qemu pid %d (restarted after a reset; see %s)'
                  % (read_pid(paths.pid), again, paths.log))
            return 0
        # the supervisor writes its pid file first thing, and removes it when it ends
        spid = read_pid(paths.pid)
        if os.path.exists(paths.log) and os.path.getsize(paths.log) > log_start and not alive(spid, 'kdebug_lab_vm'):
            break
        time.sleep(0.2)
    sys.stderr.write('qemu did not start; %s says:\n' % paths.log)
    with open(paths.log) as f:
        f.seek(log_start)
        sys.stderr.write(f.read())
    if os.path.exists(paths.qemu_log):
        with open(paths.qemu_log) as f:
            sys.stderr.write(''.join(f.readlines()[-20:]))
    return 1


def stop(paths):
    pid = read_pid(paths.pid)
    if not alive(pid, 'kdebug_lab_vm'):
        # a qemu left behind without its supervisor (e.g. an older lab) is stopped too
        qpid = read_pid(paths.qemu_pid)
        if alive(qpid, 'qemu'):
            os.kill(qpid, signal.SIGTERM)
            print('stopped qemu pid %d (no supervisor)' % qpid)
            return 0
        print('not running')
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + STOP_TIMEOUT
    while time.time() < deadline and alive(pid, 'kdebug_lab_vm'):
        time.sleep(0.2)
    if alive(pid, 'kdebug_lab_vm'):
        qpid = read_pid(paths.qemu_pid)
        for p in (qpid, pid):
            if p > 0:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
    print('stopped')
    return 0


def status(paths):
    pid = read_pid(paths.pid)
    qpid = read_pid(paths.qemu_pid)
    if alive(pid, 'kdebug_lab_vm'):
        print('running: supervisor pid %d, qemu pid %d' % (pid, qpid))
        return 0
    print('not running')
    return 3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('action', choices=['start', 'stop', 'status'])
    parser.add_argument('dir', help='the VM directory (holds qemu.json)')
    args = parser.parse_args(argv)
    paths = Paths(args.dir)
    if args.action == 'start' and not os.path.exists(paths.argv):
        parser.error('%s does not exist' % paths.argv)
    return {'start': start, 'stop': stop, 'status': status}[args.action](paths)


if __name__ == '__main__':
    sys.exit(main())
