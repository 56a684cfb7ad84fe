# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Environment fingerprint benchmark: prints figures, it is not a test. Read-only.

Fingerprints this machine with the environment_facts collectors (plugins/module_utils/environment.py,
commands run as the module runs them: C locale, through timeout(1)) in a child process, --repeat
times, and prints the best wall time, the size of the saved form (canonical JSON, and the
to_nice_json file the environment_report role writes), the size and time of each section and the
child's peak RSS. Targets: the default sections finish within TIME_TARGET seconds and their saved
form stays below SIZE_TARGET bytes.

Usage: python tests/bench/environment.py [--repeat 3] [--python PATH] [--sections default ...]
       (add --sections all to include modified_files: rpm -Va / dpkg --verify, minutes)
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(CHECKOUT, 'build', 'collections')

TIME_TARGET = 10.0
SIZE_TARGET = 1024 * 1024

CHILD = r'''
import json, os, resource, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.kdebug.kernel.plugins.module_utils.environment import Collector, canonical_json, expand_sections

def which(name):
    for d in os.environ.get('PATH', '/usr/bin:/bin').split(':') + ['/usr/sbin', '/sbin']:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None

def run(argv):
    env = dict(os.environ, LC_ALL='C', LANG='C')
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    return p.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')

t = time.time()
fp = Collector(run=run, which=which, verify_timeout=float(sys.argv[3])).collect(expand_sections(sys.argv[2].split(',')))
seconds = time.time() - t
sizes = dict((n, len(canonical_json(s))) for n, s in fp['sections'].items())
print(json.dumps(dict(seconds=seconds, bytes=len(canonical_json(fp)), nice_bytes=len(json.dumps(fp, indent=4, sort_keys=True)),
                      sizes=sizes, section_seconds=fp['collected']['section_seconds'], complete=fp['complete'],
                      digest=fp['digest'], rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      notes=dict((n, s['notes']) for n, s in fp['sections'].items() if s['notes']))))
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--python', default=sys.executable, help='interpreter of the child (3.6+)')
    parser.add_argument('--sections', nargs='+', default=['default'])
    parser.add_argument('--verify-timeout', type=float, default=300)
    args = parser.parse_args()
    runs = []
    for dummy in range(args.repeat):
        proc = subprocess.run([args.python, '-c', CHILD, COLLECTIONS, ','.join(args.sections), str(args.verify_timeout)],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout))
    best = min(runs, key=lambda r: r['seconds'])
    print('environment fingerprint of %s, sections %s, %s, best of %d:'
          % (os.uname()[1], ' '.join(args.sections), args.python, args.repeat))
    print('  time %.2f s (runs: %s), saved form %d bytes canonical, %d bytes to_nice_json, peak RSS %.1f MB'
          % (best['seconds'], ', '.join('%.2f' % r['seconds'] for r in runs), best['bytes'], best['nice_bytes'],
             best['rss_kb'] / 1024.0))
    for name in best['sizes']:
        print('  %-15s %8d bytes %7.3f s' % (name, best['sizes'][name], best['section_seconds'].get(name, 0)))
    print('  digests equal across runs: %s; complete: %s' % (len(set(r['digest'] for r in runs)) == 1, best['complete']))
    for name, notes in sorted(best['notes'].items()):
        print('  note %s: %s' % (name, '; '.join(notes)))
    failed = []
    if 'modified_files' not in best['sizes'] and best['seconds'] > TIME_TARGET:
        failed.append('time %.2f s > %.0f s' % (best['seconds'], TIME_TARGET))
    if best['bytes'] > SIZE_TARGET:
        failed.append('size %d > %d bytes' % (best['bytes'], SIZE_TARGET))
    print('targets (default sections <= %.0f s, saved form <= %d bytes): %s'
          % (TIME_TARGET, SIZE_TARGET, 'FAILED: ' + ', '.join(failed) if failed else 'met'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
