# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for the kernel's side of /proc/sysrq-trigger in the sysrq integration target.

Polls TRIGGER (a regular file); when the sysrq module writes a key into it, empties it and
appends what the kernel prints for that key (OUTPUT_DIR/<key>.kmsg, /dev/kmsg records) to
KMSG, the module's stand-in /dev/kmsg. Runs on Python 2.7 and 3.6+ (the target interpreter).
Exits after COUNT keys or TIMEOUT seconds.

usage: fake_sysrq_kernel.py TRIGGER KMSG OUTPUT_DIR COUNT [TIMEOUT]
"""
from __future__ import (absolute_import, division, print_function)

import os
import sys
import time


def main():
    trigger, kmsg, output_dir, count = sys.argv[1:5]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
    count = int(count)
    deadline = time.time() + timeout
    handled = 0
    while handled < count and time.time() < deadline:
        with open(trigger, 'rb') as fobj:
            data = fobj.read()
        if not data:
            time.sleep(0.01)
            continue
        with open(trigger, 'wb'):
            pass
        key = data[:1].decode('ascii')
        path = os.path.join(output_dir, '%s.kmsg' % key)
        if os.path.exists(path):
            with open(path, 'rb') as fobj:
                lines = [line for line in fobj if not line.startswith(b'#')]
        else:
            lines = [b'6,7000,940000000,-;sysrq: HELP : loglevel(0-9) reboot(b) crash(c) '
                     b'show-task-states(t) show-blocked-tasks(w)\n']
        with open(kmsg, 'ab') as fobj:
            fobj.write(b''.join(lines))
        handled += 1
        print('handled %s' % key)
    return 0 if handled == count else 1


if __name__ == '__main__':
    sys.exit(main())
