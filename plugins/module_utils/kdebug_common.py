# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the kdebug.kernel modules (not parsers: those live in kmsg.py,
kmemleak_report.py, kernel_findings.py and locks.py).

Everything here runs on Python 2.7 and 3.6+ with the standard library only, and every
kernel path is a parameter so unit tests can point it at a temporary directory.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import errno
import gzip
import os
import re
import stat
import struct
import time
import zlib

from ansible_collections.kdebug.kernel.plugins.module_utils.kmsg import LineSplitter

KMSG_PATH = '/dev/kmsg'
BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id'
PROC_MOUNTS = '/proc/mounts'
PROC_CMDLINE = '/proc/cmdline'
PROC_CONFIG_GZ = '/proc/config.gz'
BOOT_CONFIG_FMT = '/boot/config-%s'

# The kernel files kernel_log, kmemleak and sysrq read and write. They are not module options
# (a user has no reason to change them); tests point them at stand-ins with the environment
# variable TEST_PATH_ENV % NAME (KDEBUG_KERNEL_TEST_PATH_KMSG=/tmp/x/kmsg: the integration
# targets set it with the task keyword environment) or by changing KERNEL_PATHS (unit tests).
KERNEL_PATHS = dict(
    kmsg=KMSG_PATH,
    boot_id=BOOT_ID_PATH,
    sysrq='/proc/sys/kernel/sysrq',
    sysrq_trigger='/proc/sysrq-trigger',
)
TEST_PATH_ENV = 'KDEBUG_KERNEL_TEST_PATH_%s'


def kernel_path(name):
    """The path of a kernel file (KERNEL_PATHS), or the stand-in a test put in its place."""
    return os.environ.get(TEST_PATH_ENV % name.upper()) or KERNEL_PATHS[name]


# A /dev/kmsg record is at most 8 KiB of text plus its dictionary (CONSOLE_EXT_LOG_MAX in
# kernel/printk/printk.c); read() fails with EINVAL when the buffer is smaller than the record.
KMSG_READ_SIZE = 65536


def errno_name(err):
    """'EPERM' for errno.EPERM, 'errno 123' when unknown."""
    return errno.errorcode.get(err, 'errno %s' % err)


def describe_oserror(exc):
    """Short text for an EnvironmentError: 'EACCES (Permission denied)'."""
    err = getattr(exc, 'errno', None)
    text = getattr(exc, 'strerror', None) or str(exc)
    if err is None:
        return text
    return '%s (%s)' % (errno_name(err), text)


# What reading a log file (maybe gzip) can raise: gzip adds EOFError for a truncated file
# and zlib.error for a corrupt one to the OS errors; Python 2.7's gzip raises struct.error
# for a file cut inside its trailer.
READ_ERRORS = (IOError, OSError, EOFError, zlib.error, struct.error)


GZIP_MAGIC = b'\x1f\x8b'


def _gzip_member_ended(decomp):
    """True when the gzip member being decompressed has ended (its trailer was read and
    checked). Python 2.7 has no decompressobj.eof: a byte fed to a copy of a finished stream
    comes back as unused data."""
    eof = getattr(decomp, 'eof', None)
    if eof is not None:
        return eof
    probe = decomp.copy()
    try:
        probe.decompress(b'\x00')
    except zlib.error:
        return False
    return bool(probe.unused_data)


def inspect_gzip(path, chunk=65536):
    """What is wrong with a .gz file, found by decompressing it (output dropped, memory
    bounded): 'not a gzip file', 'truncated gzip file', 'corrupt gzip file' (damaged data, or a
    CRC or length check that fails), or None when it decompresses whole.

    gzip itself tells these apart differently on every Python (2.7 reports a truncated file
    as a CRC error; 3.x raises EOFError for it and BadGzipFile or OSError for a bad CRC); this
    gives the same answer everywhere. EnvironmentError propagates."""
    with open(path, 'rb') as fobj:
        if fobj.read(2) != GZIP_MAGIC:
            return 'not a gzip file'
        fobj.seek(0)
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = fobj.read(chunk)
        while data:
            try:
                decomp.decompress(data, chunk)
                while decomp.unconsumed_tail:
                    decomp.decompress(decomp.unconsumed_tail, chunk)
            except zlib.error:
                return 'corrupt gzip file'
            rest = decomp.unused_data
            if rest:
                # the member ended; another may follow (gzip concatenates them) or padding
                if rest.strip(b'\x00') == b'':
                    data = fobj.read(chunk)
                    if data.strip(b'\x00') == b'':
                        continue
                    return 'corrupt gzip file'
                if not rest.startswith(GZIP_MAGIC[:len(rest)]):
                    return 'corrupt gzip file'
                decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
                data = rest
                continue
            data = fobj.read(chunk)
        if not _gzip_member_ended(decomp):
            return 'truncated gzip file'
    return None


_GZIP_PROBLEMS = {
    'not a gzip file': 'is not a gzip file although its name ends in .gz (rename it, or '
                       'compress it with gzip)',
    'truncated gzip file': 'is a truncated gzip file: it ends before its compressed data does '
                           '(copied or written while incomplete?)',
    'corrupt gzip file': 'is a corrupt gzip file: its compressed data is damaged or fails its '
                         'CRC check',
}


def describe_gzip_error(exc, path=None):
    """For an error reading a .gz file at path: 'is a truncated gzip file: ...', 'is a
    corrupt gzip file: ...' or 'is not a gzip file ...', the same on every Python; None for
    any other error (an I/O error with an errno, or a file that decompresses whole).

    Without path (no file to look at), classifies by the exception: EOFError is truncated,
    zlib.error corrupt."""
    if getattr(exc, 'errno', None) is not None:
        return None  # an I/O error, not the content
    if path is None:
        if isinstance(exc, EOFError):
            return _GZIP_PROBLEMS['truncated gzip file']
        if isinstance(exc, zlib.error):
            return _GZIP_PROBLEMS['corrupt gzip file']
        return None
    try:
        problem = inspect_gzip(path)
    except (IOError, OSError):
        problem = None
    if problem is None:
        return None
    return _GZIP_PROBLEMS[problem]


def describe_read_error(path, exc):
    """Text for an error while reading a log file or saved report, after its path: 'is a
    truncated gzip file: ...' or 'could not be read: EIO (Input/output error)'."""
    if path.endswith('.gz'):
        gzip_error = describe_gzip_error(exc, path)
        if gzip_error:
            return gzip_error
    return 'could not be read: %s' % describe_oserror(exc)


# --- input files -------------------------------------------------------------------------

class InputPathError(ValueError):
    """A path given as input that cannot be read as a file (NUL byte, FIFO, device, ...)."""


def file_kind(mode):
    """'a FIFO', 'a directory', ... for a st_mode that is not a regular file's."""
    for test, name in ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a FIFO (named pipe)'),
                       (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
                       (stat.S_ISSOCK, 'a socket')):
        if test(mode):
            return name
    return 'not a regular file'


def check_path_text(path, what='path'):
    """InputPathError for a path that no system call accepts (a NUL byte in it)."""
    if path is not None and u'\x00' in path:
        raise InputPathError('%s %r contains a NUL byte, which no file name can hold'
                             % (what, path))


def check_regular_file(path, what='path'):
    """InputPathError unless path (symlinks followed) is a regular file: a FIFO would block
    the open (and the task) forever, a device may never end. EnvironmentError (ENOENT,
    EACCES, ELOOP) propagates."""
    check_path_text(path, what)
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise InputPathError('%s %s is %s: give a regular file (a saved log or report)'
                             % (what, path, file_kind(mode)))


def open_input_file(path, what='path'):
    """Open a saved log file or report for binary reading ('.gz' is decompressed), refusing
    what is not a regular file before opening it and again after (opened without blocking,
    so a FIFO put in its place meanwhile cannot hang the task)."""
    check_regular_file(path, what)
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputPathError('%s %s is %s: give a regular file (a saved log or report)'
                                 % (what, path, file_kind(mode)))
        fobj = os.fdopen(fd, 'rb')
    except Exception:
        os.close(fd)
        raise
    if path.endswith('.gz'):
        gz = gzip.GzipFile(filename=path, mode='rb', fileobj=fobj)
        gz.myfileobj = fobj  # closed with the GzipFile (2.7 and 3.x close myfileobj)
        return gz
    return fobj


def describe_access_denied(path):
    """Why the user running the task cannot read path (EACCES), as it is: which directory
    on the way is not searchable, or the file's mode and owner."""
    uid = os.geteuid()
    if uid == 0:
        return ('permission denied although the task runs as root (a security module such as '
                'SELinux or AppArmor, or a file system that refuses root?)')
    path = os.path.abspath(path)
    parts = []
    head = os.path.dirname(path)
    while True:
        parts.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    for directory in reversed(parts):
        if not os.access(directory, os.X_OK):
            return ('the task runs as uid %d, which may not enter the directory %s%s: use '
                    'become: true or give it access' % (uid, directory, _mode_owner(directory)))
    return ('the task runs as uid %d, which may not read %s%s: use become: true or make the '
            'file readable' % (uid, path, _mode_owner(path)))


def _mode_owner(path):
    try:
        st = os.stat(path)
    except (IOError, OSError):
        return ''
    return ' (mode %04o, owner uid %d)' % (stat.S_IMODE(st.st_mode), st.st_uid)


def stat_errno(path):
    """None when the path can be stat()ed, else the errno (ENOENT, EACCES, ...).

    os.path.exists() hides EACCES (a non-root user cannot look into the 0700
    /sys/kernel/debug), and the modules must tell "missing" from "not allowed".
    """
    try:
        os.stat(path)
    except (IOError, OSError) as exc:
        return exc.errno
    return None


def read_small_file(path, default=None, limit=65536):
    """Text content (stripped) of a small file such as /proc/cmdline, or default."""
    try:
        with open(path, 'rb') as fobj:
            data = fobj.read(limit)
    except (IOError, OSError):
        return default
    return data.decode('utf-8', 'replace').strip()


def parse_meminfo(content):
    """/proc/meminfo: {field: kB}."""
    result = {}
    for line in (content or '').splitlines():
        match = re.match(r'^(\S+):\s+(\d+)', line)
        if match:
            result[match.group(1)] = int(match.group(2))
    return result


def read_boot_id(path=BOOT_ID_PATH):
    """The kernel's boot id (a UUID that changes on every boot), or None."""
    value = read_small_file(path)
    if not value:
        return None
    value = value.split()[0]
    if not re.match(r'^[0-9A-Fa-f-]{8,64}$', value):
        return None
    return value.lower()


def _unescape_mount_field(field):
    # /proc/mounts escapes space, tab, newline and backslash as \040 \011 \012 \134
    return re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), field)


def read_mounts(path=PROC_MOUNTS):
    """List of (device, mountpoint, fstype) from /proc/mounts; [] when unreadable."""
    result = []
    try:
        with open(path, 'rb') as fobj:
            for raw in fobj:
                fields = raw.decode('utf-8', 'replace').split()
                if len(fields) >= 3:
                    result.append((_unescape_mount_field(fields[0]),
                                   _unescape_mount_field(fields[1]), fields[2]))
    except (IOError, OSError):
        return []
    return result


def find_mount(path, mounts):
    """(mountpoint, fstype) of the mount that contains path (longest prefix, last wins)."""
    path = os.path.normpath(os.path.abspath(path))
    best = None
    for dummy, mountpoint, fstype in mounts:
        mnt = os.path.normpath(mountpoint)
        if path == mnt or path.startswith(mnt.rstrip('/') + '/') or mnt == '/':
            if best is None or len(mnt) >= len(best[0]):
                best = (mnt, fstype)
    return best


def is_mountpoint(path, mounts):
    """True when path is itself listed as a mount point."""
    path = os.path.normpath(os.path.abspath(path))
    for dummy, mountpoint, dummy2 in mounts:
        if os.path.normpath(mountpoint) == path:
            return True
    return False


def kernel_config_value(option, release=None, proc_config=PROC_CONFIG_GZ,
                        boot_config_fmt=BOOT_CONFIG_FMT):
    """Look an option (e.g. CONFIG_DEBUG_KMEMLEAK) up in the running kernel's config.

    Returns (value, source): value is the string after '=' ('y', 'm', '"..."'), 'n' for
    '# CONFIG_X is not set' or an option absent from a readable config, or None when no
    config could be read; source is the file that was read (or None).
    """
    if release is None:
        release = os.uname()[2]
    candidates = [(proc_config, True), (boot_config_fmt % release, False)]
    set_re = re.compile(r'^%s=(.*)$' % re.escape(option))
    unset = '# %s is not set' % option
    for cand, compressed in candidates:
        try:
            if compressed:
                fobj = gzip.open(cand, 'rb')
            else:
                fobj = open(cand, 'rb')
        except (IOError, OSError):
            continue
        try:
            try:
                for raw in fobj:
                    line = raw.decode('utf-8', 'replace').strip()
                    if line == unset:
                        return 'n', cand
                    match = set_re.match(line)
                    if match:
                        return match.group(1), cand
            except (IOError, OSError, EOFError, ValueError):
                # unreadable or corrupt gzip: try the next candidate
                continue
        finally:
            fobj.close()
        return 'n', cand
    return None, None


def cmdline_params(path=PROC_CMDLINE):
    """Kernel command line as a list of words ([] when unreadable)."""
    text = read_small_file(path, default='')
    return text.split()


# --- /dev/kmsg ---------------------------------------------------------------------------

class KmsgReader(object):
    """Non-blocking reader of /dev/kmsg (or of a file or FIFO standing in for it).

    /dev/kmsg returns one record per read(); EAGAIN means "no more records for now"; EPIPE
    means records were overwritten in the ring buffer before we read them (the kernel has
    moved our position to the oldest record still there and the next read continues).
    A regular file returns arbitrary chunks and b'' at its end; both are handled.
    Yields complete lines (bytes, with the trailing newline), split by kmsg.LineSplitter (the
    line splitter of every reader: CR ends, lines cut at kmsg.MAX_LINE_BYTES and counted in
    cut_lines and cut_bytes).
    """

    def __init__(self, path, read_size=KMSG_READ_SIZE):
        self.path = path
        self.read_size = read_size
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.overruns = 0
        self.notes = []
        self._splitter = LineSplitter()
        self._ready = collections.deque()

    def close(self):
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def seek_end(self):
        """Position after the newest record (/dev/kmsg) or at the end of a file."""
        try:
            os.lseek(self.fd, 0, os.SEEK_END)
        except OSError as exc:
            if exc.errno != errno.ESPIPE:  # a FIFO cannot seek: it only has new data anyway
                raise
        self._splitter = LineSplitter()
        self._ready.clear()

    def _read_chunk(self):
        """bytes, b'' at end of data, None when nothing is available now."""
        while True:
            try:
                return os.read(self.fd, self.read_size)
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return None
                if exc.errno == errno.EPIPE:
                    self.overruns += 1
                    if self.overruns == 1:
                        self.notes.append(
                            'kernel log records were overwritten in the ring buffer before '
                            'they could be read (%s returned EPIPE); some output is missing: '
                            'boot with a larger log_buf_len= to keep more' % self.path)
                    continue
                raise

    def lines(self, wait=0.0, stop=None, poll=0.05):
        """Yield the lines available now.

        wait: keep polling for this many seconds when no data is available (used to wait for
        an end marker). stop: a callable(line_bytes) -> bool; when it returns True the
        generator yields that line and ends; lines read past it stay for the next call.
        """
        deadline = time.time() + wait
        while True:
            while self._ready:
                line = self._ready.popleft()
                yield line
                if stop is not None and stop(line):
                    return
            chunk = self._read_chunk()
            if not chunk:
                if wait > 0 and time.time() < deadline:
                    time.sleep(poll)
                    continue
                out, tail = self._splitter.flush()
                self._take(out)
                if tail:
                    self._ready.append(tail)  # an unfinished line, passed on as it is
                if self._ready:
                    continue
                return
            self._take(self._splitter.feed(chunk))

    def _take(self, block):
        if block:
            parts = block.split(b'\n')
            parts.pop()
            self._ready.extend(part + b'\n' for part in parts)

    @property
    def cut_lines(self):
        """Lines longer than MAX_LINE_BYTES, cut there (not the kernel log?)."""
        return self._splitter.cut_lines

    @property
    def cut_bytes(self):
        return self._splitter.cut_bytes


def write_kmsg(path, message, level=5):
    """Write one line to /dev/kmsg as '<level>message'.

    Opens the device for every line: the kernel rate-limits writes per open file
    (10 lines per 5 s, devkmsg_write in kernel/printk/printk.c), a fresh open is not limited.
    Raises EnvironmentError (EPERM when kernel.printk_devkmsg=off, EACCES when not root).
    """
    if not isinstance(message, bytes):
        message = message.encode('utf-8')
    data = b'<' + str(int(level)).encode('ascii') + b'>' + message.replace(b'\n', b' ') + b'\n'
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


# --- cursors ---------------------------------------------------------------------------

CURSOR_HELP = ("a cursor looks like 'kmsg:<boot_id>:<seq>:<seconds>' (live log) or "
               "'file:<offset>[,<offset>...]' (files); use the cursor value returned by an "
               "earlier kdebug.kernel.kernel_log or kdebug.kernel.sysrq call")


class CursorTracker(object):
    """The newest position seen in a kernel log (sequence number, time stamp) and the first
    sequence number, from the LogLines read: what a live-log cursor is made of. kernel_log and
    sysrq both return such a cursor."""

    def __init__(self, seq=None, ts=None):
        self.last_seq = seq
        self.last_ts = ts
        self.first_seq = None

    def track(self, line):
        seq = getattr(line, 'seq', None)
        if seq is not None:
            if self.first_seq is None:
                self.first_seq = seq
            if self.last_seq is None or seq > self.last_seq:
                self.last_seq = seq
        ts = getattr(line, 'ts', None)
        if ts is not None and (self.last_ts is None or ts > self.last_ts):
            self.last_ts = ts

    @property
    def empty(self):
        return self.last_seq is None and self.last_ts is None

    def cursor(self, boot_id):
        """'kmsg:<boot_id>:<seq>:<seconds>' of the newest position."""
        return format_kmsg_cursor(boot_id, self.last_seq, self.last_ts)

    def snapshot(self):
        return (self.last_seq, self.last_ts, self.first_seq)

    def restore(self, snapshot):
        self.last_seq, self.last_ts, self.first_seq = snapshot


def format_kmsg_cursor(boot_id, seq, ts):
    return 'kmsg:%s:%s:%s' % (boot_id or '-',
                              '-' if seq is None else int(seq),
                              '-' if ts is None else '%.6f' % ts)


def format_file_cursor(offsets):
    return 'file:' + ','.join(str(int(o)) for o in offsets)


def parse_cursor(text):
    """dict(kind='kmsg', boot_id, seq, ts) or dict(kind='file', offsets); ValueError."""
    text = (text or '').strip()
    if text.startswith('kmsg:'):
        parts = text.split(':')
        if len(parts) != 4:
            raise ValueError('malformed cursor %r: %s' % (text, CURSOR_HELP))
        boot_id = None if parts[1] in ('', '-') else parts[1].lower()
        try:
            seq = None if parts[2] in ('', '-') else int(parts[2])
            ts = None if parts[3] in ('', '-') else float(parts[3])
        except ValueError:
            raise ValueError('malformed cursor %r: %s' % (text, CURSOR_HELP))
        if (seq is not None and seq < 0) or (ts is not None and ts < 0):
            raise ValueError('malformed cursor %r: %s' % (text, CURSOR_HELP))
        return dict(kind='kmsg', boot_id=boot_id, seq=seq, ts=ts)
    if text.startswith('file:'):
        body = text[len('file:'):]
        try:
            offsets = [int(o) for o in body.split(',')] if body else []
        except ValueError:
            raise ValueError('malformed cursor %r: %s' % (text, CURSOR_HELP))
        if any(o < 0 for o in offsets):
            raise ValueError('malformed cursor %r: %s' % (text, CURSOR_HELP))
        return dict(kind='file', offsets=offsets)
    raise ValueError('unknown cursor %r: %s' % (text, CURSOR_HELP))


# --- result shaping --------------------------------------------------------------------

def cap_text_lines(lines, max_lines, max_len=1024):
    """(list of str capped to max_lines lines of max_len chars, truncated flag)."""
    out = []
    truncated = False
    for i, line in enumerate(lines):
        if max_lines is not None and i >= max_lines:
            truncated = True
            break
        line = line_text(line)
        if len(line) > max_len:
            line = line[:max_len] + ' [...]'
            truncated = True
        out.append(line)
    return out, truncated


def line_text(line):
    """Message text of a LogLine, or the str itself."""
    text = getattr(line, 'text', None)
    if text is not None:
        return text
    if isinstance(line, bytes):
        return line.decode('utf-8', 'replace').rstrip('\r\n')
    return line


def compile_regexes(patterns, option):
    """Compile a list of regexes; raises ValueError naming the option and the index."""
    compiled = []
    for i, pattern in enumerate(patterns or []):
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ValueError('%s[%d] %r is not a valid Python regular expression: %s'
                             % (option, i, pattern, exc))
    return compiled
