# -*- coding: utf-8 -*-
# Copyright: kdebug.kernel team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML page of a run report (report_model.build_report): one self-contained file (inline
CSS, JS and SVG, nothing fetched), readable from a file:// URL or as a CI/AWX artifact.

Sections: a summary per host (status, worst finding, counts per type); per host a timeline
(stages as bars, findings as markers at the time they were printed, MemAvailable and memory
PSI as lines) and its stages; the comparison with an earlier run; findings grouped by title
(counts, first/last seen, expandable excerpts); kmemleak call sites; SysRq dumps.
Colours and labels are tables (STATUS_STYLE, TYPE_COLOURS), not code.
"""

from __future__ import annotations

import datetime
import html
import os

from ansible_collections.kdebug.kernel.plugins.plugin_utils.report_model import FINDING_SEVERITY, clean_text, cut_middle

# status -> (colour of the bar and badge, text colour, what it means)
STATUS_STYLE = {
    'passed': ('#2e7d32', '#fff', 'the stage ran and its expect rules held'),
    'failed': ('#c62828', '#fff', 'an expect rule broke (a finding the stage does not allow)'),
    'timeout': ('#ef6c00', '#fff', 'the workload overran the stage timeout'),
    'unresponsive': ('#6a1b9a', '#fff', 'the host stopped answering (ssh and console)'),
    'panic': ('#212121', '#fff', 'the kernel panicked'),
    'error': ('#546e7a', '#fff', 'the stage could not run (infrastructure)'),
    'skipped': ('#bdbdbd', '#212121', 'skipped by the plan, or not run'),
}
TYPE_COLOURS = {
    'panic': '#212121', 'bug': '#b71c1c', 'kasan': '#c2185b', 'kfence': '#880e4f', 'ubsan': '#6d4c41',
    'lockdep': '#d32f2f', 'atomic_sleep': '#ad1457', 'hard_lockup': '#bf360c', 'soft_lockup': '#e64a19',
    'rcu_stall': '#5d4037', 'hung_task': '#f57c00', 'memory_leak': '#0288d1', 'oom_kill': '#7b1fa2', 'warning': '#f9a825',
}
MEM_COLOUR = '#1565c0'
PSI_COLOUR = '#c62828'
DEFAULT_MAX_EXCERPTS = 3
MAX_EXCERPT_BYTES = 8192

# timeline geometry (SVG user units; the SVG scales to the page width)
WIDTH, LEFT, RIGHT = 1100, 8, 8
MARK_Y, BAR_Y, BAR_H = 16, 26, 26
LINES_Y, LINES_H = 72, 72
AXIS_Y = LINES_Y + LINES_H + 6
HEIGHT = AXIS_Y + 22

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 1280px; padding: 0 16px 48px; }
h1 { font-size: 22px; margin: 18px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 4px; }
.meta { color: var(--muted); margin: 0 0 6px; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.type { display: inline-block; padding: 0 5px; border-radius: 3px; font-size: 12px; color: #fff; white-space: nowrap; }
.new { color: #b71c1c; font-weight: 600; } .gone { color: #2e7d32; font-weight: 600; } .still { color: var(--muted); }
pre { background: var(--bg2); border: 1px solid var(--line); padding: 6px 8px; overflow-x: auto; font-size: 12px;
      max-height: 420px; margin: 4px 0; white-space: pre; }
details > summary { cursor: pointer; color: #0969da; }
figure.timeline { margin: 8px 0 18px; border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; }
figure.timeline svg { width: 100%; height: auto; display: block; }
figure.timeline figcaption { font-weight: 600; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; }
.legend span { margin-right: 12px; font-size: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.filters { margin: 6px 0; } .filters input { width: 320px; padding: 3px 6px; }
tbody.finding-group tr:first-child td { border-top: 1px solid var(--line); }
.muted { color: var(--muted); }
td.host { white-space: nowrap; } td.counts .count { white-space: nowrap; margin-right: 6px; line-height: 1.9; }
td.when, .nowrap { white-space: nowrap; }
"""

SCRIPT = """
(function () {
  var text = document.getElementById('finding-filter');
  var type = document.getElementById('finding-type');
  var shown = document.getElementById('finding-shown');
  if (!text || !type || !shown) { return; }
  function apply() {
    var q = text.value.toLowerCase(), t = type.value, n = 0;
    var groups = document.querySelectorAll('tbody.finding-group');
    for (var i = 0; i < groups.length; i++) {
      var g = groups[i];
      var ok = (!q || g.getAttribute('data-search').indexOf(q) >= 0) && (!t || g.getAttribute('data-type') === t);
      g.hidden = !ok;
      if (ok) { n++; }
    }
    shown.textContent = String(n);
  }
  text.addEventListener('input', apply);
  type.addEventListener('change', apply);
  apply();
})();
"""


def _e(value):
    return html.escape('' if value is None else str(value), quote=True)


def _utc(epoch, fmt='%Y-%m-%d %H:%M:%S'):
    if not isinstance(epoch, (int, float)):
        return ''
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(fmt)


def _seen(time_value, boot_value):
    if isinstance(time_value, (int, float)):
        return _utc(time_value)
    if isinstance(boot_value, (int, float)):
        return '%.1f s after boot' % boot_value
    return ''


def _duration(seconds):
    if not isinstance(seconds, (int, float)):
        return ''
    seconds = int(round(seconds))
    if seconds >= 3600:
        return '%dh%02dm' % (seconds // 3600, seconds % 3600 // 60)
    if seconds >= 60:
        return '%dm%02ds' % (seconds // 60, seconds % 60)
    return '%ds' % seconds


def _badge(status):
    bg, fg, meaning = STATUS_STYLE.get(status, ('#999', '#fff', ''))
    return '<span class="badge status-%s" style="background:%s;color:%s" title="%s">%s</span>' % (_e(status), bg, fg, _e(meaning), _e(status))


def _type(ftype):
    return '<span class="type" style="background:%s">%s</span>' % (TYPE_COLOURS.get(ftype, '#777'), _e(ftype))


def _ids(report):
    """A stable anchor per finding title."""
    titles = sorted({f['title'] for h in report['hosts'] for s in h['stages'] for f in s['findings']})
    return {t: 'f%d' % i for i, t in enumerate(titles)}


# ---------------------------------------------------------------------------------------------
# timeline
def _ticks(start, end, count=6):
    span = max(end - start, 1)
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
    step = next((s for s in steps if span / s <= count), steps[-1])
    first = (int(start) // step + 1) * step
    return list(range(first, int(end) + 1, step))


def _timeline(report, host, ids):
    windows = [s['window'] for s in host['stages'] if s['window']]
    if not windows:
        return '<p class="muted">No stage of %s has a time (none ran).</p>' % _e(host['name'])
    t0 = min(w['start'] for w in windows)
    t1 = max(w['end'] for w in windows)
    span = max(t1 - t0, 1.0)

    def x(t):
        return LEFT + (t - t0) / span * (WIDTH - LEFT - RIGHT)

    parts = ['<svg class="timeline-svg" viewBox="0 0 %d %d" role="img" aria-label="timeline of %s" xmlns="http://www.w3.org/2000/svg">'
             % (WIDTH, HEIGHT, _e(host['name'])),
             '<defs><pattern id="hatch-%s" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
             '<rect width="6" height="6" fill="#fff" fill-opacity="0.0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"'
             ' stroke-opacity="0.55"/></pattern></defs>' % _e(host['name'])]
    # stages
    for s in host['stages']:
        w = s['window']
        if not w:
            continue
        bg, fg, dummy = STATUS_STYLE.get(s['status'], ('#999', '#fff', ''))
        x0, x1 = x(w['start']), x(w['end'])
        width = max(x1 - x0, 2.0)
        tip = '%s: %s, %s to %s UTC (%s)%s%s' % (
            s['name'], s['status'], _utc(w['start'], '%H:%M:%S'), _utc(w['end'], '%H:%M:%S'), _duration(w['end'] - w['start']),
            ', time estimated' if w['estimated'] else '', (' - ' + '; '.join(s['reasons'])) if s['reasons'] else '')
        parts.append('<g><title>%s</title><rect class="stage-bar" data-stage="%s" data-status="%s" x="%.1f" y="%d" width="%.1f" height="%d" '
                     'rx="2" fill="%s" stroke="#fff" stroke-width="1"%s/>'
                     % (_e(tip), _e(s['name']), _e(s['status']), x0, BAR_Y, width, BAR_H, bg, ' stroke-dasharray="4 2"' if w['estimated'] else ''))
        if w['estimated']:
            parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="url(#hatch-%s)"/>' % (x0, BAR_Y, width, BAR_H, _e(host['name'])))
        chars = int(width / 6.5)
        if chars >= 3:
            label = s['name'] if len(s['name']) <= chars else s['name'][:max(chars - 1, 1)] + '\u2026'
            parts.append('<text x="%.1f" y="%d" fill="%s" pointer-events="none">%s</text>' % (x0 + 4, BAR_Y + 17, fg, _e(label)))
        elif width >= 7 * len(str(s['index'])):  # too narrow for its name: its number (the # of the stage table)
            parts.append('<text class="stage-number" x="%.1f" y="%d" fill="%s" text-anchor="middle" pointer-events="none">%d</text>'
                         % (x0 + width / 2, BAR_Y + 17, fg, s['index']))
        parts.append('</g>')
    # memory lines, one polyline per stage (no samples between stages)
    mem = [(smp['time'], smp['mem_available_kb']) for s in host['stages'] for smp in s['samples']
           if isinstance(smp.get('mem_available_kb'), (int, float))]
    psi_max = max([smp.get(k) or 0 for s in host['stages'] for smp in s['samples']
                   for k in ('psi_memory_some_avg10', 'psi_memory_full_avg10')] + [10.0])
    mem_max = max([v for dummy, v in mem] + [1])
    parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#f6f8fa"/>' % (LEFT, LINES_Y, WIDTH - LEFT - RIGHT, LINES_H))
    for s in host['stages']:
        pts_mem, pts_some, pts_full = [], [], []
        for smp in s['samples']:
            t = smp.get('time')
            if not isinstance(t, (int, float)):
                continue
            if isinstance(smp.get('mem_available_kb'), (int, float)):
                pts_mem.append('%.1f,%.1f' % (x(t), LINES_Y + LINES_H - smp['mem_available_kb'] / mem_max * (LINES_H - 4)))
            if isinstance(smp.get('psi_memory_some_avg10'), (int, float)):
                pts_some.append('%.1f,%.1f' % (x(t), LINES_Y + LINES_H - smp['psi_memory_some_avg10'] / psi_max * (LINES_H - 4)))
            if isinstance(smp.get('psi_memory_full_avg10'), (int, float)):
                pts_full.append('%.1f,%.1f' % (x(t), LINES_Y + LINES_H - smp['psi_memory_full_avg10'] / psi_max * (LINES_H - 4)))
        for cls, pts, colour, dash in (('mem-line', pts_mem, MEM_COLOUR, ''), ('psi-line', pts_some, PSI_COLOUR, ''),
                                       ('psi-full-line', pts_full, PSI_COLOUR, ' stroke-dasharray="3 2"')):
            if len(pts) >= 2:
                parts.append('<polyline class="%s" data-stage="%s" points="%s" fill="none" stroke="%s" stroke-width="1.5"%s/>'
                             % (cls, _e(s['name']), ' '.join(pts), colour, dash))
    parts.append('<text x="%d" y="%d" fill="%s">MemAvailable (top = %.0f MiB)</text>' % (LEFT, LINES_Y - 4, MEM_COLOUR, mem_max / 1024.0))
    parts.append('<text x="%d" y="%d" fill="%s" text-anchor="end">memory PSI some / full avg10 (top = %.1f%%)</text>'
                 % (WIDTH - RIGHT, LINES_Y - 4, PSI_COLOUR, psi_max))
    # findings, at the time they were printed (a line to the last time when they repeat)
    for s in host['stages']:
        for f in s['findings']:
            t = f.get('first_seen_time')
            known = isinstance(t, (int, float))
            if not known:
                t = (s['window'] or {}).get('start')
                if t is None:
                    continue
            colour = TYPE_COLOURS.get(f['type'], '#777')
            px = x(min(max(t, t0), t1))
            tip = '%s [%s] x%d, %s%s' % (
                f['title'], f['type'], f['count'], _seen(f.get('first_seen_time'), f.get('first_seen')),
                '' if known else ' (time not mapped to the clock: drawn at the stage start)')
            last = f.get('last_seen_time')
            span_line = ''
            if known and isinstance(last, (int, float)) and last > t:
                span_line = '<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>' % (
                    px, MARK_Y, x(min(last, t1)), MARK_Y, colour)
            parts.append('<a href="#%s"><g class="finding-marker" data-title="%s" data-type="%s"><title>%s</title>%s'
                         '<path d="M%.1f %d l-5 -9 h10 z" fill="%s" stroke="%s" fill-opacity="%s"/></g></a>'
                         % (ids.get(f['title'], ''), _e(f['title']), _e(f['type']), _e(tip), span_line, px, MARK_Y + 8,
                            colour if known else '#fff', colour, '1' if known else '0.9'))
    # axis
    parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#8c959f"/>' % (LEFT, AXIS_Y, WIDTH - RIGHT, AXIS_Y))
    for t in _ticks(t0, t1):
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#8c959f"/><text x="%.1f" y="%d" text-anchor="middle" fill="#59636e">%s</text>'
                     % (x(t), AXIS_Y, x(t), AXIS_Y + 4, x(t), AXIS_Y + 16, _utc(t, '%H:%M:%S')))
    parts.append('</svg>')
    return ''.join(parts)


def _legend(types):
    items = ['<span><i style="background:%s"></i>%s</span>' % (STATUS_STYLE[s][0], _e(s)) for s in STATUS_STYLE]
    items += ['<span><i style="background:%s;height:2px"></i>MemAvailable</span>' % MEM_COLOUR,
              '<span><i style="background:%s;height:2px"></i>memory PSI</span>' % PSI_COLOUR]
    items += ['<span><i style="background:%s;clip-path:polygon(0 0,100%% 0,50%% 100%%)"></i>%s</span>' % (TYPE_COLOURS.get(t, '#777'), _e(t))
              for t in types]
    return '<p class="legend">%s</p>' % ''.join(items)


def _stage_table(report, host, output_dir):
    rows = []
    for s in host['stages']:
        counts = ', '.join('%s %d' % kv for kv in sorted(s['counts'].items()))
        log = ''
        if s['console_log'] and output_dir:
            href = os.path.relpath(os.path.join(report['run_dir'], s['console_log']['file']), output_dir)
            log = '<a href="%s">console log</a> <span class="muted nowrap">(%d bytes)</span>' % (_e(href.replace(os.sep, '/')), s['console_log']['bytes'])
        w = s['window']
        start = (_utc(w['start']) + (' (estimated)' if w['estimated'] else '')) if w else ''
        rules = ['rule: ' + r for r in s.get('broken_rules') or [] if not any(r in reason for reason in s['reasons'])]
        why = '; '.join(s['reasons'] + rules + [n for n in s.get('notes') or [] if n])
        rows.append('<tr class="stage-row" data-stage="%s"><td class="num">%d</td><td>%s</td><td>%s</td><td>%s</td><td class="when">%s</td>'
                    '<td class="num">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>'
                    % (_e(s['name']), s['index'], _e(s['name']), _e(s['type']), _badge(s['status']), _e(start),
                       _e(_duration((w['end'] - w['start']) if w else s['duration'])), _e(counts), _e(why), log))
    return ('<table class="stages"><thead><tr><th class="num">#</th><th>Stage</th><th>Type</th><th>Status</th><th>Start (UTC)</th>'
            '<th class="num">Duration</th><th>Findings</th><th>Why</th><th>Log</th></tr></thead><tbody>%s</tbody></table>' % ''.join(rows))


# ---------------------------------------------------------------------------------------------
# sections
def _counts(counts, types):
    return ' '.join('<span class="count">%s&nbsp;%d</span>' % (_type(t), counts[t]) for t in types if counts.get(t)) or '<span class="muted">none</span>'


def _summary(report, types):
    rows = []
    for h in report['hosts']:
        passed = sum(1 for s in h['stages'] if s['status'] == 'passed')
        worst = h['worst_finding']
        env = (h['environment'] or {}).get('digest') or ''
        kml = h['kmemleak']
        leaks = ('%d records, %d new call sites' % (kml.get('records') or 0, len(kml.get('new') or []))) if kml else 'no final scan'
        rows.append('<tr class="host-row" data-host="%s"><td class="host"><a href="#host-%s">%s</a></td><td>%s%s</td><td>%s</td>'
                    '<td class="num">%d / %d</td><td>%s</td><td class="counts">%s</td><td>%s</td><td>%s</td><td title="%s">%s</td></tr>'
                    % (_e(h['name']), _e(h['name']), _e(h['name']), _badge(h['status']),
                       '' if h['complete'] else ' <span class="muted">(run not finished)</span>', _e(h['kernel_release']),
                       passed, len(h['stages']), (_e(worst['title']) if worst else '<span class="muted">none</span>'),
                       _counts(h['counts'], types),
                       _e('%s %s' % (h['taint']['final'] if h['taint']['final'] is not None else '', h['taint']['letters'])),
                       _e(leaks), _e(env), _e(env[:19] + '\u2026' if len(env) > 20 else env)))
    return ('<table class="hosts"><thead><tr><th>Host</th><th>Status</th><th>Kernel</th><th class="num">Passed</th><th>Worst finding</th>'
            '<th>Findings by type</th><th>Taint</th><th>kmemleak</th><th>Environment</th></tr></thead><tbody>%s</tbody></table>'
            % ''.join(rows))


def _comparison(report):
    c = report.get('comparison')
    if not c:
        return ''
    parts = ['<h2 id="comparison">Compared with run %s</h2>' % _e(report['compared_to']['run_id']),
             '<p class="meta">%s: <span class="new">%d new</span>, <span class="gone">%d gone</span>, <span class="still">%d still present</span> '
             '(findings by host and title, kmemleak call sites included)</p>'
             % (_e(report['compared_to']['run_dir']), len(c['new']), len(c['gone']), len(c['still']))]
    rows = []
    for state in ('new', 'gone', 'still'):
        by_title = {}
        for entry in c[state]:
            by_title.setdefault(entry['title'], []).append(entry)
        for title, entries in sorted(by_title.items()):
            hosts = sorted(e['host'] for e in entries)
            names = _e(', '.join(hosts[:4]))
            if len(hosts) > 4:
                names += ' <details><summary>and %d more</summary>%s</details>' % (len(hosts) - 4, _e(', '.join(hosts[4:])))
            rows.append('<tr class="compare-row" data-state="%s" data-title="%s"><td class="%s">%s</td><td>%s</td><td>%s</td>'
                        '<td class="num">%d</td><td>%s</td><td class="num">%d</td><td class="num">%d</td></tr>'
                        % (state, _e(title), state, state, _type(entries[0]['type']), _e(title), len(hosts),
                           names,
                           sum(e['count'] for e in entries), sum(e['previous_count'] for e in entries)))
    if rows:
        parts.append('<table class="comparison"><thead><tr><th>State</th><th>Type</th><th>Title</th><th class="num">Hosts</th><th>Which</th>'
                     '<th class="num">Now</th><th class="num">Before</th></tr></thead><tbody>%s</tbody></table>' % ''.join(rows))
    return ''.join(parts)


def _findings(report, ids, types, max_excerpts):
    groups = {}
    for h in report['hosts']:
        for s in h['stages']:
            for f in s['findings']:
                groups.setdefault(f['title'], []).append((h, s, f))
    marks = {}
    for state in ('new', 'still'):
        for entry in (report.get('comparison') or {}).get(state) or []:
            marks.setdefault(entry['title'], set()).add(state)

    def rank(item):
        title, occ = item
        ftype = occ[0][2]['type']
        return (FINDING_SEVERITY.index(ftype) if ftype in FINDING_SEVERITY else 99, -sum(o[2]['count'] for o in occ), title)

    bodies = []
    for title, occ in sorted(groups.items(), key=rank):
        ftype = occ[0][2]['type']
        hosts = sorted({h['name'] for h, dummy_s, dummy_f in occ})
        count = sum(f['count'] for dummy_h, dummy_s, f in occ)
        firsts = [f.get('first_seen_time') for dummy_h, dummy_s, f in occ if isinstance(f.get('first_seen_time'), (int, float))]
        lasts = [f.get('last_seen_time') or f.get('first_seen_time') for dummy_h, dummy_s, f in occ
                 if isinstance(f.get('last_seen_time') or f.get('first_seen_time'), (int, float))]
        first = _utc(min(firsts)) if firsts else _seen(None, occ[0][2].get('first_seen'))
        last = _utc(max(lasts)) if lasts else _seen(None, occ[-1][2].get('last_seen'))
        state = ''
        if report.get('comparison'):
            state = 'new' if marks.get(title) == {'new'} else ('still' if 'still' in marks.get(title, ()) else '')
            state = '<td class="%s">%s</td>' % (state, state or '')
        occ_rows = ''.join('<tr><td>%s</td><td>%s</td><td class="num">%d</td><td>%s</td><td>%s</td><td>%s</td></tr>'
                           % (_e(h['name']), _e(s['name']), f['count'], _e(_seen(f.get('first_seen_time'), f.get('first_seen'))),
                              _e(_seen(f.get('last_seen_time'), f.get('last_seen'))), _e(f.get('task') or ''))
                           for h, s, f in occ)
        excerpts, seen = [], set()
        for h, s, f in occ:
            text = f.get('excerpt') or ''
            if not text or text in seen:
                continue
            seen.add(text)
            if len(excerpts) >= max_excerpts:
                continue
            excerpts.append('<p class="muted">%s, stage %s:</p><pre class="excerpt">%s</pre>'
                            % (_e(h['name']), _e(s['name']), _e(cut_middle(clean_text(text), MAX_EXCERPT_BYTES))))
        more = len(seen) - len(excerpts)
        if more > 0:
            excerpts.append('<p class="muted">%d more different excerpts: see the JSON report.</p>' % more)
        host_list = ', '.join(hosts[:3]) + (' and %d more' % (len(hosts) - 3) if len(hosts) > 3 else '')
        search = ' '.join([title, ftype] + hosts).lower()
        bodies.append('<tbody class="finding-group" id="%s" data-type="%s" data-search="%s">'
                      '<tr class="finding-row" data-title="%s"><td>%s</td><td>%s</td><td>%s</td><td class="num">%d</td>'
                      '<td class="num">%d</td><td class="when">%s</td><td class="when">%s</td>%s</tr>'
                      '<tr><td colspan="%d"><details><summary>%d occurrence(s), excerpts</summary>'
                      '<table class="occurrences"><thead><tr><th>Host</th><th>Stage</th><th class="num">Count</th><th>First seen</th>'
                      '<th>Last seen</th><th>Task</th></tr></thead><tbody>%s</tbody></table>%s</details></td></tr></tbody>'
                      % (ids[title], _e(ftype), _e(search), _e(title), _e(title), _type(ftype), _e(host_list), len(hosts), count,
                         _e(first), _e(last), state, 8 if report.get('comparison') else 7, len(occ), occ_rows, ''.join(excerpts)))
    options = ''.join('<option value="%s">%s</option>' % (_e(t), _e(t)) for t in types)
    total = sum(len(v) for v in groups.values())
    head = ('<p class="meta">%d distinct titles, %d findings (entries), %d reports in all.</p>'
            '<p class="filters"><input id="finding-filter" type="search" placeholder="filter by title, type or host" aria-label="filter findings">'
            ' <select id="finding-type" aria-label="finding type"><option value="">all types</option>%s</select>'
            ' <span class="muted"><span id="finding-shown">%d</span> shown</span></p>'
            % (len(groups), total, sum(f['count'] for v in groups.values() for dummy_h, dummy_s, f in v), options, len(groups)))
    if not groups:
        return head + '<p class="muted">No finding in this run.</p>'
    return head + ('<table id="findings"><thead><tr><th>Title</th><th>Type</th><th>Hosts</th><th class="num">Host count</th><th class="num">Count</th>'
                   '<th>First seen (UTC)</th><th>Last seen (UTC)</th>%s</tr></thead>%s</table>'
                   % ('<th>Compared</th>' if report.get('comparison') else '', ''.join(bodies)))


def _kmemleak(report):
    rows, sites = [], []
    for h in report['hosts']:
        k = h['kmemleak']
        if not k:
            rows.append('<tr><td>%s</td><td colspan="4" class="muted">no final scan (the run did not finish for this host)</td></tr>' % _e(h['name']))
            continue
        rows.append('<tr><td>%s</td><td>%s</td><td class="num">%s</td><td class="num">%s</td><td class="num">%d</td></tr>'
                    % (_e(h['name']), 'on' if k.get('enabled') else 'off' + (' (%s)' % _e(k.get('reason')) if k.get('reason') else ''),
                       _e(k.get('baseline_records')), _e(k.get('records')), len(k.get('new') or [])))
        for leak in k.get('findings') or []:
            sites.append('<tr class="leak-row"><td>%s</td><td>%s</td><td class="num">%s</td><td class="num">%s</td><td>%s</td>'
                         '<td><details><summary>%s</summary><pre>%s</pre></details></td></tr>'
                         % (_e(h['name']), _e(leak.get('title')), _e(leak.get('count')), _e(leak.get('bytes')),
                            '<span class="new">new</span>' if leak.get('new') else 'baseline',
                            _e(leak.get('function') or 'call site'), _e('\n'.join(leak.get('backtrace') or []))))
    out = ('<table class="kmemleak"><thead><tr><th>Host</th><th>kmemleak</th><th class="num">Records before</th><th class="num">Records after</th>'
           '<th class="num">New call sites</th></tr></thead><tbody>%s</tbody></table>' % ''.join(rows))
    if sites:
        out += ('<h3>Call sites</h3><table class="leaks"><thead><tr><th>Host</th><th>Title</th><th class="num">Objects</th><th class="num">Bytes</th>'
                '<th>Since</th><th>Backtrace</th></tr></thead><tbody>%s</tbody></table>' % ''.join(sites))
    else:
        out += '<p class="muted">No unreferenced object was reported.</p>'
    return out


def _sysrq(report):
    items = []
    for h in report['hosts']:
        for s in h['stages']:
            for d in s['sysrq']:
                items.append('<details class="sysrq"><summary>%s / %s: SysRq %s (%s), %d line%s%s</summary>%s<pre>%s</pre></details>'
                             % (_e(h['name']), _e(s['name']), _e(d['key']), _e(d['name']), len(d['output']),
                                '' if len(d['output']) == 1 else 's', '' if d.get('complete', True) else ', incomplete',
                                '<p class="muted sysrq-reason">%s</p>' % _e(clean_text(d['reason'])) if d.get('reason') else '',
                                _e(cut_middle(clean_text('\n'.join(d['output'])), 65536))))
    return ''.join(items) or '<p class="muted">No SysRq dump was taken.</p>'


def render_html(report, output_dir=None, max_excerpts=DEFAULT_MAX_EXCERPTS, other_reports=None):
    """The page (str). output_dir: where the page is written (for links to the console logs)."""
    ids = _ids(report)
    types = [t for t in FINDING_SEVERITY if t in report['counts']] + sorted(t for t in report['counts'] if t not in FINDING_SEVERITY)
    findings_total = report['totals']['findings']
    windows = '%s to %s UTC' % (_utc(report['start']), _utc(report['end'], '%H:%M:%S')) if report['start'] else 'no stage ran'
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<title>kdebug.kernel stress run %s: %s</title><style>%s</style></head><body>' % (_e(report['run_id']), _e(report['worst_status']), CSS),
             '<h1>Stress run %s %s</h1>' % (_e(report['run_id']), _badge(report['worst_status'])),
             '<p class="meta">%s &middot; %d host(s), %d stage(s), %d finding(s) &middot; %s &middot; %s</p>'
             % (_e(windows), report['totals']['hosts'], report['totals']['stages'], findings_total,
                '<strong>passed</strong>' if report['passed'] else '<strong>not passed</strong>', _e(report['run_dir'])),
             '<nav><a href="#summary">Summary</a><a href="#timelines">Timelines</a>%s<a href="#findings-section">Findings</a>'
             '<a href="#kmemleak">kmemleak</a><a href="#sysrq">SysRq</a></nav>' % ('<a href="#comparison">Comparison</a>' if report.get('comparison') else ''),
             '<h2 id="summary">Summary</h2>', _summary(report, types)]
    for note in report.get('notes') or []:
        parts.append('<p class="muted">%s</p>' % _e(note))
    parts.append(_comparison(report))
    parts.append('<h2 id="timelines">Timelines</h2>')
    parts.append(_legend(types))
    for h in report['hosts']:
        parts.append('<figure class="timeline" id="host-%s" data-host="%s"><figcaption>%s %s <span class="muted">%s%s</span></figcaption>%s'
                     % (_e(h['name']), _e(h['name']), _e(h['name']), _badge(h['status']), _e(h['kernel_release'] or ''),
                        (' &middot; cmdline: ' + _e(h['cmdline'])) if h['cmdline'] else '', _timeline(report, h, ids)))
        table = _stage_table(report, h, output_dir)
        if len(report['hosts']) > 4:  # many hosts: the timelines first, the stages on demand
            table = '<details class="stages"><summary>%d stages of %s</summary>%s</details>' % (len(h['stages']), _e(h['name']), table)
        parts.append(table)
        for note in h['notes']:
            parts.append('<p class="muted">%s</p>' % _e(note))
        if h['missing']:
            parts.append('<p class="muted">Not in the saved results: %s.</p>' % _e(', '.join(h['missing'])))
        parts.append('</figure>')
    parts.append('<h2 id="findings-section">Findings by title</h2>')
    parts.append(_findings(report, ids, types, max_excerpts))
    parts.append('<h2 id="kmemleak">kmemleak</h2>')
    parts.append(_kmemleak(report))
    parts.append('<h2 id="sysrq">SysRq dumps</h2>')
    parts.append(_sysrq(report))
    links = ''.join(' &middot; <a href="%s">%s</a>' % (_e(os.path.basename(p)), _e(os.path.basename(p))) for p in (other_reports or []))
    parts.append('<footer><p class="meta">kdebug.kernel.report, %s schema %s%s</p></footer>' % (_e(report['format']), _e(report['schema_version']), links))
    parts.append('<script>%s</script></body></html>\n' % SCRIPT)
    return ''.join(parts)
