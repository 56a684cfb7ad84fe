# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml: ``ansible-builder create`` writes a build context from it, and what
it names agrees with what the collection uses and with the versions the tests run with.

No image is built here (no container runtime): the context (Containerfile, requirements files,
the collection's tarball) is what ``ansible-builder build`` would build from, and builder's own
introspection script is run on the collection as the image build runs it.
"""
from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EE_FILE = os.path.join(ROOT, 'execution-environment.yml')
BIN = os.path.dirname(sys.executable)


def _load(path):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def _dev_pins():
    """name -> version of requirements-dev.txt (what .venv, the 2.19 leg, installs)."""
    pins = {}
    with open(os.path.join(ROOT, 'requirements-dev.txt'), encoding='utf-8') as f:
        for line in f:
            m = re.match(r'^([A-Za-z0-9_.-]+)==(\S+)', line)
            if m:
                pins[m.group(1).lower()] = m.group(2)
    return pins


def _run(*cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, '%s: rc=%s\n%s%s' % (' '.join(cmd), proc.returncode, proc.stdout, proc.stderr)
    return proc


def _pip_lines(path):
    with open(path, encoding='utf-8') as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith('#')]


EE = _load(EE_FILE)
DEPS = EE['dependencies']
GALAXY = _load(os.path.join(ROOT, DEPS['galaxy']))
GALAXY_VERSION = _load(os.path.join(ROOT, 'galaxy.yml'))['version']
TARBALL = 'kdebug-kernel-%s.tar.gz' % GALAXY_VERSION


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    """The collection built as `make build` builds it, into a temporary directory."""
    out = tmp_path_factory.mktemp('dist')
    _run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(out), ROOT)
    path = out / TARBALL
    assert path.is_file(), sorted(os.listdir(out))
    return path


@pytest.fixture(scope='module')
def context(tarball, tmp_path_factory):
    """`ansible-builder create` on a copy of execution-environment.yml and the files it names.

    The copy keeps every relative path; the tarball goes where additional_build_files takes it
    from (build/dist/ of the checkout after `make build`)."""
    base = tmp_path_factory.mktemp('ee')
    ee_dir = base / 'ee'
    named = [DEPS['galaxy'], DEPS['python'], DEPS['system']]
    for rel in named:
        src = os.path.join(ROOT, rel)
        assert os.path.isfile(src), 'execution-environment.yml names %s, which does not exist' % rel
        (ee_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, ee_dir / rel)
    shutil.copy(EE_FILE, ee_dir / 'execution-environment.yml')
    for entry in EE['additional_build_files']:
        assert entry['src'] == 'build/dist/' + TARBALL, entry
        (ee_dir / 'build' / 'dist').mkdir(parents=True, exist_ok=True)
        shutil.copy(tarball, ee_dir / entry['src'])
    ctx = base / 'context'
    proc = subprocess.run(
        [os.path.join(BIN, 'ansible-builder'), 'create', '-f', str(ee_dir / 'execution-environment.yml'),
         '-c', str(ctx), '--output-filename', 'Containerfile', '-v', '2'],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Complete! The build context can be found at' in proc.stdout, proc.stdout
    return ctx


def test_definition_is_version_3_with_every_dependency_kind():
    assert EE['version'] == 3
    assert set(DEPS) >= {'ansible_core', 'ansible_runner', 'galaxy', 'python', 'system', 'python_interpreter'}


def test_containerfile_installs_the_pinned_ansible_and_runner(context):
    pins = _dev_pins()
    assert DEPS['ansible_core'] == {'package_pip': 'ansible-core==%s' % pins['ansible-core']}
    assert DEPS['ansible_runner'] == {'package_pip': 'ansible-runner==%s' % pins['ansible-runner']}
    text = (context / 'Containerfile').read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % EE['images']['base_image']['name'] in text
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==%s ansible-runner==%s"' % (
        pins['ansible-core'], pins['ansible-runner']) in text
    assert 'ARG PYCMD="%s"' % DEPS['python_interpreter']['python_path'] in text
    assert 'ARG PYPKG="%s"' % DEPS['python_interpreter']['package_system'] in text
    # The galaxy stage installs the requirements; the builder stage introspects and assembles
    # the Python and system requirements; the final stage checks ansible and installs bindep's.
    for step in ('ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml',
                 'COPY _build/requirements.txt requirements.txt',
                 'COPY _build/bindep.txt bindep.txt',
                 'introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt',
                 'RUN /output/scripts/check_ansible $PYCMD',
                 'RUN /output/scripts/install-from-bindep'):
        assert step in text, step


def test_context_holds_the_requirements_and_the_collection(context, tarball):
    build = context / '_build'
    assert _load(build / 'requirements.yml') == GALAXY
    assert _pip_lines(build / 'requirements.txt') == _pip_lines(os.path.join(ROOT, DEPS['python']))
    assert (build / 'bindep.txt').read_text() == open(os.path.join(ROOT, DEPS['system']), encoding='utf-8').read()
    copied = build / 'collections' / TARBALL
    assert copied.read_bytes() == tarball.read_bytes()
    # The galaxy requirement points at the tarball where the build has it (/build = _build).
    files = [c['name'] for c in GALAXY['collections'] if c.get('type') == 'file']
    assert files == ['/build/collections/' + TARBALL]
    with tarfile.open(copied) as tar:
        manifest = json.load(tar.extractfile('MANIFEST.json'))
        names = tar.getnames()
    assert manifest['collection_info']['namespace'] == 'kdebug'
    assert manifest['collection_info']['version'] == GALAXY_VERSION
    for rel in ('meta/execution-environment.yml', DEPS['python'], DEPS['system'], 'playbooks/stress.yml'):
        assert rel in names, rel


def test_python_requirements_are_the_dev_pins_and_cover_the_controller_plugins_imports():
    pins = _dev_pins()
    reqs = {}
    for line in _pip_lines(os.path.join(ROOT, DEPS['python'])):
        name, dummy, version = line.partition('==')
        assert version, 'pin every EE requirement: %s' % line
        assert pins.get(name.lower()) == version, '%s: requirements-dev.txt pins %s' % (line, pins.get(name.lower()))
        reqs[name.lower()] = version
    # What ansible-core itself brings into the EE.
    core = {re.split(r'[ ;<>=!~\[]', r)[0].lower() for r in importlib.metadata.requires('ansible-core') or []}
    dists = importlib.metadata.packages_distributions()
    needed = {}
    for sub in ('action', 'filter', 'lookup', 'callback', 'test', 'inventory', 'plugin_utils', 'vars', 'connection'):
        top = os.path.join(ROOT, 'plugins', sub)
        for dirpath, dummy, files in os.walk(top):
            for name in files:
                if not name.endswith('.py'):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8') as f:
                    tree = ast.parse(f.read(), path)
                for node in ast.walk(tree):
                    mods = []
                    if isinstance(node, ast.Import):
                        mods = [a.name for a in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        mods = [node.module]
                    for mod in mods:
                        top_name = mod.split('.')[0]
                        if top_name in sys.stdlib_module_names or top_name in ('ansible', 'ansible_collections', '__future__'):
                            continue
                        for dist in dists.get(top_name, [top_name]):
                            needed.setdefault(dist.lower(), set()).add(os.path.relpath(path, ROOT))
    missing = {d: sorted(p) for d, p in needed.items() if d not in reqs and d not in core}
    assert not missing, 'imported on the controller but not in %s: %s' % (DEPS['python'], missing)
    assert 'jmespath' in needed, 'the scan found no jmespath import (the overload filter imports it)'


def _installed_collections():
    """namespace.collection -> version, as ansible-core finds them: the collections path
    (build/collections: kdebug.kernel, and awx.awx from `make awx-collection`), then sys.path."""
    found = {}
    search = [p for p in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if p] + sys.path
    for entry in search:
        base = os.path.join(entry, 'ansible_collections')
        if not os.path.isdir(base):
            continue
        for ns in os.listdir(base):
            for coll in (os.listdir(os.path.join(base, ns)) if os.path.isdir(os.path.join(base, ns)) else []):
                manifest = os.path.join(base, ns, coll, 'MANIFEST.json')
                if os.path.isfile(manifest) and '%s.%s' % (ns, coll) not in found:
                    with open(manifest, encoding='utf-8') as f:
                        found['%s.%s' % (ns, coll)] = json.load(f)['collection_info']['version']
    return found


def _collections_used(installed):
    """namespace.collection of every FQCN (modules, filters, lookups, roles) in roles/ and playbooks/."""
    used = {}
    pattern = re.compile(r'(?<![\w.])([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*')
    for top in ('roles', 'playbooks'):
        for dirpath, dummy, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if not name.endswith(('.yml', '.yaml', '.j2')):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8') as f:
                    for coll in pattern.findall(f.read()):
                        if coll in installed and coll not in ('ansible.builtin', 'ansible.legacy', 'kdebug.kernel'):
                            used.setdefault(coll, set()).add(os.path.relpath(path, ROOT))
    return used


def test_galaxy_requirements_are_the_collections_the_roles_and_playbooks_use():
    installed = _installed_collections()
    assert 'awx.awx' in installed, 'awx.awx: `make awx-collection` copies it from the ansible package of .venv'
    used = _collections_used(installed)
    listed = {c['name'] for c in GALAXY['collections'] if c.get('type') != 'file'}
    assert set(used) == listed, 'used: %s; listed in %s: %s' % (
        {k: sorted(v) for k, v in used.items()}, DEPS['galaxy'], sorted(listed))
    assert 'awx.awx' in used and 'playbooks/awx_configure.yml' in used['awx.awx']


def test_galaxy_versions_are_those_of_the_pinned_ansible_package():
    pinned = _dev_pins()['ansible']
    running = importlib.metadata.version('ansible')
    if running != pinned:
        pytest.skip('this leg runs ansible %s (the Makefile pins it per ansible-core); the EE follows '
                    'requirements-dev.txt\'s ansible %s, checked in the default venv' % (running, pinned))
    installed = _installed_collections()
    for coll in GALAXY['collections']:
        if coll.get('type') == 'file':
            continue
        assert str(coll['version']) == installed[coll['name']], coll


def test_bindep_parses_and_names_ssh_and_socat_for_rpm_and_deb():
    from bindep.depends import Depends

    deps = Depends(open(os.path.join(ROOT, DEPS['system']), encoding='utf-8').read())
    rpm = {rule[0] for rule in deps.active_rules(['platform:rpm'])}
    deb = {rule[0] for rule in deps.active_rules(['platform:dpkg'])}
    assert rpm == {'openssh-clients', 'socat'}
    assert deb == {'openssh-client', 'socat'}
    # socat is there because the lab inventory's console and reset commands use it.
    with open(os.path.join(ROOT, 'roles', 'lab', 'templates', 'inventory.yml.j2'), encoding='utf-8') as f:
        assert '| socat - UNIX-CONNECT:' in f.read()


def test_builder_introspection_finds_the_collections_own_requirements(tarball, tmp_path):
    """The image build runs introspect.py on the installed collections: kdebug.kernel's
    meta/execution-environment.yml must give its Python and system requirements to any EE."""
    import ansible_builder

    coll_dir = tmp_path / 'collections'
    _run(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '--force', '-p', str(coll_dir), str(tarball))
    script = os.path.join(os.path.dirname(ansible_builder.__file__), '_target_scripts', 'introspect.py')
    proc = _run(sys.executable, script, 'introspect', str(coll_dir))
    data = yaml.safe_load(proc.stdout)
    python = [line for line in data['python'] if 'kdebug.kernel' in line]
    system = [line for line in data['system'] if 'kdebug.kernel' in line]
    assert python == ['jmespath==1.0.1  # from collection kdebug.kernel'], data
    assert sorted(system) == sorted([
        'openssh-clients [platform:rpm]  # from collection kdebug.kernel',
        'openssh-client [platform:dpkg]  # from collection kdebug.kernel',
        'socat [platform:rpm platform:dpkg]  # from collection kdebug.kernel',
    ]), data
