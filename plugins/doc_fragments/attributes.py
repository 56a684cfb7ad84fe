# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """The attributes the modules that read the kernel's reports (kernel_log, kmemleak,
    sysrq) share. A module adds its own C(check_mode) description (what check mode skips);
    ansible-doc merges it over the one here."""

    # extends_documentation_fragment: [kdebug.kernel.attributes]
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Supported; nothing is written to the kernel, and the module reports what it
      would do.
    support: full
  diff_mode:
    description: Nothing to show (the module returns facts, it changes no file).
    support: none
  platform:
    description: Linux targets only (the kernel's log, debugfs and SysRq files).
    support: full
    platforms: posix
'''
