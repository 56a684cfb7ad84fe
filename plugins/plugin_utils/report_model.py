# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report of a stress run, read from its saved results only (controller side, Python 3.10+).

A run directory is ``<overload_report_dir>/<run id>/``, one subdirectory per host, as the
overload role writes it::

    <host>/00-baseline.json        kernel, boot id, taint, kernel log and kmemleak before the
                                   first stage, environment digests, the plan
    <host>/NN-<stage>.json         one stage: status, reasons, verdict, the module's result
                                   (start, end, samples), findings, counts, SysRq, taint
    <host>/NN-<stage>.console.log  the host's console during the stage (when it has one)
    <host>/summary.json            written after the last stage: final kmemleak scan, status

Any of these may be missing when the run died half-way: a planned stage without its file is
reported as not run (status skipped, ``recorded: false``), an unreadable file as status error.
build_report() returns the JSON document described by roles/report/files/run-report.schema.json
(SCHEMA_VERSION); the JUnit and HTML writers read only that document.
"""

from __future__ import annotations

import json
import os
import re
import statistics

from ansible_collections.kdebug.kernel.plugins.filter.overload import STATUSES, TAINT_LETTERS, overload_worst

SCHEMA_VERSION = '1.0'
FORMAT = 'kdebug.kernel.run-report'

# The worst finding of a stage or host is the one whose type comes first here (then the
# earliest printed): what stops a kernel, then what corrupts memory, then locking and stalls.
FINDING_SEVERITY = ('panic', 'bug', 'kasan', 'kfence', 'ubsan', 'lockdep', 'atomic_sleep', 'hard_lockup', 'soft_lockup',
                    'rcu_stall', 'hung_task', 'memory_leak', 'oom_kill', 'warning')
# Statuses a run may end with and still pass (the rule of playbooks/stress.yml's last play).
PASSING = ('passed', 'skipped')
NOT_RUN_REASON = 'no result saved: the run ended before this stage'

# The fields of a finding the report keeps (the kernel_log module's finding has more).
FINDING_FIELDS = ('type', 'title', 'count', 'first_seen', 'last_seen', 'excerpt', 'task', 'pid', 'function', 'source',
                  'corrupted')
# The fields of a kmemleak finding the report keeps (kmemleak module).
KMEMLEAK_FIELDS = ('title', 'function', 'count', 'bytes', 'backtrace', 'signature', 'comm', 'sizes')
# The fields of one sample the report keeps (overload_stage module).
SAMPLE_FIELDS = ('time', 'uptime', 'note', 'mem_available_kb', 'mem_free_kb', 'load1', 'psi_memory_some_avg10',
                 'psi_memory_full_avg10', 'psi_io_some_avg10', 'psi_io_full_avg10', 'psi_cpu_some_avg10', 'psi_cpu_full_avg10')

_STAGE_FILE_RE = re.compile(r'^(?P<index>\d{2,})-(?P<name>.+)\.json$')
_CMDLINE_RE = re.compile(r'^\[\s*\d+\.\d+\]\s+(?:Kernel )?[Cc]ommand line: (?P<cmdline>.*)$')


class ReportError(Exception):
    """Bad input (a directory that is not a run); the message says what to give instead."""


def _read_json(path):
    """(data, None) or (None, why it could not be read)."""
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle), None
    except FileNotFoundError:
        return None, 'missing'
    except (OSError, ValueError) as exc:
        return None, '%s: %s' % (os.path.basename(path), exc)


def host_dirs(run_dir, exclude=None):
    """The host directories of a run directory, sorted by name (but exclude, where the reports
    go); ReportError when it is not one."""
    if not run_dir:
        raise ReportError('no run directory given (report_run_dir: <overload_report_dir>/<run id>)')
    if not os.path.isdir(run_dir):
        raise ReportError('run directory %s does not exist' % run_dir)
    if os.path.isfile(os.path.join(run_dir, '00-baseline.json')) or os.path.isfile(os.path.join(run_dir, 'summary.json')):
        raise ReportError('%s is the directory of one host; give the run directory above it (%s)'
                          % (run_dir, os.path.dirname(os.path.abspath(run_dir))))
    hosts = []
    for name in sorted(os.listdir(run_dir)):
        path = os.path.join(run_dir, name)
        if exclude and os.path.abspath(path) == os.path.abspath(exclude):
            continue
        if os.path.isdir(path) and any(_STAGE_FILE_RE.match(f) or f == 'summary.json' for f in os.listdir(path)):
            hosts.append(path)
    if not hosts:
        raise ReportError('%s holds no host results (<run dir>/<host>/00-baseline.json, NN-<stage>.json, summary.json); '
                          'give <overload_report_dir>/<run id>' % run_dir)
    return hosts


def _pick(data, fields):
    return {k: data.get(k) for k in fields if k in data}


def _rank(finding):
    ftype = finding.get('type')
    rank = FINDING_SEVERITY.index(ftype) if ftype in FINDING_SEVERITY else len(FINDING_SEVERITY)
    first = finding.get('first_seen')
    return (rank, first if isinstance(first, (int, float)) else float('inf'))


def worst_finding(findings):
    """{'title', 'type'} of the worst finding (FINDING_SEVERITY, then the earliest), or None."""
    if not findings:
        return None
    worst = min(findings, key=_rank)
    return {'title': worst.get('title') or '', 'type': worst.get('type') or ''}


def _counts(findings):
    counts = {}
    for f in findings:
        counts[f['type']] = counts.get(f['type'], 0) + int(f.get('count') or 1)
    return dict(sorted(counts.items()))


def _clock_offset(samples):
    """Wall clock minus kernel uptime over the stage's samples (maps printk times to wall clock)."""
    offsets = [s['time'] - s['uptime'] for s in samples
               if isinstance(s.get('time'), (int, float)) and isinstance(s.get('uptime'), (int, float))]
    return statistics.median(offsets) if offsets else None


def _sysrq_dumps(sysrq):
    dumps = []
    for key in (sysrq or {}).get('key_results') or []:
        dumps.append({'key': key.get('key'), 'name': key.get('name'), 'header': key.get('header'),
                      'triggered': bool(key.get('triggered')), 'complete': bool(key.get('complete')),
                      'reason': key.get('reason') or None, 'output': list(key.get('output') or [])})
    return dumps


def _split_record(record, planned):
    """(result of the overload_stage module or None, the planned stage) from a stage record.
    The role keeps the plan under ``stage`` and the module's result under ``result``; runs
    saved before that kept the module's result under ``stage`` (the plan is then the baseline's)."""
    stage = record.get('stage') if isinstance(record.get('stage'), dict) else {}
    if 'result' in record:
        return record.get('result') or None, stage or planned or {}
    if 'samples' in stage or 'start' in stage or 'unit' in stage:
        return stage, planned or {}
    return None, stage or planned or {}


def _console(host_dir, base):
    path = os.path.join(host_dir, base + '.console.log')
    try:
        return {'file': os.path.relpath(path, os.path.dirname(host_dir)), 'bytes': os.path.getsize(path)}
    except OSError:
        return None


def _stage(host_dir, base, index, record, planned, error=None):
    """One stage of the report from its saved record (None: planned, not run)."""
    console = _console(host_dir, base) if base else None
    name = (planned or {}).get('name') or (base.split('-', 1)[1] if base else '')
    stage = {'index': index, 'name': name, 'type': (planned or {}).get('type'), 'status': 'skipped', 'reasons': [],
             'broken_rules': [], 'verdict': None, 'recorded': record is not None, 'file': None, 'console_log': console,
             'start': None, 'end': None, 'duration': None, 'timeout': (planned or {}).get('timeout'), 'message': None,
             'window': None, 'recovered': False, 'recovery': None, 'samples': [], 'taint': None, 'counts': {},
             'findings': [], 'worst_finding': None, 'sysrq': [], 'notes': [], '_offset': None, '_waited': None}
    if base:
        stage['file'] = os.path.join(os.path.basename(host_dir), base + '.json')
    if error:
        stage.update(status='error', recorded=False, reasons=['the stage record could not be read: %s' % error])
        return stage
    if record is None:
        if (planned or {}).get('skip'):
            stage['reasons'] = [planned['skip']]
        else:
            stage['reasons'] = [NOT_RUN_REASON]
        return stage
    result, plan = _split_record(record, planned)
    plan = plan or {}
    stage.update(name=plan.get('name') or (result or {}).get('name') or name,
                 type=plan.get('type') or (result or {}).get('type') or record.get('type'),
                 status=record.get('status') if record.get('status') in STATUSES else 'error',
                 reasons=[str(r) for r in record.get('reasons') or [] if r],
                 broken_rules=list(record.get('broken_rules') or []),
                 verdict=record.get('verdict'),
                 timeout=plan.get('timeout', (result or {}).get('timeout')),
                 recovered=bool(record.get('recovered')),
                 recovery=record.get('recovery'),
                 taint=record.get('taint'),
                 sysrq=_sysrq_dumps(record.get('sysrq')),
                 notes=[n.get('note') if isinstance(n, dict) else str(n) for n in record.get('notes') or []])
    if record.get('status') not in STATUSES:
        stage['reasons'].append('the record has no known status (%r)' % record.get('status'))
    if result:
        stage.update(start=result.get('start'), end=result.get('end'), duration=result.get('duration'),
                     message=result.get('message'),
                     samples=[_pick(s, SAMPLE_FIELDS) for s in result.get('samples') or [] if isinstance(s, dict)])
    stage['_offset'] = _clock_offset(stage['samples'])
    stage['_waited'] = (record.get('wait') or {}).get('waited')
    findings = []
    for raw in record.get('findings') or []:
        if not isinstance(raw, dict):
            continue
        finding = _pick(raw, FINDING_FIELDS)
        finding.setdefault('type', 'warning')
        finding.setdefault('title', finding['type'])
        finding['count'] = int(finding.get('count') or 1)
        finding['excerpt'] = finding.get('excerpt') or ''
        findings.append(finding)
    stage['findings'] = findings
    stage['counts'] = _counts(findings)
    stage['worst_finding'] = worst_finding(findings)
    return stage


def _place_in_time(stages):
    """Each stage's window on the wall clock (recorded, or estimated from its neighbours for a
    stage without a module result, e.g. one whose host stopped answering), and the wall clock
    time of each finding (printk time + the offset of the stage's samples, or of the closest
    earlier stage: a recovered stage's findings were printed by the boot before the reset)."""
    offset = None
    for i, stage in enumerate(stages):
        if stage['_offset'] is not None and not stage['recovered']:
            offset = stage['_offset']
        own = stage['_offset'] if stage['_offset'] is not None else offset
        for f in stage['findings']:
            for key in ('first_seen', 'last_seen'):
                ts = f.get(key)
                f[key + '_time'] = round(own + ts, 3) if own is not None and isinstance(ts, (int, float)) else None
        if isinstance(stage['start'], (int, float)) and isinstance(stage['end'], (int, float)):
            stage['window'] = {'start': stage['start'], 'end': stage['end'], 'estimated': False}
            continue
        if not stage['recorded']:
            continue
        before = next((s['window']['end'] for s in reversed(stages[:i]) if s['window']), None)
        after = next((s['start'] for s in stages[i + 1:] if isinstance(s['start'], (int, float))), None)
        waited = stage['_waited']
        start = stage['start'] if isinstance(stage['start'], (int, float)) else before
        end = after
        if end is None and start is not None and isinstance(waited, (int, float)):
            end = start + waited
        if start is None and end is not None and isinstance(waited, (int, float)):
            start = end - waited
        if start is not None and end is not None and end >= start:
            stage['window'] = {'start': start, 'end': end, 'estimated': True}
            stage['notes'].append('no start and end were recorded (no result from the stage); its time on the timeline '
                                  'is estimated from the neighbouring stages')
    for stage in stages:
        del stage['_offset']
        del stage['_waited']


def _cmdline(baseline, host_dir, names):
    """The kernel command line when the saved results hold it: the baseline (when the role
    saves it), else a boot printed on a stage's console ("Command line: ...")."""
    for key in ('cmdline', 'kernel_cmdline'):
        value = (baseline or {}).get(key)
        if value:
            return (' '.join(value) if isinstance(value, list) else str(value)), 'baseline'
    for base in names:
        path = os.path.join(host_dir, base + '.console.log')
        try:
            with open(path, encoding='utf-8', errors='replace') as handle:
                for line in handle:
                    m = _CMDLINE_RE.match(line.rstrip('\n'))
                    if m:
                        return m.group('cmdline').strip(), 'console of stage %s (a boot during the run)' % base.split('-', 1)[1]
        except OSError:
            continue
    return None, None


def _taint_letters(value):
    if not isinstance(value, int):
        return ''
    return ''.join(letter for bit, letter in enumerate(TAINT_LETTERS) if value & (1 << bit))


def _kmemleak(summary, baseline):
    scan = (summary or {}).get('kmemleak')
    if not isinstance(scan, dict) or not scan:
        return None
    new = set((summary or {}).get('kmemleak_new') or [])
    findings = []
    for raw in scan.get('findings') or []:
        f = _pick(raw, KMEMLEAK_FIELDS)
        f['new'] = f.get('signature') in new
        findings.append(f)
    before = (baseline or {}).get('kmemleak') or {}
    return {'enabled': scan.get('enabled'), 'available': scan.get('available'), 'records': scan.get('records', 0),
            'baseline_records': before.get('records'), 'reason': scan.get('reason'), 'truncated': bool(scan.get('truncated')),
            'new': sorted(new), 'findings': findings}


def load_host(host_dir):
    """One host of the report from its directory."""
    name = os.path.basename(host_dir.rstrip(os.sep))
    baseline, baseline_error = _read_json(os.path.join(host_dir, '00-baseline.json'))
    summary, summary_error = _read_json(os.path.join(host_dir, 'summary.json'))
    notes, missing = [], []
    if baseline_error:
        notes.append('baseline: %s' % baseline_error)
        missing.append('baseline')
    if summary_error:
        notes.append('summary.json: %s (the run did not finish for this host: no final kmemleak scan)' % summary_error)
    plan = [p for p in (baseline or {}).get('plan') or [] if isinstance(p, dict)]
    files = sorted(f for f in os.listdir(host_dir) if _STAGE_FILE_RE.match(f) and not f.startswith('00-'))
    by_name, stages, seen = {}, [], set()
    for f in files:
        m = _STAGE_FILE_RE.match(f)
        by_name[m.group('name')] = f[:-len('.json')]
    for index, planned in enumerate(plan, start=1):
        base = by_name.get(planned.get('name'))
        if base:
            record, error = _read_json(os.path.join(host_dir, base + '.json'))
            stages.append(_stage(host_dir, base, index, record if not error else None, planned, error if error else None))
            seen.add(base)
        else:
            stages.append(_stage(host_dir, None, index, None, planned))
    # stages saved but not in the plan (no baseline, or a plan that changed)
    for base in sorted(set(by_name.values()) - seen):
        record, error = _read_json(os.path.join(host_dir, base + '.json'))
        stages.append(_stage(host_dir, base, len(stages) + 1, record if not error else None, None, error))
    _place_in_time(stages)
    cmdline, cmdline_source = _cmdline(baseline, host_dir, [s['file'][len(name) + 1:-5] for s in stages if s['file']])
    if cmdline is None:
        missing.append('cmdline')
    elif cmdline_source != 'baseline':
        notes.append('cmdline: read from the %s, the baseline does not keep it' % cmdline_source)
    distribution = (baseline or {}).get('distribution')
    if isinstance(distribution, dict):
        distribution = distribution.get('pretty_name') or distribution.get('PRETTY_NAME') or json.dumps(distribution, sort_keys=True)
    if not distribution:
        distribution = None
        missing.append('distribution')
    environment = (baseline or {}).get('environment') or None
    if environment is None:
        missing.append('environment')
    findings = [f for s in stages for f in s['findings']]
    taints = [s['taint']['after'] for s in stages if isinstance(s.get('taint'), dict) and isinstance(s['taint'].get('after'), int)]
    taint_base = (baseline or {}).get('taint') if isinstance((baseline or {}).get('taint'), int) else None
    final = taints[-1] if taints else taint_base
    status = overload_worst([s['status'] for s in stages])
    return {'name': name, 'dir': name, 'status': status, 'complete': summary is not None,
            'lost': bool((summary or {}).get('lost')),
            'kernel_release': (baseline or {}).get('kernel'), 'boot_id': (baseline or {}).get('boot_id'),
            'cmdline': cmdline, 'distribution': distribution,
            'taint': {'baseline': taint_base, 'final': final, 'letters': _taint_letters(final)},
            'environment': environment, 'kmemleak': _kmemleak(summary, baseline),
            'worst_finding': worst_finding(findings), 'counts': _counts(findings),
            'stages': stages, 'missing': missing, 'notes': notes}


def finding_keys(report):
    """{(host, title): {'host', 'title', 'type', 'count'}} over the whole run."""
    keys = {}
    for host in report['hosts']:
        for stage in host['stages']:
            for f in stage['findings']:
                entry = keys.setdefault((host['name'], f['title']), {'host': host['name'], 'title': f['title'],
                                                                     'type': f['type'], 'count': 0})
                entry['count'] += f['count']
        for leak in (host.get('kmemleak') or {}).get('findings') or []:
            entry = keys.setdefault((host['name'], leak.get('title') or 'memory leak'),
                                    {'host': host['name'], 'title': leak.get('title') or 'memory leak', 'type': 'memory_leak',
                                     'count': 0})
            entry['count'] += int(leak.get('count') or 1)
    return keys


def compare(report, earlier):
    """Findings new, gone and still present by host and title, against an earlier report."""
    now, then = finding_keys(report), finding_keys(earlier)
    new = [dict(now[k], previous_count=0) for k in sorted(set(now) - set(then))]
    gone = [dict(then[k], previous_count=then[k]['count'], count=0) for k in sorted(set(then) - set(now))]
    still = [dict(now[k], previous_count=then[k]['count']) for k in sorted(set(now) & set(then))]
    return {'new': new, 'gone': gone, 'still': still}


def build_report(run_dir, compare_to=None, exclude=None):
    """The report document of a run directory (and its comparison with an earlier run);
    exclude: a directory of run_dir that is not a host (where the reports go)."""
    run_dir = os.path.abspath(run_dir) if run_dir else run_dir
    dirs = host_dirs(run_dir, exclude)
    hosts = [load_host(path) for path in dirs]
    run_ids = sorted({rid for rid in (_run_id_of(path) for path in dirs) if rid})
    run_id = run_ids[0] if len(run_ids) == 1 else os.path.basename(run_dir.rstrip(os.sep))
    stages = [s for h in hosts for s in h['stages']]
    windows = [s['window'] for s in stages if s['window']]
    statuses = {}
    for s in stages:
        statuses[s['status']] = statuses.get(s['status'], 0) + 1
    findings = [f for s in stages for f in s['findings']]
    worst = overload_worst([h['status'] for h in hosts])
    not_run = [s for s in stages if not s['recorded']]
    report = {'format': FORMAT, 'schema_version': SCHEMA_VERSION, 'run_id': run_id, 'run_dir': run_dir,
              'start': min((w['start'] for w in windows), default=None), 'end': max((w['end'] for w in windows), default=None),
              'worst_status': worst,
              'passed': bool(hosts) and worst in PASSING and all(h['complete'] for h in hosts)
              and not any(s['reasons'] == [NOT_RUN_REASON] for s in not_run),
              'counts': _counts(findings),
              'totals': {'hosts': len(hosts), 'stages': len(stages), 'findings': len(findings),
                         'statuses': dict(sorted(statuses.items()))},
              'compared_to': None, 'comparison': None, 'hosts': hosts}
    if len(run_ids) > 1:
        report['notes'] = ['host directories carry different run ids: %s' % ', '.join(run_ids)]
    if compare_to:
        earlier = build_report(compare_to, exclude=os.path.join(os.path.abspath(compare_to), 'report'))
        report['compared_to'] = {'run_id': earlier['run_id'], 'run_dir': earlier['run_dir']}
        report['comparison'] = compare(report, earlier)
    return report


def _run_id_of(host_dir):
    for name in ('00-baseline.json', 'summary.json'):
        data, dummy = _read_json(os.path.join(host_dir, name))
        if isinstance(data, dict) and data.get('run_id'):
            return str(data['run_id'])
    return None


def summary(report, paths=None):
    """The run summary for set_stats (key kdebug_kernel_report)."""
    return {'run_id': report['run_id'], 'schema_version': report['schema_version'], 'hosts': report['totals']['hosts'],
            'stages': report['totals']['stages'], 'worst_status': report['worst_status'], 'counts': dict(report['counts']),
            'passed': report['passed'], 'reports': dict(paths or {}),
            'compared_to': (report['compared_to'] or {}).get('run_id')}


def text_lines(report):
    """One line per host and stage: host, stage, status, counts per type, worst finding."""
    lines = []
    for host in report['hosts']:
        for s in host['stages']:
            counts = ' '.join('%s=%s' % kv for kv in sorted(s['counts'].items()))
            why = '' if s['status'] == 'passed' or s['worst_finding'] else '; '.join(s['reasons'])
            tail = ' '.join(part for part in (counts, (s['worst_finding'] or {}).get('title', '') or why) if part)
            lines.append(('%-24s %-22s %-12s %s' % (host['name'], s['name'], s['status'], tail)).rstrip())
    if report.get('comparison'):
        c = report['comparison']
        lines.append('compared with run %s: %d new, %d gone, %d still present (by host and title)'
                     % (report['compared_to']['run_id'], len(c['new']), len(c['gone']), len(c['still'])))
    return lines


# Text from consoles for XML and HTML: ANSI colour sequences dropped, characters XML 1.0 cannot
# hold written as \xNN.
_ANSI_RE = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]')
_NOT_XML_RE = re.compile('[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def clean_text(text):
    """text without ANSI sequences, with the characters XML cannot hold as \\xNN."""
    return _NOT_XML_RE.sub(lambda m: '\\x%02x' % ord(m.group(0)), _ANSI_RE.sub('', text or ''))


def cut_middle(text, limit, where=''):
    """text cut to about limit bytes (UTF-8): its head and its tail, with a note in between."""
    data = text.encode('utf-8')
    if limit is None or len(data) <= limit:
        return text
    keep = max(0, limit - 200)
    head = data[:keep // 2].decode('utf-8', 'ignore')
    tail = data[len(data) - (keep - keep // 2):].decode('utf-8', 'ignore') if keep else ''
    note = '\n[... kdebug.kernel.report cut %d of %d bytes here (limit %d)%s ...]\n' % (
        len(data) - keep, len(data), limit, '; the whole text: %s' % where if where else '')
    return head + note + tail


def read_console(report, stage, limit=None):
    """The stage's console log (cleaned, its head and tail when longer than limit bytes), ''
    when there is none. A long log is not read whole."""
    log = stage.get('console_log')
    if not log:
        return ''
    path = os.path.join(report['run_dir'], log['file'])
    try:
        with open(path, 'rb') as handle:
            size = os.fstat(handle.fileno()).st_size
            if limit is None or size <= limit:
                return clean_text(handle.read().decode('utf-8', 'replace'))
            keep = max(0, limit - 200)
            head = handle.read(keep // 2)
            handle.seek(size - (keep - keep // 2))
            tail = handle.read()
    except OSError as exc:
        return '(console log %s could not be read: %s)' % (log['file'], exc)
    note = '\n[... kdebug.kernel.report cut %d of %d bytes here (limit %d); the whole log: %s ...]\n' % (
        size - len(head) - len(tail), size, limit, path)
    return clean_text(head.decode('utf-8', 'ignore')) + note + clean_text(tail.decode('utf-8', 'ignore'))
