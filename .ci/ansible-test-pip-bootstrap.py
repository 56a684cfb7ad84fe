# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provide ansible-test's pip bootstrap script without its download host.

ansible-test creates a virtual environment per sanity test and bootstraps pip into it with
"get-pip-<version>.py", downloaded from ci-files.testing.ansible.com and cached as
~/.ansible/test/cache/get_pip_<version>.py. That host is not reachable from here (only package
registries are), so this script puts the same pip release, taken from PyPI with pip itself,
into that cache together with a small get-pip stand-in that runs pip from the wheel (pip
supports running from its wheel file). Nothing else about ansible-test changes.

Run it with the Python of the venv that holds the ansible-test to be used.
"""
from __future__ import annotations

import os
import subprocess
import sys

SHIM = '''\
# Stand-in for get-pip.py, written by .ci/ansible-test-pip-bootstrap.py of kdebug.kernel.
# ansible-test runs it as "python get_pip_X.py [pip install options] pip==X ..."; like get-pip.py
# it installs those requirements with a pip that runs from the wheel beside this file.
import os
import sys

WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), {wheel!r})


def main():
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    sys.path.insert(0, WHEEL)
    from pip._internal.cli.main import main as pip_main
    sys.exit(pip_main(['install', '--upgrade', '--force-reinstall'] + args))


if __name__ == '__main__':
    main()
'''


def wanted_pip_version():
    from ansible_test._internal import python_requirements as pr

    class _Python:  # get_venv_packages() only reads .version
        version = '%d.%d' % sys.version_info[:2]

    return pr.get_venv_packages(_Python())['pip']


def main():
    version = wanted_pip_version()
    cache = os.path.expanduser('~/.ansible/test/cache')
    target = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
    if os.path.exists(target):
        print('ansible-test pip bootstrap: %s present' % target)
        return 0
    os.makedirs(cache, exist_ok=True)
    wheel = 'pip-%s-py3-none-any.whl' % version
    if not os.path.exists(os.path.join(cache, wheel)):
        print('ansible-test pip bootstrap: fetching pip %s from PyPI' % version, flush=True)
        subprocess.check_call([sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
                               '--only-binary=:all:', '--dest', cache, 'pip==%s' % version])
    if not os.path.exists(os.path.join(cache, wheel)):
        sys.exit('ansible-test pip bootstrap: %s not found after download' % wheel)
    tmp = target + '.tmp'
    with open(tmp, 'w') as handle:
        handle.write(SHIM.format(wheel=wheel))
    os.rename(tmp, target)
    print('ansible-test pip bootstrap: wrote %s' % target)
    return 0


if __name__ == '__main__':
    sys.exit(main())
