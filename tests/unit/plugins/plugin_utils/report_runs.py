# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs for the report tests: the two real lab runs (tests/unit/fixtures/report/runs, captured
from the lab on 2026-12-02 by the overload role) and a large run generated from the first one.

make_large_run() writes what the overload role writes (00-baseline.json, NN-<stage>.json,
NN-<stage>.console.log, summary.json) for N hosts: each host is a copy of the real host of
run 20261202T003402Z, with findings made from the real hung-task finding of its fsfreeze stage
(type, title, function and times changed), a few stages given other statuses, and on some
hosts the kmemleak findings of the lab's kmemleak-test capture (tests/unit/fixtures/lab).
"""

from __future__ import annotations

import copy
import json
import os
import shutil

from ansible_collections.kdebug.kernel.plugins.module_utils.kmemleak_report import summarize

UNIT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNS = os.path.join(UNIT, 'fixtures', 'report', 'runs')
RUN1 = os.path.join(RUNS, '20261202T003402Z')   # six stages, hung tasks and SysRq in fsfreeze, link-flap timed out
RUN2 = os.path.join(RUNS, '20261202T012532Z')   # the VM paused during stage hang: unresponsive, recovered
HOST = 'kdebug-db'
KMEMLEAK_CAPTURE = os.path.join(UNIT, 'fixtures', 'lab', 'kmemleak_test_loaded_6.1_debugfs.txt')

TYPES = ('lockdep', 'hung_task', 'soft_lockup', 'rcu_stall', 'oom_kill', 'warning', 'bug', 'kasan', 'atomic_sleep',
         'hard_lockup', 'ubsan', 'kfence')
FUNCTIONS = ('mnt_want_write', 'xfs_log_force', 'ext4_writepages', 'blk_mq_get_tag', 'shrink_node', 'kmem_cache_alloc',
             'tcp_sendmsg', 'netif_receive_skb', 'dev_change_flags', 'filemap_fault', 'jbd2_journal_commit_transaction',
             'try_to_free_pages', 'rcu_gp_kthread', 'fsnotify', 'generic_perform_write', 'iomap_write_iter', 'kswapd',
             'do_exit', 'schedule_timeout', 'mutex_lock_nested')


def load(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def save(path, data):
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(data, handle, indent=4, sort_keys=True)
        handle.write('\n')


def copy_run(src, dest_root):
    """A copy of a real run under dest_root (to change it); returns its run directory."""
    dest = os.path.join(str(dest_root), os.path.basename(src))
    shutil.copytree(src, dest)
    return dest


def _title(ftype, func):
    return {'lockdep': 'possible circular locking dependency detected in %s', 'hung_task': 'INFO: task hung in %s',
            'soft_lockup': 'BUG: soft lockup in %s', 'rcu_stall': 'INFO: rcu detected stall in %s',
            'oom_kill': 'oom-kill in %s', 'warning': 'WARNING in %s', 'bug': 'kernel BUG in %s', 'kasan': 'KASAN: use-after-free in %s',
            'atomic_sleep': 'BUG: sleeping function called from invalid context in %s', 'hard_lockup': 'watchdog: hard LOCKUP in %s',
            'ubsan': 'UBSAN: shift-out-of-bounds in %s', 'kfence': 'KFENCE: out-of-bounds read in %s'}[ftype] % func


def make_large_run(dest_root, hosts=20, findings=2000, titles=400, log_bytes=0):
    """A run of `hosts` hosts with `findings` findings (entries) over `titles` distinct titles.
    log_bytes > 0 makes each stage's console log that long (real lines repeated)."""
    run_id = '20261202T003402Z'
    run_dir = os.path.join(str(dest_root), 'large', run_id)
    src = os.path.join(RUN1, HOST)
    template = load(os.path.join(src, '04-fsfreeze.json'))['findings'][0]
    leaks = summarize(open(KMEMLEAK_CAPTURE, encoding='utf-8').read())['findings']
    stage_files = sorted(f[:-5] for f in os.listdir(src) if f.endswith('.json') and f[:2].isdigit() and not f.startswith('00-'))
    per_host = findings // hosts
    made = 0
    for h in range(hosts):
        name = 'test-%02d.lab.example' % (h + 1)
        host_dir = os.path.join(run_dir, name)
        os.makedirs(host_dir)
        baseline = load(os.path.join(src, '00-baseline.json'))
        baseline['host'] = name
        save(os.path.join(host_dir, '00-baseline.json'), baseline)
        stages = []
        for i, base in enumerate(stage_files):
            record = load(os.path.join(src, base + '.json'))
            record['host'] = name
            result = record.get('stage')
            samples = result['samples']
            lo, hi = samples[0]['uptime'], samples[-1]['uptime']
            share = per_host // len(stage_files) + (1 if i < per_host % len(stage_files) else 0)
            record['findings'] = []
            for k in range(share):
                n = made + k
                j = n % titles  # the title: a type, a function, and a number past the 240 pairs
                ftype = TYPES[j % len(TYPES)]
                func = FUNCTIONS[(j // len(TYPES)) % len(FUNCTIONS)]
                f = copy.deepcopy(template)
                f.update(type=ftype, function=func,
                         title=_title(ftype, func) + (' #%d' % j if j >= len(TYPES) * len(FUNCTIONS) else ''),
                         count=1 + n % 5, first_seen=lo + (hi - lo) * k / max(share, 1),
                         last_seen=lo + (hi - lo) * (k + 0.5) / max(share, 1),
                         excerpt=template['excerpt'].replace('mnt_want_write', func))
                record['findings'].append(f)
            made += share
            record['counts'] = {}
            for f in record['findings']:
                record['counts'][f['type']] = record['counts'].get(f['type'], 0) + f['count']
            # a few other endings, as the role records them
            if h == 1 and base.endswith('oom'):
                record.update(status='error', reasons=['stress-ng is not installed and the fallback hog failed'])
            if h == 2 and base.endswith('fsfreeze'):
                record.update(status='failed', reasons=['expect rules broken: length(findings[?type==\'lockdep\']) == `0`'],
                              broken_rules=["length(findings[?type=='lockdep']) == `0`"])
            save(os.path.join(host_dir, base + '.json'), record)
            log_src = os.path.join(src, base + '.console.log')
            with open(log_src, 'rb') as handle:
                log = handle.read()
            if log_bytes:
                log = (log * (log_bytes // max(len(log), 1) + 1))[:log_bytes]
            with open(os.path.join(host_dir, base + '.console.log'), 'wb') as handle:
                handle.write(log)
            stages.append({'name': base.split('-', 1)[1], 'status': record['status']})
        summary = load(os.path.join(src, 'summary.json'))
        summary['host'] = name
        if h % 5 == 0:
            summary['kmemleak']['findings'] = leaks
            summary['kmemleak']['records'] = sum(f['count'] for f in leaks)
            summary['kmemleak_new'] = [f['signature'] for f in leaks]
        save(os.path.join(host_dir, 'summary.json'), summary)
    return run_dir
