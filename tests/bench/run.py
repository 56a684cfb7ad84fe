# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser benchmark (``make bench``): prints figures, it is not a test.

Generates, in a temporary directory deleted afterwards:
- a kmemleak report of 100k records (/sys/kernel/debug/kmemleak format, 3.10 and 6.x records);
- a 200 MB kernel log (dmesg format: benign messages with the reports of the parser fixtures
  every few thousand lines).
Then measures the CPU time (user + system, from wait4) of the parse of each file in a child
process (kmemleak_report.summarize and kernel_findings.collect on the file object, as the
modules do), of ``grep -c`` over the same file and of iterating its lines in Python (the floor
of any line parser), and reads the child's peak RSS (ru_maxrss). CPU time, not wall time: the
machine may be shared. Every figure in the table is the best of --repeat runs (another process
only adds time; 5 by default: on a shared 2-core VM the best of 3 of the same parse varied by
up to 25% between two benches); the detail lines also give the median, which shows how noisy
the machine was.
Targets: the 200 MB kernel log
<= 2x ``grep -c -F`` over the parser's prefilter keywords, the kmemleak report <= 3x the
Python iteration floor, peak RSS < 40 MB whatever the input size. Two more logs have no time
target: a 20 MB one (the same text: RSS at another size, and the share of the interpreter's
start and the imports, printed as import= in its line) and a 60 MB "varied" one, whose benign
lines each end with random words, so that no message repeats: the scanner's remembered lines
(kernel_findings._Scanner) rule out nothing there, which shows what it costs without them.

Usage: python tests/bench/run.py [--log-mb 200] [--records 100000] [--repeat 5] [--keep DIR]
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(CHECKOUT, 'tests', 'unit', 'fixtures', 'parsers')

RSS_TARGET_MB = 40.0
#: the kernel log: CPU time <= 2x grep -c -F over the parser's prefilter keywords
LOG_GREP_TARGET = 2.0
#: the kmemleak report: CPU time <= 3x iterating its lines in Python
KMEMLEAK_FLOOR_TARGET = 3.0

CHILD = r'''
import resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0 = cpu()
sys.path.insert(0, sys.argv[1])
kind, path = sys.argv[2], sys.argv[3]
if kind == 'log':
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import collect as parse
else:
    from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import summarize as parse
c1 = cpu()
with open(path, 'rb') as f:
    res = parse(f)
c2 = cpu()
if kind == 'log':
    summary = 'lines=%d findings=%d reports=%d truncated=%s' % (
        res['lines'], len(res['findings']), sum(res['counts'].values()), res['truncated'])
else:
    summary = 'records=%d findings=%d truncated=%s' % (res['records'], len(res['findings']), res['truncated'])
sys.stdout.write('%s; CPU: import %.3fs, parse %.3fs\n' % (summary, c1 - c0, c2 - c1))
'''

# the floor of any line parser in Python: iterating the lines of the file
FLOOR = r'''
import sys
n = 0
with open(sys.argv[1], 'rb') as f:
    for _line in f:
        n += 1
sys.stdout.write('%d\n' % n)
'''

BENIGN = [
    'EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.',
    'e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX',
    'audit: type=1400 audit(1700000000.123:%d): apparmor="STATUS" operation="profile_load" profile="unconfined" '
    'name="/usr/bin/man" pid=%d comm="apparmor_parser"',
    'systemd[1]: Started Session %d of user root.',
    'usb 1-1: new high-speed USB device number %d using ehci-pci',
    'IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready',
    'sd 0:0:0:0: [sda] 41943040 512-byte logical blocks: (21.5 GB/20.0 GiB)',
    'TCP: request_sock_TCP: Possible SYN flooding on port 80. Sending cookies.  Check SNMP counters.',
    'nf_conntrack: default automatic helper assignment has been turned off for security reasons',
    'random: crng init done',
    'clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x2b3e459bf4c, max_idle_ns: 440795289890 ns',
    'xfs filesystem being mounted at /home supports timestamps until 2038 (0x7fffffff)',
    'dd[%d]: segfault at 0 ip 000055d6d8a5e3a1 sp 00007ffce2d1c4d0 error 6 in dd[55d6d8a5b000+5000]',
    'virtio_net virtio0 eth0: renamed from eth%d',
    'perf: interrupt took too long (2503 > 2500), lowering kernel.perf_event_max_sample_rate to 79750',
    'device-mapper: uevent: version 1.0.3',
    'bridge: filtering via arp/ip/ip6tables is no longer available by default.',
    'NET: Registered PF_INET6 protocol family',
]


def _fixture_reports():
    reports = []
    for name in sorted(os.listdir(FIXTURES)):
        if name.startswith(('kmemleak_debugfs', 'sysrq_')):
            continue
        with open(os.path.join(FIXTURES, name), 'rb') as f:
            lines = [ln for ln in f.read().decode('utf-8').splitlines() if not ln.startswith('# ')]
        # keep the message text only; the generator adds its own time stamps
        texts = []
        for ln in lines:
            m = re.match(r'^\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])? ?(.*)$', ln)
            texts.append(m.group(1) if m else ln)
        reports.append(texts)
    return reports


def _random_word(rnd):
    return ''.join(rnd.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_') for _i in range(rnd.randint(4, 12)))


def generate_log(path, size_mb, seed=1, varied=False):
    """varied: every benign line ends with random words (a device, a task, an address in hex),
    so that no two lines are the same message: the scanner's remembered lines cannot help."""
    rnd = random.Random(seed)
    reports = _fixture_reports()
    target = size_mb * 1024 * 1024
    written = 0
    ts = 0.0
    n = 0
    with open(path, 'w') as out:
        buf = []
        while written < target:
            n += 1
            if n % 3000 == 0:
                rep = reports[(n // 3000) % len(reports)]
                lines = rep
            else:
                lines = [rnd.choice(BENIGN).replace('%d', str(n % 9973))]
                if varied:
                    lines[0] += ' %s: %s 0x%x' % (_random_word(rnd), _random_word(rnd), rnd.getrandbits(48))
            for text in lines:
                ts += 0.000137
                s = '[%12.6f] %s\n' % (ts, text)
                buf.append(s)
                written += len(s)
            if len(buf) > 4096:
                out.write(''.join(buf))
                buf = []
        out.write(''.join(buf))
    return written


KMEMLEAK_3_10 = '''unreferenced object 0xffff8800%08x (size %d):
  comm "%s", pid %d, jiffies %d (age %d.%03ds)
  hex dump (first 32 bytes):
    6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk
    6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b a5  kkkkkkkkkkkkkkk.
  backtrace:
    [<ffffffff8179c5be>] kmemleak_alloc+0x4e/0xb0
    [<ffffffff8123c8b1>] kmem_cache_alloc_trace+0x131/0x2c0
    [<ffffffffc06a%04x>] %s+0x22/0x60 [%s]
    [<ffffffffc06a2079>] %s_init+0x79/0x1000 [%s]
    [<ffffffff8100211a>] do_one_initcall+0xba/0x240
    [<ffffffff8114aa5c>] load_module+0x27ac/0x3010
    [<ffffffff8114b46c>] SyS_finit_module+0xac/0xe0
    [<ffffffff817b8f92>] system_call_fastpath+0x25/0x2a
    [<ffffffffffffffff>] 0xffffffffffffffff
'''
KMEMLEAK_6 = '''unreferenced object 0xffff8881%08x (size %d):
  comm "%s", pid %d, jiffies %d
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
    ff ff ff ff 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc %08x):
    [<ffffffff8a5b2e1c>] kmemleak_alloc+0x4c/0x90
    [<ffffffff8a2f7a61>] __kmem_cache_alloc_node+0x201/0x330
    [<ffffffff8a297b3d>] kmalloc_trace+0x2d/0x80
    [<ffffffffc0a3%04x>] %s+0x5d/0x1b0 [%s]
    [<ffffffff8a8d1d84>] rtnl_newlink_create+0x124/0x3c0
    [<ffffffff8a8d2519>] __rtnl_newlink+0x539/0x8b0
    [<ffffffff8a8ce0c5>] rtnetlink_rcv_msg+0x145/0x3e0
    [<ffffffff8ab3d7a8>] do_syscall_64+0x58/0xc0
    [<ffffffff8ac000ea>] entry_SYSCALL_64_after_hwframe+0x72/0xdc
'''


def generate_kmemleak(path, records, seed=2):
    rnd = random.Random(seed)
    comms = ['modprobe', 'kworker/0:1', 'ip', 'systemd-udevd', 'swapper/0', 'stress-ng']
    written = 0
    with open(path, 'w') as out:
        buf = []
        for i in range(records):
            site = rnd.randrange(300)
            func = 'leak_site_%d' % site
            mod = 'mod%d' % (site % 17)
            if i % 2:
                s = KMEMLEAK_3_10 % (i, rnd.choice((32, 64, 128, 4096)), rnd.choice(comms), 1000 + i % 5000,
                                     4294937296 + i, i % 600, i % 1000, site, func, mod, mod, mod)
            else:
                s = KMEMLEAK_6 % (i, rnd.choice((32, 64, 512)), rnd.choice(comms), 1000 + i % 5000,
                                  4294937296 + i, rnd.randrange(1 << 32), site, func, mod)
            buf.append(s)
            written += len(s)
            if len(buf) > 2048:
                out.write(''.join(buf))
                buf = []
        out.write(''.join(buf))
    return written


def _collections_root(tmp):
    parts = CHECKOUT.split(os.sep)
    if parts[-3:] == ['ansible_collections', 'kdebug', 'kernel']:
        return os.sep.join(parts[:-3])
    root = os.path.join(tmp, 'collections')
    os.makedirs(os.path.join(root, 'ansible_collections', 'kdebug'))
    os.symlink(CHECKOUT, os.path.join(root, 'ansible_collections', 'kdebug', 'kernel'))
    return root


def _cpu(usage):
    return usage.ru_utime + usage.ru_stime


def child_env(tmp):
    """The children's environment: bytecode written (to a cache in tmp, not the checkout) even
    where PYTHONDONTWRITEBYTECODE is set, as an installed collection has it; without it every
    child compiled the parser's sources again (about 30 ms, measured here)."""
    env = dict(os.environ)
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    env['PYTHONPYCACHEPREFIX'] = os.path.join(tmp, 'pycache')
    return env


CHILD_ENV = None


def run_child(root, kind, path):
    """(CPU seconds, peak RSS MB, child output, wall seconds) of one parse in a child process
    (the whole child: interpreter start, imports and the parse; its output has the parts)."""
    start = time.time()
    proc = subprocess.Popen([sys.executable, '-c', CHILD, root, kind, path], stdout=subprocess.PIPE, env=CHILD_ENV)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.time() - start
    proc.returncode = status
    if status != 0:
        raise SystemExit('parser child failed with status %d' % status)
    return _cpu(usage), usage.ru_maxrss / 1024.0, out.decode().strip(), wall


def run_floor(path):
    """(CPU seconds, line count) of iterating the file's lines in Python (the floor)."""
    proc = subprocess.Popen([sys.executable, '-c', FLOOR, path], stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    return _cpu(usage), out.decode().strip()


def run_grep(args, path):
    """(CPU seconds, grep's output). stdout is a pipe: GNU grep stops at the first match when it
    writes to /dev/null."""
    proc = subprocess.Popen(['grep', '-c'] + args + [path], stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    return _cpu(usage), out.decode().strip()


def best(runs):
    return min(runs, key=lambda r: r[0])


def median(runs):
    times = sorted(r[0] for r in runs)
    return times[len(times) // 2]


def prefilter_pattern():
    """The parser's prefilter keywords as one grep -E/-F pattern set (the same search work)."""
    sys.path.insert(0, ROOT)
    from ansible_collections.kdebug.kernel.plugins.module_utils.kernel_findings import _Scanner
    return [n.decode() for n in _Scanner().NEEDLES]


ROOT = None


def main():
    global ROOT, CHILD_ENV
    ap = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    ap.add_argument('--log-mb', type=int, default=200)
    ap.add_argument('--small-log-mb', type=int, default=20)
    ap.add_argument('--varied-log-mb', type=int, default=60)
    ap.add_argument('--records', type=int, default=100000)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--keep', help='keep the generated files in this directory')
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix='kdebug-bench-')
    try:
        ROOT = _collections_root(tmp)
        CHILD_ENV = child_env(tmp)
        warm = os.path.join(tmp, 'warm-up.log')
        with open(warm, 'w') as f:
            f.write('[    0.000000] Linux version\n')
        run_child(ROOT, 'log', warm)  # writes the bytecode of every module the children import
        data_dir = args.keep or tmp
        if args.keep and not os.path.isdir(args.keep):
            os.makedirs(args.keep)
        load = ' '.join('%.2f' % x for x in os.getloadavg())
        print('Python %s, %d CPU(s), load average %s' % (sys.version.split()[0], os.cpu_count() or 0, load))
        results = []

        km = os.path.join(data_dir, 'kmemleak.txt')
        t = time.time()
        size = generate_kmemleak(km, args.records)
        print('generated %s: %d records, %.1f MB in %.1fs' % (km, args.records, size / 1e6, time.time() - t))
        results.append(measure('kmemleak report (%d records)' % args.records, 'kmemleak', km,
                               [['unreferenced object']], args.repeat))

        logs = [(args.small_log_mb, False, 'kernel log (%d MB)'), (args.log_mb, False, 'kernel log (%d MB)'),
                (args.varied_log_mb, True, 'varied log (%d MB)')]
        for mb, varied, label in logs:
            if not mb:
                continue
            log = os.path.join(data_dir, 'kernel-%dmb%s.log' % (mb, '-varied' if varied else ''))
            t = time.time()
            size = generate_log(log, mb, varied=varied)
            print('generated %s: %.1f MB in %.1fs' % (log, size / 1e6, time.time() - t))
            needles = prefilter_pattern()
            greps = [['BUG'], ['-F'] + sum((['-e', n] for n in needles), [])]
            results.append(measure(label % mb, 'log', log, greps, args.repeat))
            results[-1]['target'] = mb == args.log_mb and not varied
            if not args.keep:
                os.unlink(log)

        print()
        print('load average at the end %s' % ' '.join('%.2f' % x for x in os.getloadavg()))
        print('CPU seconds of the child processes (user + system; the machine may be shared, so wall')
        print('time is not compared); ratios: parse / grep -c, parse / Python line iteration (floor)')
        header = ('input', 'parse', 'grep', 'x grep', 'floor', 'x floor', 'RSS MB', 'targets')
        print('%-33s %8s %8s %7s %8s %7s %7s  %s' % header)
        for r in results:
            for grep_label, grep_time, ratio in r['ratios']:
                targets = ['RSS<%.0fMB %s' % (RSS_TARGET_MB, 'met' if r['rss'] < RSS_TARGET_MB else 'NOT met')]
                if r.get('target') and grep_label.startswith('-F'):
                    met = 'met' if ratio <= LOG_GREP_TARGET else 'NOT met'
                    targets.insert(0, 'x grep<=%.0f %s' % (LOG_GREP_TARGET, met))
                if r['kind'] == 'kmemleak':
                    met = 'met' if r['floor_ratio'] <= KMEMLEAK_FLOOR_TARGET else 'NOT met'
                    targets.insert(0, 'x floor<=%.0f %s' % (KMEMLEAK_FLOOR_TARGET, met))
                print('%-33s %8.3f %8.3f %6.2fx %8.3f %6.2fx %7.1f  %s   [grep -c %s]' % (
                    r['label'], r['parse'], grep_time, ratio, r['floor'], r['floor_ratio'], r['rss'],
                    ', '.join(targets), grep_label))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(label, kind, path, grep_args, repeat):
    """The parse, the floor and each grep, run in turn repeat times (round after round, so that
    a slow spell of a shared machine slows the runs of one round alike, not all runs of one
    of them), each figure the best of its runs."""
    parse_runs, floor_runs, grep_runs = [], [], [[] for _g in grep_args]
    for _round in range(repeat):
        parse_runs.append(run_child(ROOT, kind, path))
        floor_runs.append(run_floor(path))
        for g, runs in zip(grep_args, grep_runs, strict=True):
            runs.append(run_grep(g, path))
    parse = best(parse_runs)
    rss = max(r[1] for r in parse_runs)  # the highest of the runs, not the fastest one's
    print('%s: %s (CPU %.3fs, median %.3fs; wall %.3fs incl. interpreter start, peak RSS %.1f MB)' % (
        label, parse[2], parse[0], median(parse_runs), parse[3], rss))
    floor = best(floor_runs)
    print('  Python line iteration: %s lines, CPU %.3fs, median %.3fs' % (floor[1], floor[0], median(floor_runs)))
    ratios = []
    for g, runs in zip(grep_args, grep_runs, strict=True):
        gt = best(runs)
        if len(g) == 1:
            glabel = "'%s'" % g[0]
        else:
            glabel = "-F -e <each of the parser's %d prefilter keywords>" % ((len(g) - 1) // 2)
        print('  grep -c %s: %s lines matched, CPU %.3fs, median %.3fs' % (glabel, gt[1], gt[0], median(runs)))
        ratios.append((glabel, gt[0], parse[0] / gt[0] if gt[0] > 0 else float('inf')))
    return dict(label=label, kind=kind, parse=parse[0], rss=rss, ratios=ratios, floor=floor[0],
                floor_ratio=parse[0] / floor[0] if floor[0] > 0 else float('inf'))


if __name__ == '__main__':
    main()
