"""Simulate a hung machine: pause a lab VM through its QEMU monitor when a marker appears.

    python3 tests/lab/pause_at_marker.py --log SERIAL_LOG --marker TEXT --monitor SOCKET [--timeout S]

Follows the VM's serial log from its current end (earlier runs' markers do not count) until a
line holds TEXT (the overload role writes `kdebug: stage NAME start` into the kernel log, and the
debug kernel's console prints it), then sends `stop` to the human monitor on SOCKET: the guest's
CPUs stop, ssh stops answering and the console stops printing, as on a machine that hung hard.
Nothing here resumes it: the overload role's watchdog has to notice and its recovery command
(`system_reset`, `cont`) has to bring it back. Exits 0 after the stop, 1 when the marker did not
appear within the timeout, 2 when the monitor could not be reached. A controller-side test tool
of the lab (the Molecule scenario's hang proof), not part of the collection's content.
"""

import argparse
import os
import socket
import sys
import time


def log_size(log):
    return os.path.getsize(log) if os.path.exists(log) else 0


def wait_for_marker(log, marker, timeout, offset, poll=0.5):
    """True when a line holding marker is appended to log after offset within timeout seconds."""
    needle = marker.encode()
    deadline = time.monotonic() + timeout
    tail = b''
    while time.monotonic() < deadline:
        size = log_size(log)
        if size < offset:  # the log was truncated (a new VM): read it from the start
            offset, tail = 0, b''
        if size > offset:
            with open(log, 'rb') as fobj:
                fobj.seek(offset)
                data = fobj.read(size - offset)
            offset = size
            if needle in tail + data:
                return True
            tail = data[-len(needle):]
        time.sleep(poll)
    return False


def monitor_command(path, command, timeout=10.0):
    """Send one command to a QEMU human monitor socket; returns what it printed."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        sock.sendall(command.encode() + b'\n')
        time.sleep(0.5)
        chunks = []
        try:
            while True:
                data = sock.recv(4096)
                if not data:
                    break
                chunks.append(data)
                if b'(qemu)' in b''.join(chunks).split(command.encode(), 1)[-1]:
                    break
        except socket.timeout:
            pass
        return b''.join(chunks).decode('utf-8', 'replace')
    finally:
        sock.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--log', required=True, help='the VM serial log (kdebug_lab_serial_log)')
    parser.add_argument('--marker', required=True, help='text whose appearance pauses the VM')
    parser.add_argument('--monitor', required=True, help='the VM monitor socket (kdebug_lab_monitor_socket)')
    parser.add_argument('--timeout', type=float, default=3600, help='seconds to wait for the marker')
    parser.add_argument('--delay', type=float, default=5, help='seconds between the marker and the stop')
    args = parser.parse_args(argv)
    offset = log_size(args.log)  # from here on: earlier runs' markers do not count
    print('pause_at_marker: waiting up to %ds for %r in %s after byte %d' % (args.timeout, args.marker, args.log, offset),
          flush=True)
    if not wait_for_marker(args.log, args.marker, args.timeout, offset):
        print('pause_at_marker: %r did not appear within %ds' % (args.marker, args.timeout), flush=True)
        return 1
    time.sleep(args.delay)
    try:
        out = monitor_command(args.monitor, 'stop')
        status = monitor_command(args.monitor, 'info status')
    except OSError as exc:
        print('pause_at_marker: monitor %s: %s' % (args.monitor, exc), flush=True)
        return 2
    print('pause_at_marker: %s sent stop at %s; %s' % (
        args.monitor, time.strftime('%H:%M:%S'), ' '.join(status.replace('(qemu)', ' ').split()[-3:])), flush=True)
    return 0 if out is not None else 2


if __name__ == '__main__':
    sys.exit(main())
