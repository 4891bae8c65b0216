// suppressions.js: the list of suppressions (GET /suppressions): rule,
// address, reason, expiry, who made it and from which incident, hits; with a
// remove button for analysts and above (DELETE /suppressions/{id}, audited by
// the server, which refuses other roles anyway). Expired rows stay listed,
// dimmed, until someone removes them; the view refreshes every 30 s.

import * as api from './api.js';
import { el, clear, data, fmtTime, num, roleAtLeast, title } from './format.js';

let ctx = null;
let root = null;
let timer = 0;
let seq = 0;
let showExpired = true;

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

async function load() {
  const my = ++seq;
  try {
    const r = await api.get('/suppressions');
    if (my !== seq || !root) return;
    render(Array.isArray(r) ? r : r.suppressions || []);
  } catch (e) {
    if (my !== seq || !root) return;
    clear(root).append(el('div', { class: 'card empty-state' }, el('p', null, `${T('error.load')}: ${e.message}`)));
  }
}

function ruleCell(s) {
  if (!s.rule_id) return el('span', { class: 'muted' }, T('supp.any_rule'));
  const named = s.incident_rule_id === s.rule_id &&
    title({ title: s.incident_title, title_vi: s.incident_title_vi }, ctx.lang);
  return el('span', null, named ? [data('span', named), el('br')] : null,
    data('code', s.rule_id, { class: 'muted small' }));
}

function row(s, canRemove) {
  const tz = ctx.tz;
  const expired = s.expired || new Date(s.expires).getTime() <= Date.now();
  return el('tr', { dataset: { id: s.id }, class: expired ? 'expired' : '' },
    data('td', s.id, { class: 'mono' }),
    el('td', { class: 'sup-rule' }, ruleCell(s)),
    el('td', { class: 'sup-addr' }, s.address ? data('span', s.address, { class: 'mono' }) : el('span', { class: 'muted' }, T('supp.any_address'))),
    data('td', s.reason, { class: 'sup-reason' }),
    el('td', { class: 'sup-expires' }, data('span', fmtTime(s.expires, tz), { class: 'mono' }),
      expired ? [' ', el('span', { class: 'rep rep-none' }, T('supp.expired'))] : null),
    el('td', null, data('strong', s.created_by), el('br'), data('span', fmtTime(s.created, tz, { short: true }), { class: 'mono muted' })),
    el('td', { class: 'num' }, data('span', num(s.hits, ctx.lang), { class: 'mono sup-hits' }),
      s.last_hit ? [el('br'), data('span', fmtTime(s.last_hit, tz, { short: true }), { class: 'mono muted' })] : null),
    el('td', null, s.incident ? el('a', { href: `#/incident/${s.incident}` }, data('span', `#${s.incident}`)) : data('span', '—', { class: 'muted' })),
    canRemove ? el('td', null, el('button', { type: 'button', class: 'ghost small sup-remove', onclick: () => confirmRemove(s) }, T('supp.remove'))) : null);
}

function render(list) {
  const canRemove = roleAtLeast(ctx.session.role, 'analyst');
  const shown = showExpired ? list : list.filter((s) => !s.expired);
  const nExpired = list.filter((s) => s.expired).length;
  const toggle = el('label', { class: 'inline' },
    el('input', { type: 'checkbox', id: 'sup-show-expired', checked: showExpired,
      onchange: (e) => { showExpired = e.target.checked; render(list); } }),
    T('supp.show_expired', { n: num(nExpired, ctx.lang) }));
  const cols = ['supp.col_id', 'supp.col_rule', 'supp.col_address', 'supp.col_reason', 'supp.col_expires',
    'supp.col_created_by', 'supp.col_hits', 'supp.col_incident'];
  clear(root).append(el('section', { class: 'card', id: 'suppressions' },
    el('div', { class: 'toolbar' }, el('h1', null, T('supp.list_title')), el('span', { class: 'spacer' }), toggle),
    el('p', { class: 'muted' }, T('supp.list_help')),
    shown.length ? el('table', { class: 'grid', id: 'sup-table' },
      el('thead', null, el('tr', null, cols.map((k) => el('th', null, T(k))), canRemove ? el('th', null, el('span', { class: 'sr' }, T('supp.remove'))) : null)),
      el('tbody', { id: 'sup-rows' }, shown.map((s) => row(s, canRemove))))
      : el('p', { class: 'muted empty-state', id: 'sup-empty' }, T('supp.none'))));
}

function confirmRemove(s) {
  const d = el('dialog', { class: 'dlg', id: 'sup-remove-dlg' });
  const what = [s.rule_id || T('supp.any_rule'), s.address || T('supp.any_address')].join(' · ');
  const f = el('form', { method: 'dialog' },
    el('h2', null, T('supp.remove_title')),
    el('p', null, T('supp.remove_q')),
    data('p', `#${s.id}: ${what}`, { class: 'mono' }),
    data('p', s.reason, { class: 'muted' }),
    el('div', { class: 'dlg-buttons' },
      el('button', { type: 'button', class: 'ghost', onclick: () => d.close() }, T('common.cancel')),
      el('button', { type: 'submit', class: 'primary danger', id: 'sup-remove-ok' }, T('supp.remove'))));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    d.close();
    try {
      await api.del(`/suppressions/${s.id}`);
      ctx.toast(T('supp.removed'), 'ok');
    } catch (err) {
      ctx.toast(`${T('error.action')}: ${err.status === 403 ? T('error.forbidden') : err.message}`, 'error');
    }
    load();
  });
  d.addEventListener('close', () => d.remove());
  d.append(f);
  document.body.append(d);
  d.showModal();
}
