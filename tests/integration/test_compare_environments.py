# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/compare_environments.yml (role environment_report) against this machine, read-only.

Two inventory hosts are this machine (local connection), on Python 3.6 and 2.7; they differ in
known ways through the module options only: lab2 also checksums a file of the test's temporary
directory and leaves vm.swappiness out. The report must name exactly those differences. Then
the baselines are saved, the file is changed, and the drift check must name exactly that.
Writes nothing outside the test's temporary directory.
"""
from __future__ import annotations

import json
import os
from html.parser import HTMLParser
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'compare_environments.yml')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
PYENV = os.path.expanduser(os.environ.get('PYENV_VERSIONS', '~/.pyenv/versions'))
PY27 = os.environ.get('KDEBUG_PY27') or os.path.join(PYENV, '2.7.18', 'bin', 'python')
PY36 = os.environ.get('KDEBUG_PY36') or os.path.join(PYENV, '3.6.15', 'bin', 'python')


class _Tags(HTMLParser):
    VOID = {'meta', 'br', 'hr', 'img', 'input', 'link'}

    def __init__(self):
        super().__init__()
        self.stack = []
        self.errors = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append('</%s> closes %s' % (tag, self.stack[-1:] or 'nothing'))
        else:
            self.stack.pop()


def assert_balanced_html(html):
    parser = _Tags()
    parser.feed(html)
    assert parser.errors == [] and parser.stack == [], (parser.errors, parser.stack)


def play(tmp_path, *extra):
    out = tmp_path / 'out'
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'), ANSIBLE_REMOTE_TEMP=str(tmp_path / 'ansible-remote'))
    proc = subprocess.run([ANSIBLE_PLAYBOOK, '-i', str(tmp_path / 'inventory.ini'), PLAYBOOK,
                           '-e', 'environment_report_dir=%s' % out, *extra],
                          capture_output=True, text=True, env=env, timeout=600, check=False, cwd=str(tmp_path))
    return proc, out


def setup(tmp_path):
    conf = tmp_path / 'etc'
    conf.mkdir()
    (conf / 'app.conf').write_text('threads = 4\n')
    (tmp_path / 'inventory.ini').write_text(
        '[lab]\n'
        'lab1 ansible_connection=local ansible_become=false ansible_python_interpreter=%s\n'
        'lab2 ansible_connection=local ansible_become=false ansible_python_interpreter=%s '
        'environment_report_config_files=\'["%s/*.conf"]\' environment_report_sysctl_exclude=\'["vm.swappiness"]\'\n'
        % (PY36, PY27, conf))
    return conf


def test_reference_host_report_names_exactly_the_differences(tmp_path):
    conf = setup(tmp_path)
    proc, out = play(tmp_path, '-e', 'environment_report_reference_host=lab1',
                     '-e', '{"environment_report_fail_on": ["kernel", "packages"]}')
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    fp1 = json.loads((out / 'fingerprints' / 'lab1.json').read_text())
    fp2 = json.loads((out / 'fingerprints' / 'lab2.json').read_text())
    assert fp1['digests']['kernel'] == fp2['digests']['kernel']  # same machine, Python 3.6 and 2.7
    assert fp1['digest'] != fp2['digest']
    md = (out / 'report.md').read_text()
    rows = re.findall(r'^\| (lab\d) \| `(\w+)` \| lab1 \| `(\w+)` \| ([^|]+) \| ([^|]*) \|$', md, re.M)
    assert rows == [('lab1', fp1['digest'][7:19], fp1['digest'][7:19], 'same', ''),
                    ('lab2', fp2['digest'][7:19], fp1['digest'][7:19], '**different**', 'sysctl, config_files')], md
    assert '| added | `files / %s/app.conf` |' % conf in md
    assert '| removed | `values / vm.swappiness` |' in md
    assert md.count('| added |') == 1 and md.count('| removed |') == 1 and md.count('| changed |') == 0, md
    html = (out / 'report.html').read_text()
    assert '%s/app.conf' % conf in html and 'vm.swappiness' in html
    assert not re.search(r'<(script|link|img)\b|(src|href)="(https?:)?//', html), 'the HTML report must be self-contained'
    assert_balanced_html(html)

    proc, out = play(tmp_path, '-e', 'environment_report_reference_host=lab1',
                     '-e', '{"environment_report_fail_on": ["sysctl"]}')
    assert proc.returncode == 2, proc.stdout[-3000:]
    assert 'lab2 differs from lab1 in sysctl' in proc.stdout
    assert re.search(r'lab1 +: ok=\d+ .* failed=0', proc.stdout) and re.search(r'lab2 +: .* failed=1', proc.stdout)


def test_baseline_drift(tmp_path):
    conf = setup(tmp_path)
    proc, out = play(tmp_path)
    assert proc.returncode == 2 and 'no baseline for lab1' in proc.stdout, proc.stdout[-3000:]

    proc, out = play(tmp_path, '-e', 'environment_report_save_baseline=true')
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert sorted(os.listdir(out / 'baselines')) == ['lab1.json', 'lab2.json']
    assert not (out / 'report.md').exists()  # saving only: nothing to compare

    (conf / 'app.conf').write_text('threads = 16\n')
    proc, out = play(tmp_path, '-e', '{"environment_report_fail_on": ["any"]}')
    assert proc.returncode == 2, proc.stdout[-3000:]
    assert 'lab2 differs from %s/baselines/lab2.json in config_files' % out in proc.stdout
    md = (out / 'report.md').read_text()
    assert re.search(r'^\| lab1 \| `\w+` \| [^|]+/lab1.json \| `\w+` \| same \|', md, re.M), md
    changed = re.findall(r'^\| changed \| `([^`]+)` \|', md, re.M)
    assert changed == ['files / %s/app.conf / sha256' % conf, 'files / %s/app.conf / size' % conf], md
    assert '| added |' not in md and '| removed |' not in md
    assert_balanced_html((out / 'report.html').read_text())


def test_reference_host_without_fingerprint(tmp_path):
    setup(tmp_path)
    with open(tmp_path / 'inventory.ini', 'a') as fobj:
        fobj.write('broken ansible_connection=local ansible_become=false ansible_python_interpreter=/nonexistent/python\n')
    proc, out = play(tmp_path, '-e', 'environment_report_reference_host=broken')
    assert proc.returncode == 2, proc.stdout[-3000:]
    assert proc.stdout.count('the reference host broken has no fingerprint') == 2, proc.stdout[-3000:]
    assert not (out / 'report.md').exists()
