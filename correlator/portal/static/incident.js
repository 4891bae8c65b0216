// incident.js: one incident: summary, why it fired, the timeline of its
// events (EVE details expandable), related incidents, comments, audit trail,
// reporting state, search links and the actions the user's role allows
// (status, assignee, disposition, suppress, merge, move an alert). Buttons a
// role may not use are not rendered; the server refuses them anyway.

import * as api from './api.js';
import * as csv from './csv.js';
import { has } from './i18n.js';
import { el, clear, data, fmtTime, num, bytes, sevBadge, statusBadge, title, description, roleAtLeast,
  statusAllowed, zoneLabel, DISPOSITIONS } from './format.js';

let ctx = null;
let root = null;
let incId = 0;
let inc = null;
let seq = 0;
let showAll = false;
const TIMELINE_FIRST = 50;

export function mount(view, c, id) {
  ctx = c;
  root = view;
  incId = id;
  showAll = false;
  load();
}

export function unmount() {
  root = null;
  seq++;
}

function T(k, p) { return ctx.t(k, p); }

async function load() {
  const my = ++seq;
  try {
    const r = await api.get(`/incidents/${incId}`);
    if (my !== seq || !root) return;
    inc = r;
    render();
  } catch (e) {
    if (my !== seq || !root) return;
    clear(root).append(el('div', { class: 'card empty-state' },
      el('p', null, e.status === 404 ? T('incident.not_found') : `${T('error.load')}: ${e.message}`),
      el('a', { href: '#/queue' }, T('incident.back'))));
  }
}

async function act(fn, okKey) {
  try {
    await fn();
    ctx.toast(T(okKey), 'ok');
    load();
  } catch (e) {
    ctx.toast(`${T('error.action')}: ${e.status === 403 ? T('error.forbidden') : e.message}`, 'error');
  }
}

const setStatus = (s, extra) => act(() => api.patch(`/incidents/${incId}`, Object.assign({ status: s }, extra || {})), 'incident.saved');

function actions() {
  const role = ctx.session.role;
  const bar = el('div', { class: 'actions', id: 'actions' });
  if (!roleAtLeast(role, 'analyst')) {
    bar.append(el('span', { class: 'muted', id: 'readonly-note' }, T('incident.readonly')));
    return bar;
  }
  const btn = (id, key, fn, cls) => el('button', { type: 'button', id, class: cls || '', onclick: fn }, T(key));
  const s = inc.status;
  const closed = s === 'resolved' || s === 'false_positive';
  if (!closed && s !== 'acknowledged' && statusAllowed(role, 'acknowledged')) bar.append(btn('act-ack', 'action.acknowledge', () => setStatus('acknowledged'), 'primary'));
  if (!closed && s !== 'investigating' && statusAllowed(role, 'investigating')) bar.append(btn('act-inv', 'action.investigate', () => setStatus('investigating')));
  if (closed && statusAllowed(role, 'new')) bar.append(btn('act-reopen', 'action.reopen', () => setStatus('new')));
  if (roleAtLeast(role, 'responder')) {
    const disp = el('select', { id: 'act-disp', 'aria-label': T('field.disposition') },
      el('option', { value: '' }, T('incident.disp_choose')),
      DISPOSITIONS.map((d) => el('option', { value: d, selected: inc.disposition === d }, T(`disp.${d}`))));
    bar.append(el('span', { class: 'group' }, disp,
      s !== 'resolved' && btn('act-resolve', 'action.resolve', () => setStatus('resolved', disp.value ? { disposition: disp.value } : {})),
      s !== 'false_positive' && btn('act-fp', 'action.false_positive', () => setStatus('false_positive', { disposition: 'false_positive' }))));
  }
  const asg = el('input', { id: 'act-assignee', value: inc.assignee || '', placeholder: T('queue.assignee_ph'), 'aria-label': T('field.assignee'), size: 10 });
  bar.append(el('span', { class: 'group' }, asg,
    btn('act-assign', 'action.assign', () => act(() => api.patch(`/incidents/${incId}`, { assignee: asg.value.trim() || null }), 'incident.saved')),
    inc.assignee !== ctx.session.user && btn('act-take', 'action.take', () => act(() => api.patch(`/incidents/${incId}`, { assignee: ctx.session.user }), 'incident.saved'), 'ghost')));
  bar.append(btn('act-suppress', 'action.suppress', suppressDialog, 'ghost'));
  if (roleAtLeast(role, 'responder')) bar.append(btn('act-merge', 'action.merge', mergeDialog, 'ghost'));
  return bar;
}

function kv(rows) {
  return el('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [el('dt', null, T(k)), el('dd', null, v)]));
}

function ipList(list) {
  return (list || []).map((ip) => data('span', ip, { class: 'ip mono' }));
}

function summary() {
  const tz = ctx.tz;
  return el('section', { class: 'card', id: 'summary' }, el('h2', null, T('incident.summary')), kv([
    ['field.status', statusBadge(inc.status, T)],
    ['field.severity', sevBadge(inc.severity, T)],
    ['field.assignee', data('span', inc.assignee || '—')],
    ['field.disposition', inc.disposition ? el('span', null, has(`disp.${inc.disposition}`) ? T(`disp.${inc.disposition}`) : inc.disposition) : data('span', '—')],
    ['field.first_seen', data('span', fmtTime(inc.first_seen, tz), { class: 'mono', id: 'first-seen' })],
    ['field.last_seen', data('span', fmtTime(inc.last_seen, tz), { class: 'mono', id: 'last-seen' })],
    ['field.created', data('span', fmtTime(inc.created, tz), { class: 'mono' })],
    ['field.events', data('span', `${num(inc.event_count, ctx.lang)} / ${num(inc.hits, ctx.lang)}`, { class: 'mono' })],
    ['field.sensors', data('span', (inc.sensors || []).join(', '))],
    ['field.src', el('span', { class: 'ips' }, ipList(inc.src))],
    ['field.dest', el('span', { class: 'ips' }, ipList(inc.dest))],
    ['field.tags', el('span', { class: 'tags' }, (inc.tags || []).map((x) => data('span', x, { class: 'tag' })))],
    inc.suppressed_count ? ['field.suppressed', data('span', num(inc.suppressed_count, ctx.lang))] : null,
  ]));
}

function fieldsTable(obj, id) {
  const ent = Object.entries(obj || {});
  if (!ent.length) return data('p', '—', { class: 'muted' });
  return el('table', { class: 'grid small', id }, el('tbody', null, ent.map(([k, v]) =>
    el('tr', null, data('th', k, { class: 'mono' }), data('td', typeof v === 'object' ? JSON.stringify(v) : v, { class: 'mono' })))));
}

function why() {
  const w = inc.why || {};
  const rt = (ctx.lang === 'vi' ? w.rule_title_vi || w.rule_title : w.rule_title || w.rule_title_vi) || title(inc, ctx.lang);
  const desc = description(inc, ctx.lang);
  return el('section', { class: 'card', id: 'why' }, el('h2', null, T('incident.why')),
    el('p', { class: 'desc' }, data('span', desc, { id: 'inc-desc', lang: desc && desc === inc.description_vi ? 'vi' : 'en' })),
    kv([
      ['field.rule', el('span', null, data('span', rt), ' ', data('code', w.rule_id || inc.rule_id || '', { class: 'muted' }))],
      ['field.group_key', data('code', w.group_key || inc.group_key || '')],
    ]),
    el('div', { class: 'two' },
      el('div', null, el('h3', null, T('incident.group_fields')), fieldsTable(w.group_fields || inc.group_fields, 'group-fields')),
      el('div', null, el('h3', null, T('incident.matched')), fieldsTable(w.matched || inc.matched, 'matched'))));
}

function evSummary(ev) {
  const e = ev.event || {};
  const t = e.event_type || '';
  const ep = (ip, port) => (ip ? `${ip}${port !== undefined && port !== null ? `:${port}` : ''}` : '');
  const flowtxt = `${ep(e.src_ip, e.src_port)} → ${ep(e.dest_ip, e.dest_port)}`;
  const lines = [];
  if (t === 'alert' && e.alert) lines.push(data('span', e.alert.signature || `sid ${e.alert.signature_id}`, { class: 'ev-main' }));
  else if (t === 'fileinfo' && e.fileinfo) lines.push(data('span', e.fileinfo.filename || e.fileinfo.sha256 || '', { class: 'ev-main' }));
  else if (t === 'flow' && e.flow) lines.push(data('span', `${e.proto || ''} ${(e.ndpi && e.ndpi.protocol) || e.app_proto || ''} · ${bytes((e.flow.bytes_toserver || 0) + (e.flow.bytes_toclient || 0), ctx.lang)}`, { class: 'ev-main' }));
  else if (t === 'dns' && e.dns) lines.push(data('span', e.dns.rrname || (e.dns.queries && e.dns.queries[0] && e.dns.queries[0].rrname) || '', { class: 'ev-main' }));
  else if (t === 'tls' && e.tls) lines.push(data('span', e.tls.sni || '', { class: 'ev-main' }));
  lines.push(data('span', flowtxt, { class: 'ev-flow mono' }));
  if (e.http) {
    lines.push(el('span', { class: 'ev-http' }, data('span', e.http.http_method || '', { class: 'mono' }), ' ',
      data('span', `${e.http.hostname || ''}${e.http.url || ''}`, { class: 'mono' })));
    if (e.http.http_user_agent) lines.push(data('span', e.http.http_user_agent, { class: 'ev-ua mono' }));
  }
  if (e.fileinfo && t !== 'fileinfo') lines.push(data('span', e.fileinfo.filename || '', { class: 'mono' }));
  if (e.fileinfo && e.fileinfo.yara) lines.push(data('span', `YARA: ${[].concat(e.fileinfo.yara).map((y) => (y && y.rule) || y).join(', ')}`, { class: 'mono' }));
  return lines;
}

function timeline() {
  const evs = inc.events || [];
  const canMove = roleAtLeast(ctx.session.role, 'analyst');
  const items = evs.slice(0, showAll ? evs.length : TIMELINE_FIRST).map((ev) => {
    const e = ev.event || {};
    const type = e.event_type || '?';
    // The summary line is the <summary>: one click (or Enter) shows the EVE.
    const det = el('details', { class: 'ev-details' },
      el('summary', { title: T('incident.eve') },
        el('span', { class: 'ev-head' }, data('span', type, { class: `ev-type t-${type.replace(/[^a-z_]/g, '')}` }), evSummary(ev))),
      data('pre', JSON.stringify(e, null, 2), { class: 'mono eve' }));
    return el('li', { class: `ev ev-${type.replace(/[^a-z_]/g, '')}`, dataset: { ev: ev.id } },
      el('div', { class: 'ev-time mono' }, data('span', fmtTime(e.timestamp || ev.received, ctx.tz, { short: true }))),
      el('div', { class: 'ev-body' }, det),
      canMove && type === 'alert' && el('button', { type: 'button', class: 'ghost small ev-move', onclick: () => moveDialog(ev.id) }, T('action.move')));
  });
  return el('section', { class: 'card', id: 'timeline' },
    el('h2', null, T('incident.timeline'), ' ', el('span', { class: 'muted count' }, T('incident.shown', { n: evs.length, total: num(inc.event_count, ctx.lang) })),
      evs.length ? [' ', el('button', { type: 'button', class: 'ghost small', id: 'timeline-csv', onclick: exportTimeline }, T('export.csv'))] : null),
    evs.length ? el('ol', { class: 'events' }, items) : el('p', { class: 'muted' }, T('incident.no_events')),
    evs.length > items.length && el('button', { type: 'button', class: 'ghost', id: 'ev-more',
      onclick: () => { showAll = true; const old = root.querySelector('#timeline'); old.replaceWith(timeline()); } },
    T('incident.more', { n: num(evs.length - items.length, ctx.lang) })));
}

// The export's "signature / app" and "details" cells of one EVE event.
function evCells(e) {
  const t = e.event_type || '';
  const what = t === 'alert' && e.alert ? (e.alert.signature || `sid ${e.alert.signature_id}`)
    : (e.ndpi && e.ndpi.protocol) || e.app_proto || '';
  const det = [];
  if (e.alert && e.alert.category) det.push(e.alert.category);
  if (e.http) det.push(`${e.http.http_method || ''} ${e.http.hostname || ''}${e.http.url || ''}`.trim(), e.http.http_user_agent || '');
  if (e.dns) det.push(e.dns.rrname || (e.dns.queries && e.dns.queries[0] && e.dns.queries[0].rrname) || '');
  if (e.tls) det.push(e.tls.sni || '');
  if (e.fileinfo) {
    det.push(e.fileinfo.filename || '', e.fileinfo.sha256 || '');
    if (e.fileinfo.yara) det.push(`YARA: ${[].concat(e.fileinfo.yara).map((y) => (y && y.rule) || y).join(', ')}`);
  }
  if (t === 'flow' && e.flow) det.push(`${e.proto || ''} ${(e.flow.bytes_toserver || 0) + (e.flow.bytes_toclient || 0)} B`);
  return [what, det.filter(Boolean).join(' | ')];
}

// The timeline's events (all the API returned, not only those shown) as CSV.
function exportTimeline() {
  const tz = ctx.tz;
  const ep = (ip, port) => (ip ? `${ip}${port !== undefined && port !== null ? `:${port}` : ''}` : '');
  const rows = [[`${T('export.col_time')} (${zoneLabel(tz)})`, T('export.col_type'), T('export.col_what'),
    T('export.col_src'), T('export.col_dest'), T('export.col_details')]];
  for (const ev of inc.events || []) {
    const e = ev.event || {};
    const [what, details] = evCells(e);
    rows.push([csv.time(e.timestamp || ev.received, tz), e.event_type || '', what,
      ep(e.src_ip, e.src_port), ep(e.dest_ip, e.dest_port), details]);
  }
  csv.download(`canh-incident-${inc.id}-${csv.stamp(tz)}.csv`, rows);
}

function comments() {
  const list = inc.comments || [];
  const canComment = roleAtLeast(ctx.session.role, 'analyst');
  const box = canComment && el('form', { class: 'comment-form', id: 'comment-form' },
    el('textarea', { id: 'comment-body', rows: 3, placeholder: T('incident.comment_ph'), 'aria-label': T('incident.comment_ph'), maxlength: 65536 }),
    el('button', { type: 'submit', class: 'primary', id: 'comment-add' }, T('action.comment')));
  if (box) {
    box.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = box.querySelector('textarea').value.trim();
      if (body) act(() => api.post(`/incidents/${incId}/comments`, { body }), 'incident.commented');
    });
  }
  return el('section', { class: 'card', id: 'comments' }, el('h2', null, T('incident.comments')),
    list.length ? el('ul', { class: 'comments' }, list.map((c) => el('li', null,
      el('div', { class: 'c-meta' }, data('strong', c.author), ' ', data('span', fmtTime(c.created, ctx.tz), { class: 'muted mono' })),
      data('div', c.body, { class: 'c-body' })))) : el('p', { class: 'muted' }, T('incident.no_comments')),
    box);
}

// A status or disposition value in the user's language, anything else as data.
function value(field, v) {
  if (v === null || v === undefined || v === '') return data('span', '—');
  const key = field === 'status' ? `status.${v}` : field === 'disposition' ? `disp.${v}` : '';
  return key && has(key) ? el('span', null, T(key)) : data('span', v);
}

function auditDetail(a) {
  const d = a.detail;
  if (!d || typeof d !== 'object') return data('span', d || '', { class: 'a-detail' });
  let parts;
  if ('field' in d && ('from' in d || 'to' in d)) parts = [value(d.field, d.from), ' → ', value(d.field, d.to)];
  else if (a.action === 'merge') parts = [data('span', `#${d.from} → #${d.into}`)];
  else if (a.action === 'event_move') parts = [data('span', `${d.event_id}: #${d.from} → #${d.to}`)];
  else if (a.action === 'opened') parts = [data('span', d.group_key || '')];
  else if (a.action === 'comment') parts = [];
  else parts = [data('span', Object.entries(d).filter(([, v]) => v !== null && typeof v !== 'object').map(([k, v]) => `${k}=${v}`).join(' · '))];
  return el('span', { class: 'a-detail' }, parts);
}

function audit() {
  const list = inc.audit || [];
  return el('section', { class: 'card', id: 'audit' }, el('h2', null, T('incident.audit')),
    el('ol', { class: 'audit' }, list.map((a) => el('li', null,
      data('span', fmtTime(a.at, ctx.tz, { short: true }), { class: 'mono muted' }),
      data('strong', a.actor === 'system' ? T('audit.system') : a.actor),
      has(`audit.${a.action}`) ? el('span', { class: 'a-act' }, T(`audit.${a.action}`)) : data('span', a.action, { class: 'a-act' }),
      auditDetail(a)))));
}

function related() {
  const list = inc.related || [];
  return el('section', { class: 'card', id: 'related' }, el('h2', null, T('incident.related')),
    list.length ? el('ul', { class: 'related' }, list.map((r) => el('li', null,
      sevBadge(r.severity, T), ' ', data('a', `#${r.id} ${title(r, ctx.lang)}`, { href: `#/incident/${r.id}` }), ' ',
      statusBadge(r.status, T)))) : el('p', { class: 'muted' }, T('incident.no_related')));
}

// es_links: {"src": url, "dest": url, "by_ip": {ip: url}}: one link per
// address (by_ip), else the src/dest pair. URLs that are not http(s) are
// dropped by el().
function esLinks(links) {
  const byIp = links.by_ip && typeof links.by_ip === 'object' ? Object.entries(links.by_ip)
    : Object.entries(links).filter(([, u]) => typeof u === 'string');
  if (!byIp.length) return null;
  return el('section', { class: 'card', id: 'es-links' }, el('h2', null, T('incident.search')),
    el('ul', { class: 'links' }, byIp.map(([k, u]) => el('li', null,
      data('a', `${k} ↗`, { href: u, target: '_blank', rel: 'noopener noreferrer', class: 'mono' })))));
}

// The national-centre reporting state of the newest version (the API's
// `reporting`: state pending / sent / failed / none, the reason of the last
// failed attempt, attempts, next attempt, sent time, transport). Absent when
// the correlator has no reporting module.
function reporting() {
  const rep = inc.reporting;
  if (!rep || typeof rep !== 'object') return null;
  const st = typeof rep.state === 'string' ? rep.state : 'unknown';
  const known = ['pending', 'sent', 'failed', 'none', 'unknown'].includes(st);
  const badge = known ? el('span', { class: `rep rep-${st}`, id: 'rep-state', dataset: { state: st } }, T(`rep.${st}`))
    : data('span', st, { class: 'rep', id: 'rep-state', dataset: { state: st } });
  const tz = ctx.tz;
  const transports = { taxii: 'TAXII 2.1', post: 'HTTPS POST' };
  const time = (v, id) => data('span', fmtTime(v, tz), { class: 'mono', id });
  return el('section', { class: 'card', id: 'reporting' }, el('h2', null, T('incident.reporting')), kv([
    ['rep.state', badge],
    rep.reason && st !== 'sent' ? ['rep.reason', data('span', rep.reason, { id: 'rep-reason', class: 'rep-reason' })] : null,
    rep.version ? ['rep.version', time(rep.version, 'rep-version')] : null,
    rep.attempts ? ['rep.attempts', data('span', num(rep.attempts, ctx.lang), { class: 'mono', id: 'rep-attempts' })] : null,
    rep.next_attempt && st !== 'sent' ? ['rep.next', time(rep.next_attempt, 'rep-next')] : null,
    rep.sent ? ['rep.sent_at', time(rep.sent, 'rep-sent')] : null,
    rep.transport ? ['rep.transport', data('span', transports[rep.transport] || rep.transport)] : null,
  ]), st === 'failed' && !rep.next_attempt ? el('p', { class: 'muted', id: 'rep-stopped' }, T('rep.stopped')) : null);
}

function side() {
  const links = inc.es_links || {};
  return [
    summary(),
    audit(),
    reporting(),
    esLinks(links),
    related(),
  ];
}

function render() {
  if (!root) return;
  clear(root);
  root.append(
    el('div', { class: 'inc-head' },
      el('a', { href: '#/queue', class: 'back', id: 'back' }, T('incident.back')),
      el('div', { class: 'inc-title' },
        sevBadge(inc.severity, T),
        el('h1', null, data('span', `#${inc.id}`, { class: 'muted mono' }), ' ', data('span', title(inc, ctx.lang), { id: 'inc-title' })),
        statusBadge(inc.status, T)),
      actions()),
    el('div', { class: 'inc-grid' },
      el('div', { class: 'inc-main' }, why(), comments(), timeline()),
      el('aside', { class: 'inc-side' }, side())));
}

// A modal form; onOk(form) returns a promise; the dialog is removed after.
function dialog(id, titleKey, body, onOk) {
  const d = el('dialog', { class: 'dlg', id });
  const f = el('form', { method: 'dialog' }, el('h2', null, T(titleKey)), body,
    el('div', { class: 'dlg-buttons' },
      el('button', { type: 'button', class: 'ghost', value: 'cancel', onclick: () => d.close() }, T('common.cancel')),
      el('button', { type: 'submit', class: 'primary', value: 'ok' }, T('common.ok'))));
  f.addEventListener('submit', (e) => { e.preventDefault(); d.close(); onOk(f); });
  d.addEventListener('close', () => d.remove());
  d.append(f);
  document.body.append(d);
  d.showModal();
  return d;
}

function suppressDialog() {
  const addrs = [...new Set([...(inc.src || []), ...(inc.dest || [])])];
  const expiries = [[1, 'h1'], [24, 'h24'], [168, 'd7'], [720, 'd30']];
  const body = el('div', { class: 'form' },
    el('fieldset', null, el('legend', null, T('supp.what')),
      ['rule', 'address', 'both'].map((k, i) => el('label', { class: 'inline' },
        el('input', { type: 'radio', name: 'what', value: k, checked: i === 0 }), T(`supp.${k}`)))),
    el('label', null, el('span', null, T('supp.address')),
      el('select', { name: 'address' }, addrs.map((a) => data('option', a, { value: a })))),
    el('label', null, el('span', null, T('supp.expires')),
      el('select', { name: 'expires' }, expiries.map(([h, k]) => el('option', { value: h, selected: h === 24 }, T(`supp.${k}`))))),
    el('label', null, el('span', null, T('supp.reason')), el('textarea', { name: 'reason', rows: 2, required: true })));
  dialog('suppress-dlg', 'supp.title', body, (f) => {
    const what = f.querySelector('input[name=what]:checked').value;
    const b = {
      reason: f.reason.value.trim(),
      expires: new Date(Date.now() + Number(f.expires.value) * 3600e3).toISOString(),
      incident: inc.id,
    };
    if (what !== 'address') b.rule_id = inc.rule_id;
    if (what !== 'rule') b.address = f.address.value;
    act(() => api.post('/suppressions', b), 'supp.done');
  });
}

function targetDialog(id, titleKey, onOk) {
  const body = el('label', null, el('span', null, T('incident.target')),
    el('input', { name: 'target', type: 'number', min: 1, required: true }));
  dialog(id, titleKey, body, (f) => onOk(Number(f.target.value)));
}

function mergeDialog() {
  targetDialog('merge-dlg', 'merge.title', (to) =>
    act(() => api.post(`/incidents/${incId}/merge`, { into: to }), 'merge.done'));
}

function moveDialog(eventId) {
  targetDialog('move-dlg', 'move.title', (to) =>
    act(() => api.post(`/incidents/${incId}/events/move`, { event_id: eventId, to }), 'move.done'));
}

export function onKey(e) {
  if (!root || !inc) return;
  const role = ctx.session.role;
  const closed = inc.status === 'resolved' || inc.status === 'false_positive';
  if (e.key === 'a' && !closed && inc.status !== 'acknowledged' && statusAllowed(role, 'acknowledged')) setStatus('acknowledged');
  else if (e.key === 'Escape' || e.key === 'u') ctx.navigate('#/queue');
  else if (e.key === 'c' && roleAtLeast(role, 'analyst')) { e.preventDefault(); const b = root.querySelector('#comment-body'); if (b) b.focus(); }
}

