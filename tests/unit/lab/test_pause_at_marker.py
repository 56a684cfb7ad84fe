"""tests/lab/pause_at_marker.py (the Molecule scenario's simulated hang) against a stand-in
monitor: a unix socket that answers like QEMU's human monitor (a banner, the `(qemu)` prompt,
`info status`). The real monitor is used by the scenario on the lab VM."""

import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SCRIPT = os.path.join(ROOT, 'tests', 'lab', 'pause_at_marker.py')


class FakeMonitor(threading.Thread):
    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.commands = []
        self.running = True
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)

    def run(self):
        while True:
            try:
                conn, dummy = self.srv.accept()
            except OSError:
                return
            conn.sendall(b'QEMU 7.2.0 monitor - type \'help\' for more information\r\n(qemu) ')
            line = conn.recv(4096).decode().strip()
            self.commands.append(line)
            if line == 'stop':
                self.running = False
                conn.sendall(b'stop\r\n(qemu) ')
            elif line == 'info status':
                conn.sendall(('info status\r\nVM status: %s\r\n(qemu) ' % ('running' if self.running else 'paused')).encode())
            conn.close()


def _start(tmp_path, *extra):
    log = tmp_path / 'serial.log'
    log.write_text('old boot\nkdebug: stage hang start\n')  # an earlier run's marker
    sock = str(tmp_path / 'mon.sock')
    mon = FakeMonitor(sock)
    mon.start()
    proc = subprocess.Popen([sys.executable, SCRIPT, '--log', str(log), '--marker', 'kdebug: stage hang start',
                             '--monitor', sock, '--delay', '0'] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert 'waiting up to' in proc.stdout.readline()  # it has taken the log's size: appending counts from here
    return log, mon, proc


def test_pauses_when_the_marker_is_appended_not_for_an_earlier_one(tmp_path):
    log, mon, proc = _start(tmp_path, '--timeout', '20')
    time.sleep(1.0)
    assert proc.poll() is None, 'an earlier run\'s marker must not pause the VM'
    assert mon.commands == []
    with open(log, 'a') as fobj:
        fobj.write('[  12.3] kdebug: stage other start\n[  13.0] kdebug: stage ha')
        fobj.flush()
        time.sleep(0.8)
        fobj.write('ng start\n')  # the marker split over two reads
    out, dummy = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert mon.commands == ['stop', 'info status']
    assert 'paused' in out


def test_gives_up_when_the_marker_never_comes(tmp_path):
    dummy, mon, proc = _start(tmp_path, '--timeout', '1')
    out, dummy = proc.communicate(timeout=20)
    assert proc.returncode == 1, out
    assert mon.commands == []


def test_says_when_the_monitor_is_not_there(tmp_path):
    log = tmp_path / 'serial.log'
    log.write_text('')
    proc = subprocess.Popen([sys.executable, SCRIPT, '--log', str(log), '--marker', 'M', '--monitor',
                             str(tmp_path / 'none.sock'), '--delay', '0', '--timeout', '10'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert 'waiting up to' in proc.stdout.readline()
    with open(log, 'a') as fobj:
        fobj.write('M\n')
    out, dummy = proc.communicate(timeout=20)
    assert proc.returncode == 2, out
    assert 'none.sock' in out
