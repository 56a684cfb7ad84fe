"""Overload stage library: parsers, bounds, and the runner against a stand-in systemd.

Nothing here runs a workload: the runner gets a fake Systemd that records what it was asked
and says when the "unit" ends; stage types are only asked to plan (argv, bounds). The stages
themselves run only in lab VMs, never on this machine.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.kdebug.kernel.plugins.module_utils import overload

MEMINFO = """MemTotal:        2013908 kB
MemFree:          112233 kB
MemAvailable:     523456 kB
Buffers:           1234 kB
HugePages_Total:       0
"""
# /proc/pressure/memory as kernel/sched/psi.c psi_show() prints it ("%s avg10=%lu.%02lu avg60=...
# avg300=... total=%llu")
PRESSURE = """some avg10=12.50 avg60=3.10 avg300=0.72 total=5123456
full avg10=4.00 avg60=1.00 avg300=0.20 total=1234567
"""
# stress-ng --yaml (stress-ng.c: stress_metrics_dump / yaml output), trimmed
STRESS_NG_YAML = """---
system-info:
      stress-ng-version: 0.15.06
      run-by: root
metrics:
    - stressor: vm
      bogo-ops: 1234
      bogo-ops-per-second-usr-sys-time: 456.789
      wall-clock-time: 10.01
    - stressor: cpu
      bogo-ops: 99
...
"""


def test_parsers():
    mem = overload.parse_meminfo(MEMINFO)
    assert mem['MemAvailable'] == 523456 and mem['HugePages_Total'] == 0
    psi = overload.read_pressure(PRESSURE)
    assert psi['some']['avg10'] == 12.5 and psi['full']['total'] == 1234567
    metrics = overload.parse_stress_ng_yaml(STRESS_NG_YAML)
    assert metrics == [
        {'stressor': 'vm', 'bogo-ops': 1234, 'bogo-ops-per-second-usr-sys-time': 456.789, 'wall-clock-time': 10.01},
        {'stressor': 'cpu', 'bogo-ops': 99},
    ]


@pytest.mark.parametrize('text,expected', [('1M', 1 << 20), ('100M', 100 << 20), ('4k', 4096), (1048576, 1048576),
                                           ('2GiB', 2 << 30)])
def test_parse_size(text, expected):
    assert overload.parse_size(text, 'bs') == expected


@pytest.mark.parametrize('bad', ['', '0', '-1M', 'lots', 0, '1X'])
def test_parse_size_refuses(bad):
    with pytest.raises(overload.StageError, match='bs must be'):
        overload.parse_size(bad, 'bs')


def test_sampler_reads_proc_and_keeps_a_file(tmp_path):
    proc = tmp_path / 'proc'
    (proc / 'pressure').mkdir(parents=True)
    (proc / 'meminfo').write_text(MEMINFO)
    (proc / 'uptime').write_text('1234.56 2000.00\n')
    (proc / 'loadavg').write_text('3.50 2.00 1.00 2/300 4242\n')
    (proc / 'pressure' / 'memory').write_text(PRESSURE)
    (proc / 'pressure' / 'io').write_text('some avg10=1.00 avg60=0 avg300=0 total=1\n')
    samples = tmp_path / 'samples.jsonl'
    sampler = overload.Sampler(proc=str(proc), path=str(samples))
    first = sampler.take('before')
    sampler.take()
    assert first['uptime'] == 1234.56 and first['mem_available_kb'] == 523456 and first['load1'] == 3.5
    assert first['psi_memory_some_avg10'] == 12.5 and first['psi_memory_full_avg10'] == 4.0
    assert first['psi_io_some_avg10'] == 1.0 and 'psi_cpu_some_avg10' not in first
    assert first['note'] == 'before'
    lines = [json.loads(line) for line in samples.read_text().splitlines()]
    assert lines == sampler.samples and len(lines) == 2


def test_unknown_params_are_refused(tmp_path):
    with pytest.raises(overload.StageError, match=r'unknown parameters bogus, colour; it takes bs, count'):
        overload.DdWrite('s', {'bogus': 1, 'colour': 2}, str(tmp_path))


def test_dd_write_is_bounded_by_free_space(tmp_path, monkeypatch):
    monkeypatch.setattr(overload, 'free_bytes', lambda path: 3 * (100 << 20))
    stage = overload.DdWrite('dd-heavy', {'path': str(tmp_path), 'writers': 100, 'bs': '100M', 'count': 100},
                             str(tmp_path))
    stage.prepare()
    # 80% of 300 MiB allows two 100 MiB blocks; the writers all rewrite one file
    assert stage.result['count'] == 2 and stage.result['bytes_bound'] == 200 << 20
    assert stage.result['count_reduced']['asked'] == 100
    argv = stage.command()
    assert argv[:2] == ['sh', '-c']
    assert 'seq 1 100' in argv[2] and 'bs=104857600 count=2' in argv[2]
    assert 'of=%s/kdebug-dd-dd-heavy' % tmp_path in argv[2]


def test_dd_write_without_room_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(overload, 'free_bytes', lambda path: 1 << 20)
    stage = overload.DdWrite('dd', {'path': str(tmp_path), 'bs': '100M'}, str(tmp_path))
    with pytest.raises(overload.StageError, match='allow no block'):
        stage.prepare()


@pytest.mark.parametrize('populate', [True, False])
def test_memory_pressure_asks_stress_ng_for_oom(tmp_path, monkeypatch, populate):
    monkeypatch.setattr(overload, 'which', lambda name, path=None: '/usr/bin/' + name)
    stage = overload.MemoryPressure('oom', {'workers': 3, 'vm_bytes': '150%', 'duration': 90, 'populate': populate},
                                    str(tmp_path))
    stage.prepare()
    argv = stage.command()
    assert argv[:7] == ['stress-ng', '--vm', '3', '--vm-bytes', '150%', '--oomable', '--vm-keep']
    assert ('--vm-populate' in argv) is populate
    assert argv[argv.index('--timeout') + 1] == '90s'
    assert argv[argv.index('--yaml') + 1] == os.path.join(str(tmp_path), 'oom.stress-ng.yaml')


def test_fsfreeze_holds_from_the_freeze_not_from_the_stage_start(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(overload, 'run', lambda argv, check=True, timeout=60: calls.append(argv) or (0, '', ''))
    stage = overload.FsfreezeStall('freeze', {'hold': 30}, str(tmp_path))
    stage.mountpoint, stage.hold, stage.frozen = str(tmp_path), 30, True
    stage.frozen_since = overload.time.time() - 10  # preparing took long: the stage is old, the freeze is not
    stage.during(elapsed=100)
    assert stage.frozen and calls == []
    stage.frozen_since -= 25
    stage.during(elapsed=101)
    assert not stage.frozen and calls == [['fsfreeze', '--unfreeze', str(tmp_path)]]
    assert stage.result['thawed_at'] > 0


@pytest.mark.parametrize('version, policy', [('systemd 252 (252.39-1~deb12u1)\n+PAM +AUDIT', True),
                                             ('systemd 219\n+PAM +AUDIT', False), ('', False)])
def test_the_unit_goes_on_after_an_oom_kill_where_systemd_can_say_so(version, policy, monkeypatch):
    monkeypatch.setattr(overload, 'which', lambda name, path=None: '/usr/bin/' + name)
    calls = []

    def runner(argv, check=True, timeout=60):
        calls.append(argv)
        return (0, version, '') if argv[:2] == ['systemctl', '--version'] else (0, '', '')
    unit = overload.Systemd('kdebug-overload-x', runner=runner)
    unit.start(['dd', 'if=/dev/zero'], '/tmp/out')
    argv = calls[-1]
    assert argv[:3] == ['systemd-run', '--unit', 'kdebug-overload-x']
    assert ('OOMPolicy=continue' in argv) is policy  # systemd 219 (RHEL 7) refuses the unknown property
    assert 'OOMScoreAdjust=%d' % overload.WORKLOAD_OOM_SCORE_ADJ in argv
    assert argv[argv.index('--') + 1:][-2:] == ['dd', 'if=/dev/zero']


def test_fsfreeze_refuses_system_mounts(tmp_path):
    stage = overload.FsfreezeStall('freeze', {'mountpoint': '/'}, str(tmp_path))
    stage.tools = lambda: None
    with pytest.raises(overload.StageError, match='not a scratch mount point'):
        stage.prepare()


def test_trinity_needs_its_opt_in(tmp_path):
    with pytest.raises(overload.StageError, match='only with allow_fuzzing'):
        overload.Trinity('fuzz', {}, str(tmp_path)).prepare()


class FakeSystemd(object):
    """Says the unit runs for `runs` state checks, then ended with `status`."""

    def __init__(self, runs, status='0'):
        self.runs = runs
        self.status = status
        self.calls = []
        self.stopped = False

    def start(self, argv, out_path):
        self.calls.append(('start', argv))
        with open(out_path, 'a') as fobj:
            fobj.write('workload said hello\n')

    def state(self):
        self.calls.append(('state',))
        if self.stopped or self.runs <= 0:
            return {'ActiveState': 'active', 'SubState': 'exited', 'ExecMainStatus': self.status, 'ExecMainCode': '1'}
        self.runs -= 1
        return {'ActiveState': 'active', 'SubState': 'running', 'ExecMainStatus': '0'}

    def ended(self, props):
        return overload.Systemd.ended(props)

    def stop(self):
        self.calls.append(('stop',))
        self.stopped = True

    def active(self):
        return False


class FakeClock(object):
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Recorder(overload.Command):
    """A command stage that records the hooks the runner called."""

    def __init__(self, *args, **kwargs):
        super(Recorder, self).__init__(*args, **kwargs)
        self.hooks = []

    def prepare(self):
        self.hooks.append('prepare')

    def during(self, elapsed):
        self.hooks.append('during')

    def finish(self):
        self.hooks.append('finish')

    def cleanup(self):
        self.hooks.append('cleanup')
        self.cleanup_actions.append('removed nothing')


def runner(tmp_path, stage, systemd, timeout=60, marks=None):
    clock = FakeClock()
    sampler = overload.Sampler(path=str(tmp_path / 's.jsonl'))
    return overload.StageRunner(stage, timeout, sample_interval=5, run_id='r1', systemd=systemd, sampler=sampler,
                                kmsg=(marks.append if marks is not None else None), clock=clock, sleep=clock.sleep,
                                protect=list)


def test_runner_passes_a_workload_that_ends(tmp_path):
    marks = []
    stage = Recorder('cmd', {'cmd': 'true'}, str(tmp_path))
    systemd = FakeSystemd(runs=3)
    result = runner(tmp_path, stage, systemd, marks=marks).run()
    assert result['status'] == 'passed' and result['message'] is None
    assert result['unit'] == 'kdebug-overload-r1-cmd'
    assert systemd.calls[0] == ('start', ['sh', '-c', 'true'])
    assert stage.hooks == ['prepare', 'during', 'during', 'during', 'finish', 'cleanup']
    assert marks == ['kdebug: stage cmd start', 'kdebug: stage cmd end']
    # before, one per interval while it ran, after
    assert [s.get('note') for s in result['samples']] == ['before', None, None, None, 'after']
    assert result['details']['exit_status'] == 0
    assert result['output_tail'] == 'workload said hello\n'
    assert result['cleanup'] == ['removed nothing'] and result['leftovers'] == []
    assert result['duration'] == 15.0


def test_runner_stops_a_workload_at_the_timeout(tmp_path):
    stage = Recorder('long', {'cmd': 'sleep 1000'}, str(tmp_path))
    systemd = FakeSystemd(runs=1000, status='143')
    result = runner(tmp_path, stage, systemd, timeout=12).run()
    assert result['status'] == 'timeout'
    assert 'past the stage timeout of 12s' in result['message']
    assert ('stop',) in systemd.calls
    assert result['duration'] == 12.0
    assert stage.hooks[-2:] == ['finish', 'cleanup']


def test_runner_reports_a_stage_that_cannot_run_and_still_cleans(tmp_path):
    stage = overload.DdWrite('dd', {'path': str(tmp_path / 'missing')}, str(tmp_path))
    systemd = FakeSystemd(runs=0)
    result = runner(tmp_path, stage, systemd).run()
    assert result['status'] == 'error'
    assert 'is not a directory' in result['message']
    assert not any(call[0] == 'start' for call in systemd.calls)
    assert ('stop',) in systemd.calls


def test_clean_only_reclaims_files_of_the_stage(tmp_path):
    workdir = tmp_path / 'work'
    workdir.mkdir()
    for name in ('dd.out', 'dd.samples.jsonl', 'other.out'):
        (workdir / name).write_text('x')
    (tmp_path / 'kdebug-dd-dd').write_text('written')
    stage = overload.DdWrite('dd', {'path': str(tmp_path)}, str(workdir))
    result = runner(tmp_path, stage, FakeSystemd(runs=0)).clean_only()
    assert result['status'] == 'cleaned'
    assert sorted(os.listdir(str(workdir))) == ['other.out']
    assert not (tmp_path / 'kdebug-dd-dd').exists()
    assert 'removed %s' % (tmp_path / 'kdebug-dd-dd') in result['cleanup']


def test_every_type_documents_its_params():
    for name, cls in overload.STAGE_TYPES.items():
        assert cls.NAME == name
        for param, (dummy, description) in cls.PARAMS.items():
            assert description, (name, param)
