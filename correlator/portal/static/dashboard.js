// dashboard.js: the overview: alerts and incidents over time, top
// signatures, sources, destinations and application protocols, and sensor
// health with a warning banner for silent or dropping sensors. The default
// window is the server's (the last 24 h of event time in the store); the
// range buttons step back from that window's end. Refreshed every 30 s.

import * as api from './api.js';
import { el, append, clear, data, fmtTime, num, zoneLabel } from './format.js';
import { timeBars, rankBars } from './charts.js';

const RANGES = [['h6', 6], ['h24', 24], ['d7', 168]];
const DROP_WARN_PCT = 1;

let ctx = null;
let root = null;
let timer = 0;
let seq = 0;
let range = 24;
let lastUntil = '';

export function mount(view, c) {
  ctx = c;
  root = view;
  load();
  timer = setInterval(load, 30000);
}

export function unmount() {
  clearInterval(timer);
  root = null;
  seq++;
}

function T(k, p) { return ctx.t(k, p); }
const N = (n) => num(n, ctx.lang);

async function load() {
  const my = ++seq;
  let q = '';
  if (lastUntil && range !== 24) {
    const until = new Date(lastUntil);
    q = api.qs({ since: new Date(until.getTime() - range * 3600e3).toISOString(), until: until.toISOString() });
  }
  try {
    const [d, counts] = await Promise.all([
      api.get(`/dashboard${q}`),
      api.get('/incidents/counts').catch(() => null),
    ]);
    if (my !== seq || !root) return;
    if (range === 24) lastUntil = d.until;
    render(d, counts);
  } catch (e) {
    if (my !== seq || !root) return;
    clear(root).append(el('div', { class: 'card empty-state' },
      el('p', null, `${T('error.load')}: ${e.status === 404 ? T('dash.unavailable') : e.message}`)));
  }
}

function card(id, titleKey, body, extra) {
  return el('section', { class: `card ${extra || ''}`, id }, el('h2', null, T(titleKey)), body);
}

function rank(list, key, labelKey, cls) {
  if (!list || !list.length) return el('p', { class: 'muted' }, T('dash.none'));
  return rankBars(list.map((x) => ({ label: x[key], n: x.n })), { cls, label: T(labelKey), num: N });
}

function sensorRows(sensors) {
  return el('table', { class: 'grid small', id: 'sensors' },
    el('thead', null, el('tr', null, ['dash.s_name', 'dash.s_last', 'dash.s_state', 'dash.s_pps', 'dash.s_drops', 'dash.s_loss']
      .map((k) => el('th', { scope: 'col' }, T(k))))),
    el('tbody', null, sensors.map((s) => {
      const loss = Number(s.capture_loss_pct || 0);
      const dash = (v, f) => (v === null || v === undefined ? '—' : f(v));
      const bad = s.silent || loss >= DROP_WARN_PCT;
      return el('tr', { class: bad ? 'warn-row' : '' },
        data('td', s.name, { class: 'mono' }),
        data('td', s.last_seen ? fmtTime(s.last_seen, ctx.tz) : '—', { class: 'mono' }),
        el('td', null, el('span', { class: `health ${s.silent ? 'h-silent' : loss >= DROP_WARN_PCT ? 'h-drop' : 'h-ok'}` },
          T(s.silent ? 'dash.silent' : loss >= DROP_WARN_PCT ? 'dash.dropping' : 'dash.ok'))),
        data('td', dash(s.pkts_per_s, (v) => N(Math.round(v))), { class: 'mono num' }),
        data('td', dash(s.drops, N), { class: 'mono num' }),
        data('td', dash(s.capture_loss_pct, (v) => `${Number(v).toFixed(2)} %`), { class: 'mono num' }));
    })));
}

function render(d, counts) {
  clear(root);
  const tz = ctx.tz;
  const spanH = (new Date(d.until) - new Date(d.since)) / 3600e3;
  const tick = (t) => (spanH > 48 ? fmtTime(t, tz, { short: true }).slice(0, 5) : fmtTime(t, tz, { timeOnly: true }).slice(0, 5));
  const tip = (t, n) => `${fmtTime(t, tz)} · ${N(n)}`;
  const sensors = d.sensors || [];
  const bad = sensors.filter((s) => s.silent || Number(s.capture_loss_pct || 0) >= DROP_WARN_PCT);
  const alerts = (d.alerts_over_time || []).reduce((a, p) => a + p.n, 0);
  const incs = (d.incidents_over_time || []).reduce((a, p) => a + p.n, 0);
  const open = counts ? (counts.new || 0) + (counts.acknowledged || 0) + (counts.investigating || 0) : null;

  const rangeBar = el('div', { class: 'tabs small', role: 'group', 'aria-label': T('dash.range') },
    RANGES.map(([k, h]) => el('button', { type: 'button', class: `tab${h === range ? ' on' : ''}`, dataset: { range: h },
      onclick: () => { range = h; load(); } }, T(`dash.${k}`))));

  append(root, [
    el('div', { class: 'toolbar' },
      el('h1', { class: 'page-title' }, T('nav.dashboard')),
      data('span', `${fmtTime(d.since, tz, { short: true })} – ${fmtTime(d.until, tz)}`, { class: 'muted mono', id: 'dash-window' }),
      el('span', { class: 'spacer' }), rangeBar),
    bad.length ? el('div', { class: 'banner warn', role: 'alert', id: 'sensor-banner' },
      el('strong', null, T('dash.banner', { n: bad.length })), ' ',
      bad.map((s) => data('span', `${s.name} (${T(s.silent ? 'dash.silent' : 'dash.dropping')})`, { class: 'mono chip' }))) : null,
    el('div', { class: 'kpis' },
      kpi('kpi-alerts', 'dash.k_alerts', N(alerts)),
      kpi('kpi-incidents', 'dash.k_incidents', N(incs)),
      open !== null && kpi('kpi-open', 'dash.k_open', N(open), '#/queue'),
      kpi('kpi-sensors', 'dash.k_sensors', `${N(sensors.length - bad.length)} / ${N(sensors.length)}`)),
    el('div', { class: 'dash-grid' },
      card('c-alerts', 'dash.alerts_over_time',
        timeBars(d.alerts_over_time || [], { cls: 'c-alerts', label: T('dash.alerts_over_time'), fmt: tick, tip, num: N }), 'wide'),
      card('c-incidents', 'dash.incidents_over_time',
        timeBars(d.incidents_over_time || [], { cls: 'c-incidents', label: T('dash.incidents_over_time'), fmt: tick, tip, num: N }), 'wide'),
      card('c-sigs', 'dash.top_signatures', rank(d.top_signatures, 'signature', 'dash.top_signatures', 'c-sig')),
      card('c-src', 'dash.top_src', rank(d.top_src, 'ip', 'dash.top_src', 'c-src')),
      card('c-dest', 'dash.top_dest', rank(d.top_dest, 'ip', 'dash.top_dest', 'c-dst')),
      card('c-proto', 'dash.app_protos', rank(d.app_protos, 'name', 'dash.app_protos', 'c-proto')),
      card('c-sensors', 'dash.sensors', sensors.length ? sensorRows(sensors) : el('p', { class: 'muted' }, T('dash.none')), 'wide')),
    el('p', { class: 'hint muted' }, T('dash.bucket', { n: N(Math.round((d.bucket_seconds || 0) / 60)), zone: zoneLabel(tz) }))]);
}

function kpi(id, key, value, href) {
  const body = [el('span', { class: 'kpi-v mono', 'data-wire': '' }, value), el('span', { class: 'kpi-l' }, T(key))];
  return href ? el('a', { class: 'kpi card', id, href }, body) : el('div', { class: 'kpi card', id }, body);
}
