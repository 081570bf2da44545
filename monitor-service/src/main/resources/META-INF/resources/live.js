// Trainwatch live page: runs, live charts with alert markers and tuner actions, study leaderboard.
// Plain JS over uPlot (bundled from the org.webjars.npm:uplot jar, never a CDN). Data: GET /live/runs,
// /live/runs/{id}, /live/studies, and the event stream /live/stream?run=ID (pushes of what changed, at most
// 4 a second; a gap in their seq makes the page reload what it shows). NaN and infinities arrive as the
// strings "NaN", "Infinity", "-Infinity": they are shown as text and as gaps in the charts.
(function () {
  'use strict';

  const MAX_CLIENT_POINTS = 4000; // per series; beyond, the page reloads the run's decimated snapshot
  const SEVERITY_COLOR = { critical: '#b3261e', warning: '#d97706', info: '#2563eb' };
  const ACTION_COLOR = { decay: '#7c3aed', raise: '#0d9488', stop: '#111827', 'set-learning-rate': '#7c3aed' };
  const LAYER_COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d',
    '#9333ea', '#ea580c', '#0f766e', '#4f46e5'];

  const S = {
    loadId: Math.random().toString(36).slice(2),
    runs: new Map(),
    studies: new Map(),
    selected: null,
    run: null,           // {summary, series: {name: {steps, values}}, alerts: [], actions: []}
    lastSeq: null,
    es: null,
    charts: {},
    rangeCharts: [],
    counts: { snapshots: 0, pushes: 0, resyncs: 0, pointsReceived: 0 },
    renderTimer: null,
  };

  // ---- values

  function num(x) {
    if (typeof x === 'number') return x;
    if (x === 'NaN') return NaN;
    if (x === 'Infinity') return Infinity;
    if (x === '-Infinity') return -Infinity;
    return null;
  }
  function fmt(x, digits) {
    const v = num(x);
    if (v === null || v === undefined) return '–';
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    return v.toFixed(digits === undefined ? 4 : digits).replace(/\.?0+$/, '') || '0';
  }
  function axisLabel(v) { return v === null || v === undefined ? '' : fmt(v, 3); }
  // Log axes: one label per decade, at most ~6 of them (a diverging run spans 26 decades), as 1e-4 / 0.01 / 1e6.
  function logRange(u, min, max) {
    if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [0.1, 10];
    let lo = Math.floor(Math.log10(min));
    let hi = Math.ceil(Math.log10(max));
    if (hi <= lo) hi = lo + 1;
    return [Math.pow(10, lo), Math.pow(10, hi)];
  }
  function logSplits(u, axisIdx, min, max) {
    if (!(min > 0) || !(max > 0)) return [];
    const lo = Math.round(Math.log10(min));
    const hi = Math.round(Math.log10(max));
    const step = Math.max(1, Math.ceil((hi - lo) / 5));
    const out = [];
    for (let k = lo; k <= hi; k += step) out.push(Math.pow(10, k));
    return out;
  }
  function logLabel(v) {
    if (v === null || v === undefined || !(v > 0)) return '';
    const k = Math.round(Math.log10(v));
    return k >= -3 && k <= 3 ? fmt(v, 3) : '1e' + k;
  }
  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g,
      c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function el(id) { return document.getElementById(id); }

  async function getJson(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
    return r.json();
  }

  // ---- loading

  async function loadRuns() {
    try {
      const runs = await getJson('live/runs');
      S.runs = new Map(runs.map(r => [r.runId, r]));
      renderRuns();
    } catch (e) { console.warn(e); }
  }

  async function loadStudies() {
    try {
      const studies = await getJson('live/studies');
      S.studies = new Map(studies.map(s => [s.studyId, s]));
      renderStudies();
    } catch (e) { console.warn(e); }
  }

  async function loadRun() {
    const id = S.selected;
    if (!id) return;
    try {
      const snap = await getJson('live/runs/' + encodeURIComponent(id));
      if (S.selected !== id) return;
      const series = {};
      for (const [name, s] of Object.entries(snap.series || {})) {
        series[name] = { steps: s.steps.slice(), values: s.values.map(num) };
      }
      S.run = { summary: snap.run, series, alerts: snap.alerts || [], actions: snap.actions || [] };
      S.runs.set(id, snap.run);
      S.counts.snapshots++;
      renderRuns();
      renderRun(true);
    } catch (e) {
      console.warn(e);
      if (S.selected === id) {
        S.run = null;
        el('run-head').innerHTML = '<p class="hint">Run ' + esc(id) + ' is not (or no longer) on the live page.</p>';
        el('run-body').hidden = true;
      }
    }
  }

  function resync() {
    S.counts.resyncs++;
    loadRuns();
    loadStudies();
    loadRun();
  }

  function select(runId) {
    if (!runId || runId === S.selected) return;
    S.selected = runId;
    S.run = null;
    history.replaceState(null, '', '#run=' + encodeURIComponent(runId));
    renderRuns();
    connect();          // the stream carries points of the selected run only
    loadRun();
  }

  // ---- the event stream

  function connect() {
    if (S.es) S.es.close();
    S.lastSeq = null;
    const url = 'live/stream' + (S.selected ? '?run=' + encodeURIComponent(S.selected) : '');
    const es = new EventSource(url);
    S.es = es;
    es.onopen = () => setConn(true);
    es.onerror = () => setConn(false);
    es.onmessage = ev => {
      if (S.es !== es) return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { console.warn('bad push', e); return; }
      onPush(msg);
    };
  }

  function setConn(on) {
    const c = el('conn');
    c.className = 'conn ' + (on ? 'on' : 'off');
    c.textContent = on ? 'live' : 'reconnecting';
  }

  function onPush(msg) {
    if (msg.type === 'hello') {
      S.lastSeq = msg.seq;
      resync();
      return;
    }
    if (msg.type !== 'delta') return;
    S.counts.pushes++;
    if (S.lastSeq !== null && msg.seq !== S.lastSeq + 1) {
      S.lastSeq = msg.seq;       // pushes were dropped: reload what the page shows
      resync();
      return;
    }
    S.lastSeq = msg.seq;
    for (const r of msg.runs || []) S.runs.set(r.runId, Object.assign({}, S.runs.get(r.runId), r));
    for (const id of msg.evicted || []) S.runs.delete(id);
    for (const s of msg.studies || []) S.studies.set(s.studyId, s);
    for (const id of msg.removedStudies || []) S.studies.delete(id);
    if (msg.resyncAll) { resync(); return; }
    const run = S.run;
    if (run && S.selected) {
      if (S.runs.has(S.selected)) run.summary = S.runs.get(S.selected);
      if ((msg.resync || []).includes(S.selected)) { loadRun(); }
      else {
        const pts = (msg.points || {})[S.selected];
        if (pts) appendPoints(run, pts);
      }
      for (const a of msg.alerts || []) {
        if (a.runId !== S.selected) continue;
        if (!run.alerts.some(x => x.alertId === a.alertId && x.status === a.status)) run.alerts.push(a);
      }
      for (const a of msg.actions || []) {
        if (a.runId !== S.selected) continue;
        const i = run.actions.findIndex(x => x.commandId === a.commandId);
        if (i >= 0) run.actions[i] = a; else run.actions.push(a);
      }
    }
    scheduleRender(msg.studies && msg.studies.length > 0);
  }

  function appendPoints(run, pts) {
    let tooMany = false;
    for (const [name, p] of Object.entries(pts)) {
      let s = run.series[name];
      if (!s) { s = run.series[name] = { steps: [], values: [] }; }
      const last = s.steps.length ? s.steps[s.steps.length - 1] : -1;
      for (let i = 0; i < p.steps.length; i++) {
        if (p.steps[i] <= last) continue;  // already in the snapshot
        s.steps.push(p.steps[i]);
        s.values.push(num(p.values[i]));
        S.counts.pointsReceived++;
      }
      if (s.steps.length > MAX_CLIENT_POINTS) tooMany = true;
    }
    if (tooMany) loadRun();
  }

  function scheduleRender(studies) {
    if (studies) S.studiesDirty = true;
    if (S.renderTimer) return;
    S.renderTimer = setTimeout(() => {
      S.renderTimer = null;
      renderRuns();
      if (S.run) renderRun(false);
      if (S.studiesDirty) { S.studiesDirty = false; renderStudies(); }
    }, 100);
  }

  // ---- runs list

  function renderRuns() {
    const filter = el('runs-filter').value.trim().toLowerCase();
    const rows = [...S.runs.values()].sort((a, b) => (Date.parse(b.updatedAt) || 0) - (Date.parse(a.updatedAt) || 0));
    el('runs-count').textContent = rows.length ? '(' + rows.length + ')' : '';
    const html = [];
    for (const r of rows) {
      if (filter && !(r.runId + ' ' + (r.scenario || '') + ' ' + (r.studyId || '')).toLowerCase().includes(filter)) continue;
      const active = (r.alerts && r.alerts.active) || [];
      const badges = active.map(d => '<span class="badge b-count" title="firing">' + esc(d) + '</span>').join('')
        + (r.alerts && r.alerts.total > active.length
          ? '<span class="badge" title="alerts raised, now resolved">' + (r.alerts.total - active.length) + ' resolved</span>' : '');
      html.push('<tr data-run="' + esc(r.runId) + '"' + (r.runId === S.selected ? ' class="selected"' : '') + '>'
        + '<td class="run" title="' + esc(r.runId) + '">' + esc(r.runId) + '<small>' + esc(r.scenario || r.studyId || '') + '</small></td>'
        + '<td><span class="badge s-' + esc(r.status) + '">' + esc(r.status) + '</span></td>'
        + '<td>' + (r.step >= 0 ? r.step : '–') + '</td>'
        + '<td>' + fmt(r.latest && r.latest.loss, 3) + '</td>'
        + '<td>' + badges + '</td></tr>');
    }
    el('runs').tBodies[0].innerHTML = html.join('') || '<tr><td colspan="5" class="hint">No run in the last hours.</td></tr>';
  }

  // ---- one run

  function markers() {
    const run = S.run;
    if (!run) return [];
    const out = [];
    for (const a of run.alerts) {
      if (a.status !== 'firing') continue;
      out.push({ kind: 'alert', detector: a.detector, step: a.step, color: SEVERITY_COLOR[a.severity] || '#555',
        dash: [], label: a.detector });
    }
    for (const a of run.actions) {
      const color = ACTION_COLOR[a.kind] || '#7c3aed';
      const what = a.kind === 'stop' ? 'stop' : a.kind === 'raise' ? 'raise' : 'decay';
      if (a.status === 'suggested') {
        // A suggestion is never applied: a dotted marker of its own.
        if (a.issuedStep !== undefined && a.issuedStep !== null) {
          out.push({ kind: 'action', action: a.kind, state: 'suggested', step: a.issuedStep, color, dash: [1, 4], label: what + ' suggested' });
        }
        continue;
      }
      if (a.issuedStep !== undefined && a.issuedStep !== null) {
        out.push({ kind: 'action', action: a.kind, state: 'issued', step: a.issuedStep, color, dash: [5, 4], label: what + ' issued' });
      }
      if (a.appliedStep !== undefined && a.appliedStep !== null) {
        out.push({ kind: 'action', action: a.kind, state: 'applied', step: a.appliedStep, color, dash: [], label: what + ' applied' });
      }
    }
    const f = run.summary && run.summary.finished;
    if (f && f.status !== 'completed') {
      out.push({ kind: 'finish', step: f.step, color: '#111827', dash: [2, 3], label: f.status });
    }
    return out;
  }

  function markerPlugin() {
    return {
      hooks: {
        draw: [u => {
          const ctx = u.ctx;
          const { left, top, width, height } = u.bbox;
          const dpr = devicePixelRatio || 1;
          const ms = markers().slice().sort((a, b) => a.step - b.step);
          const rowEnds = [];   // right edge of the last label in each row: labels never overlap
          ctx.save();
          ctx.font = (10 * dpr) + 'px system-ui, sans-serif';
          ctx.textAlign = 'left';          // uPlot leaves the axes' alignment on the context
          ctx.textBaseline = 'alphabetic';
          for (const m of ms) {
            const x = Math.round(u.valToPos(m.step, 'x', true));
            if (!(x >= left && x <= left + width)) continue;
            ctx.strokeStyle = m.color;
            ctx.lineWidth = 1.5 * dpr;
            ctx.setLineDash(m.dash.map(d => d * dpr));
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.setLineDash([]);
            const tw = ctx.measureText(m.label).width + 4 * dpr;
            const tx = Math.max(left, x + 2 * dpr + tw > left + width ? x - 2 * dpr - tw : x + 2 * dpr);
            let row = rowEnds.findIndex(end => end + 6 * dpr < tx);
            if (row < 0) { row = rowEnds.length; rowEnds.push(0); }
            rowEnds[row] = tx + tw;
            const ty = top + (2 + 12 * row) * dpr;
            if (ty + 12 * dpr > top + height) continue;
            ctx.fillStyle = 'rgba(255,255,255,0.85)';
            ctx.fillRect(tx, ty, tw, 11 * dpr);
            ctx.fillStyle = m.color;
            ctx.fillText(m.label, tx + 2 * dpr, ty + 9 * dpr);
          }
          ctx.restore();
        }],
      },
    };
  }

  // uPlot's log axes handle 1e-16..1e16 only: a log chart clips its values to 1e±14 (an exploded gradient norm
  // of 1e26 is drawn at the top edge; the list and the legend of GET /live/runs/{id} keep the real figure).
  const LOG_CLIP = 1e14;
  function cleaned(values, log) {
    return values.map(v => {
      if (v === null || !Number.isFinite(v) || (log && v <= 0)) return null;
      return log ? Math.min(LOG_CLIP, Math.max(1 / LOG_CLIP, v)) : v;
    });
  }

  function chartSpecs(run) {
    const sr = run.series;
    const layerNames = Object.keys(sr).filter(n => n.startsWith('grad:'));
    return {
      loss: { title: 'loss', log: false, series: [['loss', 'training loss', '#2563eb'], ['validationLoss', 'validation loss', '#dc2626']] },
      accuracy: { title: 'accuracy', log: false, series: [['accuracy', 'training accuracy', '#2563eb'], ['validationAccuracy', 'validation accuracy', '#dc2626']] },
      lr: { title: 'learning rate', log: true, series: [['learningRate', 'learning rate', '#7c3aed']] },
      grad: { title: 'gradient norm', log: true, series: layerNames.map((n, i) => [n, n.slice(5), LAYER_COLORS[i % LAYER_COLORS.length]]) },
    };
  }

  function chartData(run, spec) {
    const tables = [];
    for (const [name] of spec.series) {
      const s = run.series[name] || { steps: [], values: [] };
      tables.push([s.steps, cleaned(s.values, spec.log)]);
    }
    if (!tables.length) return [[]];
    if (tables.length === 1) return [tables[0][0].slice(), tables[0][1]];
    return uPlot.join(tables);
  }

  function chartWidth(key) {
    const box = el('chart-' + key);
    return Math.max(260, box.clientWidth || 420);
  }

  function renderRun(fresh) {
    const run = S.run;
    if (!run) return;
    renderRunHead(run);
    el('run-body').hidden = false;
    const specs = chartSpecs(run);
    for (const [key, spec] of Object.entries(specs)) {
      const data = chartData(run, spec);
      const shape = spec.series.map(s => s[0]).join(',');
      let c = S.charts[key];
      if (fresh || !c || c.shape !== shape || c.runId !== S.selected) {
        if (c) c.plot.destroy();
        const opts = {
          width: chartWidth(key), height: 220,
          scales: { x: { time: false }, y: spec.log ? { distr: 3, range: logRange } : {} },
          axes: [{ label: 'step', size: 36 }, spec.log
            ? { size: 56, splits: logSplits, filter: (u, splits) => splits, values: (u, vals) => vals.map(logLabel) }
            : { size: 56, values: (u, vals) => vals.map(axisLabel) }],
          series: [{ label: 'step' }].concat(spec.series.map(([name, label, color]) => ({
            label, stroke: color, width: 1.5, spanGaps: true, points: { show: name.startsWith('validation') },
            value: (u, v) => fmt(v),
          }))),
          legend: { live: true },
          plugins: [markerPlugin()],
        };
        const box = el('chart-' + key);
        box.querySelectorAll('.uplot').forEach(n => n.remove());
        c = S.charts[key] = { plot: new uPlot(opts, data, box), shape, runId: S.selected };
      } else {
        c.plot.setData(data, true);
      }
    }
    renderEvents(run);
  }

  function renderRunHead(run) {
    const r = run.summary || {};
    const cfg = r.config || {};
    const l = r.latest || {};
    const f = r.finished;
    el('run-head').innerHTML = '<h2>' + esc(r.runId) + ' <span class="badge s-' + esc(r.status) + '">' + esc(r.status) + '</span></h2>'
      + '<div class="meta">'
      + (r.scenario ? '<span>scenario <b>' + esc(r.scenario) + '</b></span>' : '')
      + (r.studyId ? '<span>study <b>' + esc(r.studyId) + '</b> trial ' + esc(r.trialId || '') + '</span>' : '')
      + '<span>step <b>' + (r.step >= 0 ? r.step : '–') + '</b> epoch ' + esc(r.epoch) + '</span>'
      + '<span>loss <b>' + fmt(l.loss) + '</b></span><span>acc ' + fmt(l.accuracy, 3) + '</span>'
      + '<span>val loss ' + fmt(l.validationLoss) + '</span><span>val acc ' + fmt(l.validationAccuracy, 3) + '</span>'
      + '<span>lr ' + fmt(l.learningRate) + '</span>'
      + (cfg.optimizer ? '<span>' + esc(cfg.optimizer) + ', batch ' + esc(cfg.batchSize) + ', ' + esc((cfg.layers || []).length) + ' layers</span>' : '')
      + (f ? '<span>finished <b>' + esc(f.status) + '</b> at step ' + esc(f.step) + (f.reason ? ': ' + esc(f.reason) : '') + '</span>' : '')
      + '</div>';
  }

  function renderEvents(run) {
    const alerts = run.alerts.slice().sort((a, b) => a.step - b.step);
    el('alerts').innerHTML = alerts.length ? alerts.map(a => {
      const ev = Object.entries(a.evidence || {}).map(([k, v]) => esc(k) + '=' + esc(fmt(v))).join(' ');
      return '<li class="alert ' + esc(a.status) + '" data-detector="' + esc(a.detector) + '" data-step="' + esc(a.step)
        + '" data-status="' + esc(a.status) + '" title="' + esc((a.remedy || '') + (a.suggestedAction ? ' (suggested: ' + a.suggestedAction + ')' : '')) + '">'
        + '<span class="dot" style="background:' + (a.status === 'firing' ? (SEVERITY_COLOR[a.severity] || '#555') : '#bbb') + '"></span>'
        + '<b>' + esc(a.detector) + '</b> ' + esc(a.status) + ' at step ' + esc(a.step) + ' <small>(' + esc(a.severity) + ')</small>'
        + '<div class="why">' + esc(a.summary) + '</div>'
        + (ev ? '<div class="ev">' + ev + '</div>' : '') + '</li>';
    }).join('') : '<li class="none">none</li>';
    const actions = run.actions.slice().sort((a, b) => (a.issuedStep || 0) - (b.issuedStep || 0));
    el('actions').innerHTML = actions.length ? actions.map(a => {
      if (a.status === 'suggested') {
        const said = a.kind === 'stop' ? 'stop' : 'lr ' + (a.previousLearningRate !== undefined
          ? fmt(a.previousLearningRate) + ' -> ' : '') + fmt(a.learningRate);
        return '<li class="action suggestion" data-kind="' + esc(a.kind) + '" data-status="suggested" data-step="'
          + esc(a.issuedStep) + '">'
          + '<span class="dot" style="background:transparent;border:2px dotted ' + (ACTION_COLOR[a.kind] || '#7c3aed') + '"></span>'
          + '<b>suggested: ' + esc(said) + '</b>' + (a.detector ? ' <small>for ' + esc(a.detector) + '</small>' : '')
          + '<div class="why">suggested at ~step ' + esc(a.issuedStep) + '; not applied: the run takes suggestions only</div>'
          + (a.reason ? '<div class="ev">' + esc(a.reason) + '</div>' : '') + '</li>';
      }
      const what = a.kind === 'stop' ? 'stop' : (a.kind === 'raise' ? 'raise' : 'decay') + ' learning rate '
        + (a.previousLearningRate !== undefined ? fmt(a.previousLearningRate) + ' → ' : '') + fmt(a.learningRate);
      return '<li class="action" data-kind="' + esc(a.kind) + '" data-status="' + esc(a.status) + '" data-step="'
        + esc(a.appliedStep !== undefined ? a.appliedStep : a.issuedStep) + '">'
        + '<span class="dot" style="background:' + (ACTION_COLOR[a.kind] || '#7c3aed') + '"></span>'
        + '<b>' + esc(what) + '</b>' + (a.detector ? ' <small>for ' + esc(a.detector) + '</small>' : '')
        + '<div class="why">issued' + (a.issuedStep !== undefined ? ' at ~step ' + esc(a.issuedStep) : '')
        + (a.status === 'applied' ? ', <b>applied at step ' + esc(a.appliedStep) + '</b>' : ', not confirmed yet') + '</div>'
        + (a.reason ? '<div class="ev">' + esc(a.reason) + '</div>' : '') + '</li>';
    }).join('') : '<li class="none">none</li>';
  }

  // ---- studies

  function renderStudies() {
    S.rangeCharts.forEach(c => c.destroy());
    S.rangeCharts = [];
    const studies = [...S.studies.values()];
    if (!studies.length) { el('studies').innerHTML = '<p class="hint">No study in the last hours.</p>'; return; }
    el('studies').innerHTML = studies.map((s, i) => {
      const rows = (s.trials || []).slice(0, 15).map(t => '<tr class="run-link" data-run="' + esc(t.runId) + '">'
        + '<td>' + esc(t.rank) + '</td><td>' + esc(t.trialId) + '</td><td>' + esc(t.status) + '</td>'
        + '<td class="best">' + fmt(t.best) + (t.bestStep !== undefined ? ' <small>@' + esc(t.bestStep) + '</small>' : '') + '</td>'
        + '<td>' + fmt(t.learningRate) + '</td><td>' + esc(t.origin || '') + (t.remedyOf ? ' of ' + esc(t.remedyOf) : '') + '</td>'
        + '<td>' + esc(Object.entries(t.params || {}).map(([k, v]) => k + '=' + (typeof v === 'number' ? fmt(v) : v)).join(' ')) + '</td>'
        + '<td>' + esc(t.stopDetector || t.finishStatus || '') + '</td></tr>').join('');
      const pf = s.preflight || {};
      const rt = pf.lrRangeTest;
      const other = Object.entries(pf).filter(([k]) => k !== 'lrRangeTest')
        .map(([k, v]) => esc(k) + ': ' + esc(typeof v === 'object' ? Object.entries(v).map(([a, b]) => a + '=' + (typeof b === 'number' ? fmt(b) : b)).join(', ') : v)).join('<br>');
      return '<div class="study" data-study="' + esc(s.studyId) + '"><h3>' + esc(s.name || s.studyId) + ' <small>' + esc(s.studyId)
        + ' · ' + esc(s.status || '') + ' · ' + esc(s.objective || '') + ' · ' + esc(s.trialCount) + ' trials'
        + (s.stopReason ? ' · ' + esc(s.stopReason) : '') + '</small></h3>'
        + '<div class="study-grid"><table><thead><tr><th>#</th><th>trial</th><th>status</th><th>best</th><th>lr</th><th>origin</th><th>params</th><th>stopped by</th></tr></thead><tbody>'
        + (rows || '<tr><td colspan="8" class="hint">no trial yet</td></tr>') + '</tbody></table>'
        + '<div>' + (rt ? '<h3>Learning-rate range test <small>loss vs rate, log x' + (rt.range ? '; chosen range ' + fmt(rt.range[0]) + ' – ' + fmt(rt.range[1]) : '') + '</small></h3><div class="range-chart" id="range-' + i + '"></div>' : '')
        + (other ? '<div class="preflight">' + other + '</div>' : '') + '</div></div></div>';
    }).join('');
    studies.forEach((s, i) => {
      const rt = s.preflight && s.preflight.lrRangeTest;
      if (rt && rt.points && rt.points.length) renderRangeTest(el('range-' + i), rt);
    });
    document.querySelectorAll('#studies tr.run-link').forEach(tr => tr.addEventListener('click', () => select(tr.dataset.run)));
  }

  function renderRangeTest(box, rt) {
    const pts = rt.points.map(p => [num(p[0]), num(p[1])]).filter(p => Number.isFinite(p[0]) && p[0] > 0)
      .sort((a, b) => a[0] - b[0]);
    const data = [pts.map(p => p[0]), pts.map(p => Number.isFinite(p[1]) ? p[1] : null)];
    const range = rt.range ? rt.range.map(num) : null;
    const finite = data[1].filter(v => v !== null);
    const yMax = finite.length ? Math.min(Math.max(...finite), 3 * finite[0]) : 1;
    const yMin = finite.length ? Math.min(...finite) : 0;
    const shade = {
      hooks: {
        drawClear: [u => {
          if (!range) return;
          const { top, height } = u.bbox;
          const x0 = u.valToPos(range[0], 'x', true);
          const x1 = u.valToPos(range[1], 'x', true);
          u.ctx.save();
          u.ctx.fillStyle = 'rgba(22,163,74,0.12)';
          u.ctx.fillRect(Math.min(x0, x1), top, Math.abs(x1 - x0), height);
          u.ctx.restore();
        }],
      },
    };
    const plot = new uPlot({
      width: 410, height: 200,
      scales: { x: { time: false, distr: 3, range: logRange }, y: { range: () => [Math.max(0, yMin - 0.05 * (yMax - yMin)), yMax] } },
      axes: [{ label: 'learning rate', size: 36, splits: logSplits, filter: (u, splits) => splits, values: (u, vals) => vals.map(logLabel) },
        { size: 50, values: (u, vals) => vals.map(axisLabel) }],
      series: [{ label: 'rate', value: (u, v) => fmt(v) }, { label: 'smoothed loss', stroke: '#dc2626', width: 1.5, spanGaps: true, value: (u, v) => fmt(v) }],
      plugins: [shade],
    }, data, box);
    S.rangeCharts.push(plot);
  }

  // ---- test and debugging hook: what the page shows, as data

  window.trainwatchLive = {
    loadId: S.loadId,
    select,
    state() {
      const charts = {};
      for (const [key, c] of Object.entries(S.charts)) {
        const d = c.plot.data;
        charts[key] = {
          xs: d[0] ? d[0].length : 0,
          series: c.plot.series.slice(1).map((s, i) => ({ label: s.label, points: (d[i + 1] || []).filter(v => v !== null && v !== undefined).length })),
          maxStep: d[0] && d[0].length ? d[0][d[0].length - 1] : null,
        };
      }
      return {
        loadId: S.loadId, selected: S.selected, runs: S.runs.size, studies: S.studies.size, lastSeq: S.lastSeq,
        counts: Object.assign({}, S.counts), charts, markers: markers().map(m => Object.assign({}, m, { dash: undefined })),
        alerts: S.run ? S.run.alerts.length : 0, actions: S.run ? S.run.actions.map(a => Object.assign({}, a)) : [],
        rangeCharts: S.rangeCharts.length,
      };
    },
  };

  // ---- start

  el('runs').addEventListener('click', ev => {
    const tr = ev.target.closest('tr[data-run]');
    if (tr) select(tr.dataset.run);
  });
  el('runs-filter').addEventListener('input', renderRuns);
  window.addEventListener('resize', () => { if (S.run) renderRun(true); });
  async function footer() {
    try {
      const s = await getJson('live/stats');
      el('footer').textContent = 'feed: ' + s.records + ' records read, ' + s.skipped + ' unreadable skipped, '
        + s.ignored + ' duplicates ignored; ' + s.runs + ' runs, ' + s.studies + ' studies; '
        + Math.round(s.seriesBytes / 1024) + ' KiB of series' + (s.caughtUp ? '' : ' (catching up)');
    } catch (e) { /* the next one */ }
  }
  setInterval(footer, 5000);
  footer();
  const m = /run=([^&]+)/.exec(location.hash);
  if (m) { S.selected = decodeURIComponent(m[1]); }
  window.addEventListener('hashchange', () => {   // a link, back/forward, or an edited address
    const h = /run=([^&]+)/.exec(location.hash);
    if (h) select(decodeURIComponent(h[1]));
  });
  loadRuns();        // at once, even if the event stream cannot connect (it reloads again on its hello)
  loadStudies();
  connect();
})();
