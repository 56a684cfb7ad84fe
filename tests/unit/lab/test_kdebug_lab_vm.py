"""The lab VM supervisor (roles/lab/files/kdebug_lab_vm.py) against a stand-in qemu.

The stand-in speaks the part of QMP the supervisor uses, in the way qemu does: with
``-qmp unix:PATH,server=on,wait=on`` it listens and waits for one client before it "runs the
guest", sends the greeting, takes ``qmp_capabilities``, then ends a boot the way the plan file
says: a SHUTDOWN event with the given reason (as qemu does with -no-reboot on a guest reset,
a monitor system_reset or a guest poweroff), or no event at all (a crash). ``wait`` waits for
SIGTERM and then reports ``host-signal`` as qemu does. The real qemu path is proven on the lab
VM by tests/lab/reboots.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SUPERVISOR = os.path.join(ROOT, 'roles', 'lab', 'files', 'kdebug_lab_vm.py')

FAKE_QEMU = textwrap.dedent('''\
    import json, os, signal, socket, sys, time
    args = sys.argv[1:]
    qmp = args[args.index('-qmp') + 1]
    path = qmp.split(',')[0][len('unix:'):]
    pidfile = args[args.index('-pidfile') + 1]
    vm_dir = os.path.dirname(pidfile)
    assert '-no-reboot' in args
    with open(pidfile, 'w') as f:
        f.write('%d\\n' % os.getpid())
    with open(os.path.join(vm_dir, 'plan.json')) as f:
        plan = json.load(f)
    boots = os.path.join(vm_dir, 'boots')
    n = len(open(boots).read().split()) if os.path.exists(boots) else 0
    with open(boots, 'a') as f:
        f.write('x\\n')
    step = plan[n] if n < len(plan) else 'guest-shutdown'
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    conn, _ = srv.accept()
    conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\\n')
    conn.recv(4096)
    def event(reason):
        conn.sendall((json.dumps({'event': 'SHUTDOWN', 'data': {'guest': False, 'reason': reason}}) + '\\n').encode())
    if step == 'wait':
        signal.signal(signal.SIGTERM, lambda *a: (event('host-signal'), os._exit(0)))
        while True:
            time.sleep(0.1)
    elif step == 'crash':
        os._exit(1)
    else:
        time.sleep(0.3)
        event(step)
        sys.exit(0)
''')


def supervisor(action, vm_dir):
    return subprocess.run([sys.executable, SUPERVISOR, action, str(vm_dir)],
                          capture_output=True, text=True, timeout=60, check=False)


def wait_until(predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def vm_dir(tmp_path):
    fake = tmp_path / 'fake_qemu.py'
    fake.write_text(FAKE_QEMU)
    (tmp_path / 'qemu.json').write_text(json.dumps([sys.executable, str(fake), '-name', 'fake']))
    yield tmp_path
    supervisor('stop', tmp_path)


def plan(vm_dir, steps):
    (vm_dir / 'plan.json').write_text(json.dumps(steps))


def log(vm_dir):
    return (vm_dir / 'supervisor.log').read_text()


def ended(vm_dir):
    return 'supervisor ended' in log(vm_dir)


def test_resets_start_a_new_qemu_and_poweroff_ends(vm_dir):
    plan(vm_dir, ['guest-reset', 'host-qmp-system-reset', 'guest-shutdown'])
    res = supervisor('start', vm_dir)
    assert res.returncode == 0, res.stderr
    assert 'started: supervisor pid' in res.stdout
    assert wait_until(lambda: ended(vm_dir))
    text = log(vm_dir)
    assert text.count(': qemu pid ') == 3
    assert text.count('starting qemu again with fresh firmware') == 2
    assert 'SHUTDOWN reason=guest-shutdown' in text
    assert 'the VM is off' in text
    assert (vm_dir / 'boots').read_text().split() == ['x', 'x', 'x']
    assert not (vm_dir / 'supervisor.pid').exists()
    assert supervisor('status', vm_dir).returncode == 3


def test_stop_ends_qemu_without_a_restart(vm_dir):
    plan(vm_dir, ['wait'])
    assert supervisor('start', vm_dir).returncode == 0
    assert supervisor('status', vm_dir).returncode == 0
    assert supervisor('start', vm_dir).stdout.startswith('already running')
    res = supervisor('stop', vm_dir)
    assert res.returncode == 0 and 'stopped' in res.stdout
    assert wait_until(lambda: ended(vm_dir))
    text = log(vm_dir)
    assert 'SHUTDOWN reason=host-signal' in text
    assert 'starting qemu again' not in text
    assert text.count(': qemu pid ') == 1


def test_a_crash_is_not_restarted(vm_dir):
    plan(vm_dir, ['guest-reset', 'crash', 'guest-reset'])
    assert supervisor('start', vm_dir).returncode == 0
    assert wait_until(lambda: ended(vm_dir))
    text = log(vm_dir)
    assert text.count(': qemu pid ') == 2
    assert 'qemu exited rc=1' in text
    assert 'reason=None' in text and 'the VM is off' in text


def test_a_reset_loop_is_given_up(vm_dir):
    plan(vm_dir, ['guest-reset'] * 20)
    assert supervisor('start', vm_dir).returncode == 0
    assert wait_until(lambda: ended(vm_dir), seconds=40)
    text = log(vm_dir)
    assert 'giving up' in text
    assert text.count(': qemu pid ') == 5


def test_qemu_that_cannot_start_fails_start_with_its_output(tmp_path):
    (tmp_path / 'qemu.json').write_text(json.dumps([sys.executable, '-c', 'import sys; sys.exit("qemu: no such option")']))
    res = supervisor('start', tmp_path)
    assert res.returncode == 1
    assert 'qemu did not start' in res.stderr
    assert 'no such option' in res.stderr


def test_start_needs_the_command_line(tmp_path):
    res = supervisor('start', tmp_path)
    assert res.returncode == 2
    assert 'qemu.json does not exist' in res.stderr


def _load_supervisor():
    import importlib.util
    spec = importlib.util.spec_from_file_location('kdebug_lab_vm', SUPERVISOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_start_counts_a_restart_it_did_not_see_running(tmp_path):
    # Under load `start` can miss both qemus alive (the first resets at once, the second has
    # already crashed): the supervisor's log of a second boot is then the proof that the
    # first qemu ran (CI saw test_a_crash_is_not_restarted fail that way); a first qemu that
    # ended without a reset is not, and what the log held before the start does not count.
    restarted = _load_supervisor()._restarted_qemu
    path = tmp_path / 'supervisor.log'
    earlier = 'T boot 1: qemu pid 10 started\nT boot 2: qemu pid 11 started\n'
    path.write_text(earlier + 'T boot 1: qemu pid 20 started\nT boot 1: qemu exited rc=1\n')
    assert restarted(str(path), len(earlier)) == 0
    assert restarted(str(path), 0) == 11
    path.write_text(earlier + 'T boot 1: qemu pid 20 started\nT boot 1: SHUTDOWN reason=guest-reset\n'
                    'T boot 1: starting qemu again with fresh firmware\nT boot 12: qemu pid 21 started\n')
    assert restarted(str(path), len(earlier)) == 21
    assert restarted(str(tmp_path / 'missing.log'), 0) == 0
