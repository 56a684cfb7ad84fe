"""Run a playbook of this checkout through ansible-runner, the engine AWX runs jobs with.

    python3 tests/lab/stress_runner.py -i INVENTORY [-i ...] [--playbook playbooks/stress.yml]
        [-e KEY=VALUE | -e @FILE | -e JSON ...] [--limit PATTERN] [--summary PATH]
        [--private-data-dir DIR] [--check [--expect-status S] [--expect-rc N] [--no-findings]]

Streams the run's output as it comes (every event's stdout, so the run is never silent), then
writes a JSON summary: the runner's status and rc, the per-host stats, the `set_stats` data AWX
keeps as the job's artifacts (the `playbook_on_stats` event's `artifact_data`), and the findings
the job events carry (results of the overload role's tasks holding `findings` lists, and the
`overload_summary` facts). `--check` then checks the summary (`check_run`): the status and rc
expected, `kdebug_kernel_report` in the artifacts with its fields, findings in the events; the
exit status is 0 when every check passed, 1 otherwise (without `--check`: the runner's rc).

Importable (the Molecule scenario calls it after a real lab run): `run_playbook(...)` returns the
summary, `check_run(summary, ...)` returns the problems found (an empty list when all is well).
A controller-side test tool (Python 3.11+, ansible-runner from requirements-dev.txt), not part
of the collection's content.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import ansible_runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT_KEY = 'kdebug_kernel_report'
REPORT_FIELDS = ('run_id', 'schema_version', 'hosts', 'stages', 'worst_status', 'counts', 'passed',
                 'reports', 'compared_to')
REPORT_FORMATS = ('json', 'junit', 'html')
# Events whose event_data.res is a task result (ansible-runner's names for them).
RESULT_EVENTS = ('runner_on_ok', 'runner_on_failed', 'runner_item_on_ok', 'runner_item_on_failed',
                 'runner_on_async_ok', 'runner_on_async_failed')
FINDING_ROLES = ('overload',)


def runner_env(root=ROOT, envvars=None):
    """Environment of the run: this checkout's ansible.cfg and collections path, and the
    ansible-playbook of the running Python's venv first on PATH (ansible-runner runs the first
    on PATH; `binary=` would run it without the playbook)."""
    env = {
        'ANSIBLE_CONFIG': os.path.join(root, 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': os.pathsep.join(
            p for p in (os.path.join(root, 'build', 'collections'), os.environ.get('ANSIBLE_COLLECTIONS_PATH')) if p),
        'PATH': os.pathsep.join(p for p in (os.path.dirname(sys.executable), os.environ.get('PATH')) if p),
        # Plain text in the events' stdout (the log a caller keeps, what AWX shows). NOCOLOR
        # alone is not enough: a FORCE_COLOR inherited from the caller wins over it, and
        # Molecule sets ANSIBLE_FORCE_COLOR, so a recap line read back had escape codes inside.
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
    }
    env.update(envvars or {})
    return env


def _role_matches(event_data, roles):
    """True when the event's task belongs to one of roles (short name, or a collection's role)."""
    for key in ('role', 'resolved_role'):
        name = event_data.get(key) or ''
        if name and (name in roles or any(name.endswith('.' + r) for r in roles)):
            return True
    return False


def _walk_findings(value, path=()):
    """(key path, list) of every `findings` list of dicts inside a task result."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if key == 'findings' and isinstance(sub, list) and all(isinstance(f, dict) for f in sub):
                yield path + (key,), sub
            else:
                yield from _walk_findings(sub, path + (str(key),))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk_findings(sub, path + (str(index),))


def findings_from_events(events, roles=FINDING_ROLES):
    """The findings carried by the job events of the tasks of roles.

    One entry per task result and `findings` list: host, task, role, the key path inside the
    result, the findings themselves; and per host the `overload_summary` facts set."""
    found, summaries = [], []
    for event in events:
        if event.get('event') not in RESULT_EVENTS:
            continue
        data = event.get('event_data') or {}
        if not _role_matches(data, roles):
            continue
        res = data.get('res') or {}
        for path, items in _walk_findings(res):
            if not items:
                continue
            found.append({
                'host': data.get('host'), 'task': data.get('task'), 'role': data.get('role'),
                'resolved_role': data.get('resolved_role'), 'action': data.get('task_action'),
                'event': event.get('event'), 'counter': event.get('counter'), 'path': '.'.join(path),
                'count': len(items), 'titles': sorted({str(f.get('title', '')) for f in items}),
                'findings': items,
            })
        summary = (res.get('ansible_facts') or {}).get('overload_summary')
        if isinstance(summary, dict):
            summaries.append({'host': data.get('host'), 'overload_summary': summary})
    return found, summaries


def summarize(result, events, playbook, inventory, roles=FINDING_ROLES):
    """The JSON summary of a finished run (result: what ansible_runner.run returned)."""
    stats_events = [e for e in events if e.get('event') == 'playbook_on_stats']
    stats_data = (stats_events[-1].get('event_data') or {}) if stats_events else {}
    findings, summaries = findings_from_events(events, roles)
    return {
        'playbook': playbook,
        'inventory': list(inventory),
        'private_data_dir': result.config.private_data_dir,
        'artifact_dir': result.config.artifact_dir,
        'status': result.status,
        'rc': result.rc,
        'stats': result.stats or {},
        'events': len(events),
        'artifact_data': stats_data.get('artifact_data') or {},
        'findings': findings,
        'findings_count': sum(f['count'] for f in findings),
        'overload_summaries': summaries,
    }


def run_playbook(inventory, playbook='playbooks/stress.yml', extravars=None, limit=None, private_data_dir=None,
                 summary_path=None, envvars=None, roles=FINDING_ROLES, root=ROOT, out=None, timeout=None):
    """Run playbook (relative to root, or absolute) with ansible_runner.run() and return the summary.

    inventory: a path or a list of paths (inventory files or directories). The output of the run
    is streamed to out (default stdout) event by event. The summary is also written to
    summary_path (default <private data dir>/summary.json)."""
    out = out or sys.stdout
    inventories = [inventory] if isinstance(inventory, str) else list(inventory)
    inventories = [os.path.abspath(i) for i in inventories]
    playbook_path = playbook if os.path.isabs(playbook) else os.path.join(root, playbook)
    if not os.path.isfile(playbook_path):
        raise FileNotFoundError('playbook not found: %s' % playbook_path)
    for path in inventories:
        if not os.path.exists(path):
            raise FileNotFoundError('inventory not found: %s' % path)
    pdd = private_data_dir or tempfile.mkdtemp(prefix='kdebug-runner-')
    os.makedirs(pdd, exist_ok=True)

    def stream(event):
        text = event.get('stdout')
        if text:
            out.write(text + '\n')
            out.flush()
        return True

    out.write('==> ansible-runner: %s -i %s (private data dir %s)\n' % (playbook_path, ' -i '.join(inventories), pdd))
    out.flush()
    kwargs = {}
    if timeout:
        kwargs['timeout'] = timeout
    result = ansible_runner.run(
        private_data_dir=pdd, playbook=playbook_path, inventory=inventories, extravars=extravars or {},
        limit=limit, envvars=runner_env(root, envvars), quiet=True, event_handler=stream, **kwargs)
    summary = summarize(result, list(result.events), playbook_path, inventories, roles)
    summary_path = summary_path or os.path.join(pdd, 'summary.json')
    with open(summary_path, 'w', encoding='utf-8') as fobj:
        json.dump(summary, fobj, indent=2, sort_keys=True, default=str)
        fobj.write('\n')
    summary['summary_path'] = summary_path
    out.write('<== ansible-runner: status %s rc %s; %d events, %d findings in them; artifacts: %s; summary %s\n' % (
        summary['status'], summary['rc'], summary['events'], summary['findings_count'],
        ', '.join(sorted(summary['artifact_data'])) or 'none', summary_path))
    out.flush()
    return summary


def check_run(summary, expect_status='successful', expect_rc=0, require_report=True, require_findings=True,
              hosts=None, report_files_exist=True):
    """Problems of a run's summary (an empty list: every check passed).

    expect_status/expect_rc: the runner's status and rc (None: any). require_report: the
    `kdebug_kernel_report` set_stats data in the artifacts with every field, its reports
    (json, junit, html) named and, with report_files_exist, on disk. require_findings: at least
    one finding in the job events of the overload role. hosts: names that must appear in the
    per-host stats and, when the report lists hosts, in the report."""
    problems = []
    if expect_status is not None and summary.get('status') != expect_status:
        problems.append('status %r, expected %r' % (summary.get('status'), expect_status))
    if expect_rc is not None and summary.get('rc') != expect_rc:
        problems.append('rc %r, expected %r' % (summary.get('rc'), expect_rc))
    processed = set((summary.get('stats') or {}).get('processed', {}))
    for host in hosts or ():
        if host not in processed:
            problems.append('host %s not in the run\'s stats (processed: %s)' % (host, sorted(processed)))
    if require_report:
        report = (summary.get('artifact_data') or {}).get(REPORT_KEY)
        if not isinstance(report, dict):
            problems.append('%s not in the artifacts (set_stats): %s' % (REPORT_KEY, sorted(summary.get('artifact_data') or {})))
        else:
            missing = [f for f in REPORT_FIELDS if f not in report]
            if missing:
                problems.append('%s lacks %s' % (REPORT_KEY, ', '.join(missing)))
            reports = report.get('reports')
            if not isinstance(reports, dict):
                problems.append('%s.reports is %r, not a mapping of format to path' % (REPORT_KEY, reports))
            else:
                for fmt in REPORT_FORMATS:
                    path = reports.get(fmt)
                    if not path:
                        problems.append('%s.reports has no %s' % (REPORT_KEY, fmt))
                    elif report_files_exist and not os.path.isfile(path):
                        problems.append('%s.reports.%s: %s does not exist' % (REPORT_KEY, fmt, path))
            if not isinstance(report.get('passed'), bool):
                problems.append('%s.passed is %r, not a boolean' % (REPORT_KEY, report.get('passed')))
            listed = report.get('hosts')
            names = set(listed) if isinstance(listed, (list, dict)) and all(isinstance(h, str) for h in listed) else None
            if names is not None:
                for host in hosts or ():
                    if host not in names:
                        problems.append('host %s not in %s.hosts %s' % (host, REPORT_KEY, sorted(names)))
    if require_findings and not summary.get('findings'):
        problems.append('no findings in the job events of the roles %s' % (', '.join(FINDING_ROLES)))
    return problems


def _extravars(values):
    merged = {}
    for value in values or ():
        if value.startswith('@'):
            with open(value[1:], encoding='utf-8') as fobj:
                text = fobj.read()
            import yaml  # ansible-core's dependency, there where ansible-runner is
            merged.update(yaml.safe_load(text) or {})
        elif value.lstrip().startswith('{'):
            merged.update(json.loads(value))
        else:
            key, sep, val = value.partition('=')
            if not sep:
                raise SystemExit('-e %s: KEY=VALUE, @FILE or a JSON object' % value)
            merged[key] = val
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('-i', '--inventory', action='append', required=True, help='inventory (repeatable)')
    parser.add_argument('--playbook', default='playbooks/stress.yml', help='relative to the checkout, or absolute')
    parser.add_argument('-e', '--extra-vars', action='append', help='KEY=VALUE, @FILE (YAML/JSON) or JSON')
    parser.add_argument('--limit')
    parser.add_argument('--private-data-dir', help='ansible-runner\'s directory (artifacts); default a new temporary one')
    parser.add_argument('--summary', help='where to write the JSON summary; default <private data dir>/summary.json')
    parser.add_argument('--check', action='store_true', help='check the run (check_run) and exit 1 on a problem')
    parser.add_argument('--expect-status', default='successful')
    parser.add_argument('--expect-rc', type=int, default=0)
    parser.add_argument('--no-report', action='store_true', help='with --check: do not require kdebug_kernel_report')
    parser.add_argument('--no-findings', action='store_true', help='with --check: do not require findings in the events')
    parser.add_argument('--host', action='append', help='with --check: a host that must be in the run (repeatable)')
    args = parser.parse_args(argv)
    summary = run_playbook(args.inventory, playbook=args.playbook, extravars=_extravars(args.extra_vars),
                           limit=args.limit, private_data_dir=args.private_data_dir, summary_path=args.summary)
    if not args.check:
        return summary['rc'] if isinstance(summary['rc'], int) else 1
    problems = check_run(summary, expect_status=args.expect_status, expect_rc=args.expect_rc,
                         require_report=not args.no_report, require_findings=not args.no_findings, hosts=args.host)
    for problem in problems:
        print('check: %s' % problem)
    print('check: %s' % ('passed' if not problems else '%d problem(s)' % len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
