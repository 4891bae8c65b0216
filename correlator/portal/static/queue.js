// queue.js: the incident queue: status tabs with counts, filters, sortable
// columns, paging, bulk acknowledge/assign and j/k/Enter/a/x keys. Every 5 s
// it asks for incidents updated since the newest it knows (updated_since)
// and, only when something changed, refreshes the page in place: rows are
// keyed by id and rebuilt only when their `updated` time moved.

import * as api from './api.js';
import * as csv from './csv.js';
import { has } from './i18n.js';
import { el, clear, data, fmtTime, num, sevBadge, statusBadge, title, debounce,
  localInputToIso, roleAtLeast, zoneLabel, STATUSES } from './format.js';

const POLL_MS = 5000;
const LIMIT = 50;
const EXPORT_MAX = 10000; // rows in one CSV export
const EXPORT_PAGE = 500;  // api.page-max's default; a smaller server limit falls back to LIMIT
const FILTERS = ['status', 'severity', 'sensor', 'address', 'rule', 'assignee', 'since', 'until', 'q'];
const COLS = [
  // [key, sort field or null, class]
  ['sel', null, 'c-sel'], ['id', 'id', 'c-id'], ['severity', 'severity', 'c-sev'],
  ['title', null, 'c-title'], ['status', null, 'c-st'], ['entities', null, 'c-ent'],
  ['events', 'event_count', 'c-num'], ['first_seen', 'first_seen', 'c-time'],
  ['last_seen', 'last_seen', 'c-time'], ['assignee', null, 'c-asg'],
];

// State kept across visits (back from an incident returns to the same view).
const st = {
  f: { status: 'new,acknowledged,investigating' },
  sort: '-last_seen', offset: 0, cursor: 0,
  // maxId: the newest incident id when the page was opened (ids grow with
  // creation), so rows above it are new since then; -1 until known.
  selected: new Set(), maxId: -1, freshIds: new Set(), lastUpdated: '',
};

let ctx = null;
let root = null;
let tbody = null;
let rows = new Map(); // id -> {tr, updated}
let order = [];
let timer = 0;
let seq = 0; // drops answers of superseded requests
let parts = {};

export function mount(view, c, params) {
  ctx = c;
  root = view;
  rows = new Map();
  order = [];
  if ([...params.keys()].length) {
    st.f = {};
    for (const k of FILTERS) if (params.get(k)) st.f[k] = params.get(k);
    if (params.get('sort')) st.sort = params.get('sort');
    st.offset = Number(params.get('offset')) || 0;
  }
  build();
  refresh(true);
  timer = setInterval(poll, POLL_MS);
}

export function unmount() {
  clearInterval(timer);
  timer = 0;
  seq++;
  root = null;
}

function T(k, p) { return ctx.t(k, p); }

function build() {
  const t = T;
  const canEdit = roleAtLeast(ctx.session.role, 'analyst');
  const tabs = el('div', { class: 'tabs', role: 'tablist', id: 'status-tabs' });
  const mkTab = (value, key) => {
    const b = el('button', { type: 'button', role: 'tab', class: 'tab', dataset: { status: value } },
      el('span', null, t(key)), el('span', { class: 'count', 'data-wire': '' }, ''));
    b.addEventListener('click', () => { st.f.status = value; st.offset = 0; st.selected.clear(); sync(); });
    tabs.append(b);
  };
  mkTab('new,acknowledged,investigating', 'queue.tab_open');
  for (const s of STATUSES) mkTab(s, `status.${s}`);
  mkTab('', 'queue.tab_all');

  const search = el('input', { id: 'q', type: 'search', placeholder: t('queue.search'),
    'aria-label': t('queue.search'), value: st.f.q || '', 'aria-keyshortcuts': '/' });
  const onText = debounce(() => sync(), 300);
  search.addEventListener('input', () => { st.f.q = search.value.trim(); st.offset = 0; onText(); });

  const sev = el('select', { id: 'f-severity', 'aria-label': t('queue.f_severity') },
    el('option', { value: '' }, t('queue.sev_any')),
    [1, 2, 3, 4].map((n) => el('option', { value: n, selected: String(n) === st.f.severity }, t(`queue.sev_le${n}`))));
  sev.addEventListener('change', () => { st.f.severity = sev.value; st.offset = 0; sync(); });
  const txt = (id, key) => {
    const i = el('input', { id: `f-${id}`, placeholder: t(key), 'aria-label': t(key), value: st.f[id] || '', size: 14 });
    i.addEventListener('input', () => { st.f[id] = i.value.trim(); st.offset = 0; onText(); });
    return i;
  };
  const dt = (id, key) => {
    const i = el('input', { id: `f-${id}`, type: 'datetime-local', step: 1, 'aria-label': t(key), title: t(key) });
    i.addEventListener('change', () => { st.f[id] = localInputToIso(i.value, ctx.tz); st.offset = 0; sync(); });
    return el('label', { class: 'dt' }, el('span', null, t(key)), i);
  };
  const reset = el('button', { type: 'button', class: 'ghost', id: 'f-reset' }, t('queue.reset'));
  reset.addEventListener('click', () => { st.f = { status: st.f.status }; st.offset = 0; clear(root); build(); refresh(true); });

  const bulk = el('div', { class: 'bulk', id: 'bulk', hidden: true },
    el('span', { id: 'bulk-n' }),
    canEdit && el('button', { type: 'button', id: 'bulk-ack', onclick: () => bulkSet({ status: 'acknowledged' }) }, t('action.acknowledge')),
    canEdit && el('button', { type: 'button', id: 'bulk-inv', onclick: () => bulkSet({ status: 'investigating' }) }, t('action.investigate')),
    canEdit && el('input', { id: 'bulk-assignee', placeholder: t('queue.assignee_ph'), 'aria-label': t('queue.assignee_ph'), size: 12 }),
    canEdit && el('button', { type: 'button', id: 'bulk-assign', onclick: () => {
      const v = root.querySelector('#bulk-assignee').value.trim();
      bulkSet({ assignee: v || null });
    } }, t('action.assign')),
    el('button', { type: 'button', class: 'ghost', onclick: () => { st.selected.clear(); updateSel(); } }, t('queue.unselect')));

  const head = el('tr', null, COLS.map(([k, sf, cls]) => {
    if (k === 'sel') {
      const all = el('input', { type: 'checkbox', id: 'sel-all', 'aria-label': t('queue.select_all') });
      all.addEventListener('change', () => {
        for (const id of order) if (all.checked) st.selected.add(id); else st.selected.delete(id);
        updateSel();
      });
      return el('th', { class: cls }, all);
    }
    const label = k === 'first_seen' || k === 'last_seen' ? t(`col.${k}`) : t(`col.${k}`);
    if (!sf) return el('th', { class: cls, scope: 'col' }, label);
    const b = el('button', { type: 'button', class: 'sort', dataset: { sort: sf } }, label, el('span', { class: 'arrow', 'aria-hidden': 'true' }));
    b.addEventListener('click', () => {
      st.sort = st.sort === `-${sf}` ? sf : `-${sf}`;
      st.offset = 0;
      sync();
    });
    return el('th', { class: cls, scope: 'col', 'aria-sort': 'none', dataset: { col: sf } }, b);
  }));
  tbody = el('tbody', { id: 'rows' });
  const table = el('table', { class: 'grid queue', id: 'queue' }, el('thead', null, head), tbody);

  const pager = el('div', { class: 'pager' },
    el('span', { class: 'fresh-note', id: 'fresh', hidden: true }),
    el('span', { id: 'range' }),
    el('button', { type: 'button', id: 'prev', class: 'ghost', onclick: () => page(-1) }, t('queue.prev')),
    el('button', { type: 'button', id: 'next', class: 'ghost', onclick: () => page(1) }, t('queue.next')));

  parts = { tabs, search, table, pager, sev };
  root.append(
    el('div', { class: 'toolbar' }, tabs, el('span', { class: 'spacer' }), search,
      el('button', { type: 'button', class: 'ghost', id: 'export-csv', onclick: exportCsv }, t('export.csv'))),
    el('div', { class: 'filters' }, sev, txt('sensor', 'queue.f_sensor'), txt('address', 'queue.f_address'),
      txt('rule', 'queue.f_rule'), txt('assignee', 'queue.f_assignee'), dt('since', 'queue.f_since'),
      dt('until', 'queue.f_until'), reset),
    bulk,
    el('div', { class: 'table-wrap' }, table),
    pager,
    el('p', { class: 'hint muted' }, t('queue.hint')));
  markTabs();
  markSort();
}

function page(d) {
  st.offset = Math.max(0, st.offset + d * LIMIT);
  sync();
}

// Filters changed: new URL (replaceState, no re-mount) and a fresh query.
function sync() {
  const q = {};
  for (const k of FILTERS) if (st.f[k]) q[k] = st.f[k];
  if (st.sort !== '-last_seen') q.sort = st.sort;
  if (st.offset) q.offset = st.offset;
  const s = new URLSearchParams(q).toString();
  history.replaceState(null, '', `#/queue${s ? `?${s}` : ''}`);
  markTabs();
  markSort();
  refresh(true);
}

function markTabs() {
  for (const b of parts.tabs.querySelectorAll('.tab')) {
    const on = b.dataset.status === (st.f.status || '');
    b.classList.toggle('on', on);
    b.setAttribute('aria-selected', on ? 'true' : 'false');
  }
}

function markSort() {
  for (const th of parts.table.querySelectorAll('th[data-col]')) {
    const c = th.dataset.col;
    const dir = st.sort === c ? 'ascending' : st.sort === `-${c}` ? 'descending' : 'none';
    th.setAttribute('aria-sort', dir);
    th.querySelector('.arrow').textContent = dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '';
  }
}

function params(extra) {
  const p = { limit: LIMIT, offset: st.offset, sort: st.sort };
  for (const k of FILTERS) if (st.f[k]) p[k] = st.f[k];
  return Object.assign(p, extra || {});
}

async function refresh(resetCursor) {
  const my = ++seq;
  if (st.maxId < 0) {
    try {
      const r = await api.get('/incidents?limit=1&sort=-id');
      st.maxId = r.incidents && r.incidents.length ? r.incidents[0].id : 0;
    } catch { /* rows are then never marked new */ }
  }
  const cp = params();
  delete cp.status; delete cp.limit; delete cp.offset; delete cp.sort;
  try {
    const [res, counts] = await Promise.all([
      api.get(`/incidents${api.qs(params())}`),
      api.get(`/incidents/counts${api.qs(cp)}`).catch(() => null),
    ]);
    if (my !== seq || !root) return;
    render(res, resetCursor);
    renderCounts(counts);
  } catch (e) {
    if (my !== seq || !root) return;
    if (e.status !== 401) ctx.toast(`${T('error.load')}: ${e.message}`, 'error');
  }
}

async function poll() {
  if (!root || document.hidden) return;
  try {
    const res = await api.get(`/incidents${api.qs({ updated_since: st.lastUpdated, limit: LIMIT })}`);
    const changed = (res.incidents || []).filter((i) => !st.lastUpdated || i.updated > st.lastUpdated);
    if (changed.length && root) {
      for (const i of changed) {
        if (i.updated > st.lastUpdated) st.lastUpdated = i.updated;
        if (st.maxId >= 0 && i.id > st.maxId) st.freshIds.add(i.id);
      }
      if (st.freshIds.size) {
        const n = root.querySelector('#fresh');
        n.textContent = T('queue.fresh', { n: st.freshIds.size });
        n.hidden = false;
      }
      refresh(false);
    }
  } catch { /* the next poll tries again; a 401 already showed the login */ }
}

function renderCounts(c) {
  for (const b of parts.tabs.querySelectorAll('.tab')) {
    const span = b.querySelector('.count');
    if (!c) { span.textContent = ''; continue; }
    const sts = b.dataset.status ? b.dataset.status.split(',') : STATUSES;
    span.textContent = num(sts.reduce((a, s) => a + (c[s] || 0), 0), ctx.lang);
  }
}

function render(res, resetCursor) {
  const list = res.incidents || [];
  const next = new Map();
  const frag = [];
  for (const inc of list) {
    if (inc.updated > st.lastUpdated) st.lastUpdated = inc.updated;
    let r = rows.get(inc.id);
    if (!r || r.updated !== inc.updated) {
      const tr = row(inc, st.maxId < 0 || inc.id <= st.maxId);
      if (r) r.tr.replaceWith(tr);
      r = { tr, updated: inc.updated };
    }
    next.set(inc.id, r);
    frag.push(r.tr);
  }
  for (const [id, r] of rows) if (!next.has(id)) r.tr.remove();
  // Reorder only when the order differs (keeps focus and selection stable).
  const ids = list.map((i) => i.id);
  if (ids.join() !== order.join()) tbody.append(...frag);
  rows = next;
  order = ids;
  if (!list.length) {
    if (!tbody.querySelector('.empty')) tbody.append(el('tr', { class: 'empty' }, el('td', { colspan: COLS.length }, T('queue.empty'))));
  } else {
    const e = tbody.querySelector('.empty');
    if (e) e.remove();
  }
  for (const id of [...st.selected]) if (!next.has(id)) st.selected.delete(id);
  const total = res.total || 0;
  root.querySelector('#range').textContent = total
    ? T('queue.range', { from: num(st.offset + 1, ctx.lang), to: num(st.offset + list.length, ctx.lang), total: num(total, ctx.lang) })
    : '';
  root.querySelector('#prev').disabled = st.offset === 0;
  root.querySelector('#next').disabled = st.offset + list.length >= total;
  if (resetCursor) st.cursor = 0;
  st.cursor = Math.min(st.cursor, Math.max(0, order.length - 1));
  markCursor(false);
  updateSel();
}

function row(inc, seen) {
  const t = T;
  const cb = el('input', { type: 'checkbox', class: 'sel', 'aria-label': t('queue.select_row', { id: inc.id }), checked: st.selected.has(inc.id) });
  cb.addEventListener('change', () => { if (cb.checked) st.selected.add(inc.id); else st.selected.delete(inc.id); updateSel(); });
  const href = `#/incident/${inc.id}`;
  const gf = inc.group_fields || {};
  const src = gf.src_ip || (inc.src || [])[0] || '';
  const dst = gf.dest_ip || (inc.dest || [])[0] || '';
  const ent = el('td', { class: 'c-ent mono' },
    src && data('span', src, { class: 'ip' }),
    src && dst && el('span', { class: 'arrow-r', 'aria-hidden': 'true' }, '→'),
    dst && data('span', dst, { class: 'ip' }),
    !src && !dst && data('span', inc.group_key || ''));
  const tr = el('tr', { dataset: { id: inc.id }, class: `sev-row-${inc.severity}${seen ? '' : ' fresh'}` },
    el('td', { class: 'c-sel' }, cb),
    el('td', { class: 'c-id mono' }, data('a', `#${inc.id}`, { href })),
    el('td', { class: 'c-sev' }, sevBadge(inc.severity, t)),
    el('td', { class: 'c-title' }, data('a', title(inc, ctx.lang), { href, class: 'title-link' }),
      (inc.sensors || []).length ? data('span', (inc.sensors || []).join(', '), { class: 'sub' }) : null),
    el('td', { class: 'c-st' }, statusBadge(inc.status, t)),
    ent,
    el('td', { class: 'c-num mono' }, data('span', num(inc.event_count, ctx.lang))),
    el('td', { class: 'c-time mono' }, data('span', fmtTime(inc.first_seen, ctx.tz, { short: true }), { title: fmtTime(inc.first_seen, ctx.tz) })),
    el('td', { class: 'c-time mono' }, data('span', fmtTime(inc.last_seen, ctx.tz, { short: true }), { title: fmtTime(inc.last_seen, ctx.tz) })),
    el('td', { class: 'c-asg' }, data('span', inc.assignee || '')));
  tr.addEventListener('click', (e) => {
    if (e.target.closest('a,input,button')) return;
    st.cursor = order.indexOf(inc.id);
    markCursor(false);
  });
  tr.addEventListener('dblclick', () => ctx.navigate(href));
  return tr;
}

// Every incident matching the current filters and sort (all pages, at most
// EXPORT_MAX rows) as a CSV in the user's language and zone.
async function exportCsv() {
  const btn = root && root.querySelector('#export-csv');
  if (!btn || btn.disabled) return;
  btn.disabled = true;
  const lang = ctx.lang;
  const tz = ctx.tz;
  try {
    const list = [];
    let size = EXPORT_PAGE;
    let total = 0;
    for (let off = 0; off < EXPORT_MAX; off += size) {
      let res;
      try {
        res = await api.get(`/incidents${api.qs(params({ limit: Math.min(size, EXPORT_MAX - off), offset: off }))}`);
      } catch (e) {
        if (e.status !== 400 || size === LIMIT) throw e;
        size = LIMIT; // the server's api.page-max is below EXPORT_PAGE
        off -= size;
        continue;
      }
      const got = res.incidents || [];
      total = res.total || 0;
      list.push(...got);
      if (!got.length || off + got.length >= total) break;
    }
    const zone = zoneLabel(tz);
    const rows = [[T('col.id'), T('col.severity'), T('col.title'), T('col.status'), T('field.disposition'),
      T('field.rule'), T('field.src'), T('field.dest'), T('field.sensors'), T('col.events'),
      `${T('col.first_seen')} (${zone})`, `${T('col.last_seen')} (${zone})`, T('col.assignee')]];
    for (const i of list) {
      rows.push([i.id, T(`sev.${i.severity}`), title(i, lang), T(`status.${i.status}`),
        i.disposition ? (has(`disp.${i.disposition}`) ? T(`disp.${i.disposition}`) : i.disposition) : '',
        i.rule_id, (i.src || []).join(' '), (i.dest || []).join(' '), (i.sensors || []).join(' '),
        i.event_count, csv.time(i.first_seen, tz), csv.time(i.last_seen, tz), i.assignee || '']);
    }
    csv.download(`canh-incidents-${csv.stamp(tz)}.csv`, rows);
    if (total > list.length) ctx.toast(T('export.truncated', { n: num(list.length, lang), total: num(total, lang) }), 'error');
  } catch (e) {
    if (e.status !== 401) ctx.toast(`${T('error.load')}: ${e.message}`, 'error');
  } finally {
    btn.disabled = false;
  }
}

function markCursor(scroll) {
  const id = order[st.cursor];
  for (const [rid, r] of rows) r.tr.classList.toggle('cur', rid === id);
  if (scroll && rows.has(id)) rows.get(id).tr.scrollIntoView({ block: 'nearest' });
}

function updateSel() {
  if (!root) return;
  for (const [id, r] of rows) {
    const cb = r.tr.querySelector('input.sel');
    cb.checked = st.selected.has(id);
    r.tr.classList.toggle('picked', cb.checked);
  }
  const bulk = root.querySelector('#bulk');
  bulk.hidden = st.selected.size === 0;
  root.querySelector('#bulk-n').textContent = T('queue.selected', { n: st.selected.size });
  const all = root.querySelector('#sel-all');
  all.checked = order.length > 0 && order.every((id) => st.selected.has(id));
}

async function bulkSet(change) {
  const ids = [...st.selected];
  if (!ids.length) return;
  try {
    let res;
    try {
      res = await api.post('/incidents/bulk', Object.assign({ ids }, change));
    } catch (e) {
      if (e.status !== 404 && e.status !== 405) throw e;
      // Before /incidents/bulk existed: one PATCH per incident.
      res = { updated: 0, errors: [] };
      for (const id of ids) {
        try { await api.patch(`/incidents/${id}`, change); res.updated++; } catch (e2) { res.errors.push({ id, error: e2.message }); }
      }
    }
    ctx.toast(T('queue.bulk_done', { n: res.updated }) + (res.errors && res.errors.length ? ` · ${T('queue.bulk_errors', { n: res.errors.length })}` : ''),
      res.errors && res.errors.length ? 'error' : 'ok');
    st.selected.clear();
    refresh(false);
  } catch (e) {
    ctx.toast(`${T('error.action')}: ${e.message}`, 'error');
  }
}

export function onKey(e) {
  if (!root) return;
  const id = order[st.cursor];
  switch (e.key) {
    case 'j': st.cursor = Math.min(order.length - 1, st.cursor + 1); markCursor(true); break;
    case 'k': st.cursor = Math.max(0, st.cursor - 1); markCursor(true); break;
    case 'Enter': if (id !== undefined) ctx.navigate(`#/incident/${id}`); break;
    case '/': e.preventDefault(); parts.search.focus(); parts.search.select(); break;
    case 'x':
      if (id === undefined) break;
      if (st.selected.has(id)) st.selected.delete(id); else st.selected.add(id);
      updateSel();
      break;
    case 'a':
      if (!roleAtLeast(ctx.session.role, 'analyst')) break;
      if (!st.selected.size && id !== undefined) st.selected.add(id);
      bulkSet({ status: 'acknowledged' });
      break;
    case 'ArrowRight': if (!root.querySelector('#next').disabled) page(1); break;
    case 'ArrowLeft': if (!root.querySelector('#prev').disabled) page(-1); break;
    default: return;
  }
}
