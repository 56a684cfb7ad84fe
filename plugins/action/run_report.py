# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin kdebug.kernel.run_report: the reports of a stress run (JSON, JUnit XML, HTML)
from its saved results directory, on the controller (Python 3.10+). Documented in
plugins/modules/run_report.py; the rendering lives in plugins/plugin_utils/report_*.py."""

from __future__ import annotations

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.kdebug.kernel.plugins.plugin_utils.report_html import DEFAULT_MAX_EXCERPTS, render_html
from ansible_collections.kdebug.kernel.plugins.plugin_utils.report_junit import DEFAULT_MAX_BYTES, DEFAULT_MAX_LOG_BYTES, render_junit
from ansible_collections.kdebug.kernel.plugins.plugin_utils.report_model import ReportError, build_report, summary, text_lines

# format -> (file name after the run id, what writes it)
FORMATS = {
    'json': ('-report.json', lambda report, args, out, others: (json.dumps(report, indent=2, sort_keys=True) + '\n').encode('utf-8')),
    'junit': ('-junit.xml', lambda report, args, out, others: render_junit(report, args['junit_max_bytes'], args['max_log_bytes'])),
    'html': ('-report.html', lambda report, args, out, others: render_html(report, out, args['html_max_excerpts'], others).encode('utf-8')),
}

ARGUMENT_SPEC = {
    'run_dir': {'type': 'path', 'required': True},
    'output_dir': {'type': 'path'},
    'compare_to': {'type': 'path'},
    'formats': {'type': 'list', 'elements': 'str', 'choices': list(FORMATS), 'default': list(FORMATS)},
    'junit_max_bytes': {'type': 'int', 'default': DEFAULT_MAX_BYTES},
    'max_log_bytes': {'type': 'int', 'default': DEFAULT_MAX_LOG_BYTES},
    'html_max_excerpts': {'type': 'int', 'default': DEFAULT_MAX_EXCERPTS},
}


def _write(path, data, check_mode=False):
    """Write data to path unless it holds that already (or in check mode); True when it changes."""
    try:
        with open(path, 'rb') as handle:
            if handle.read() == data:
                return False
    except OSError:
        pass
    if check_mode:
        return True
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if args['junit_max_bytes'] < 65536:
            raise AnsibleActionFail('junit_max_bytes must be at least 65536, not %d' % args['junit_max_bytes'])
        if not args['run_dir']:
            raise AnsibleActionFail('run_report: run_dir is empty; give the run directory, <overload_report_dir>/<run id>')
        run_dir = os.path.abspath(args['run_dir'])
        output_dir = os.path.abspath(args['output_dir'] or os.path.join(run_dir, 'report'))
        try:
            report = build_report(run_dir, args['compare_to'] or None, exclude=output_dir)
        except ReportError as exc:
            raise AnsibleActionFail('run_report: %s' % to_text(exc))
        formats = [f for f in FORMATS if f in args['formats']]
        paths = {f: os.path.join(output_dir, report['run_id'] + FORMATS[f][0]) for f in formats}
        changed = False
        others = [paths[f] for f in formats if f != 'html']
        try:
            if not self._task.check_mode:
                os.makedirs(output_dir, exist_ok=True)
            for f in formats:
                changed |= _write(paths[f], FORMATS[f][1](report, args, output_dir, others), self._task.check_mode)
        except OSError as exc:
            raise AnsibleActionFail('run_report: cannot write the reports to %s: %s' % (output_dir, to_text(exc)))
        result.update({'changed': changed, 'report': summary(report, paths), 'lines': text_lines(report),
                       'output_dir': output_dir, 'notes': [n for h in report['hosts'] for n in h['notes']] + report.get('notes', [])})
        return result
