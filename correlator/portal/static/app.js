// app.js: the portal's entry point: session (login, logout, whoami),
// header, language and time-zone preferences, hash router and global keys.
// Views (queue.js, incident.js, dashboard.js, suppressions.js) render into <main id="view">
// and get one context object; they never touch the header.

import * as api from './api.js';
import { applyI18n, loadLang, t, currentLang, LANGS } from './i18n.js';
import { el, clear, zoneLabel } from './format.js';
import * as queue from './queue.js';
import * as incident from './incident.js';
import * as dashboard from './dashboard.js';
import * as suppressions from './suppressions.js';
import { openZoneDialog, zoneUsable } from './zone.js';

const DEFAULT_TZ = 'Asia/Ho_Chi_Minh';
const $ = (id) => document.getElementById(id);

const ctx = {
  session: null, // {user, role, csrf, lang, tz}
  get lang() { return currentLang(); },
  get tz() { return (this.session && this.session.tz) || DEFAULT_TZ; }, // checked by startSession
  t,
  toast,
  navigate(h) { if (location.hash === h) route(); else location.hash = h; },
};

let current = null; // the mounted view module
let gPending = false;

function toast(msg, kind) {
  const e = $('toast');
  e.textContent = msg;
  e.className = `toast ${kind || ''}`;
  e.hidden = false;
  clearTimeout(toast.h);
  toast.h = setTimeout(() => { e.hidden = true; }, kind === 'error' ? 6000 : 2500);
}

function storedLang() {
  try { return localStorage.getItem('canh.lang') || 'vi'; } catch { return 'vi'; }
}

function storeLang(l) {
  try { localStorage.setItem('canh.lang', l); } catch { /* private mode */ }
}

function applyTheme() {
  let th = null;
  try { th = localStorage.getItem('canh.theme'); } catch { /* ignore */ }
  if (th) document.documentElement.dataset.theme = th;
  else delete document.documentElement.dataset.theme;
}

function unmount() {
  if (current && current.unmount) current.unmount();
  current = null;
}

function showLogin(errKey) {
  unmount();
  ctx.session = null;
  api.setCsrf('');
  $('top').hidden = true;
  const view = clear($('view'));
  const user = el('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
  const pass = el('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = el('p', { class: 'login-err', role: 'alert', id: 'login-err' }, errKey ? t(errKey) : '');
  const langSel = el('select', { id: 'login-lang', 'aria-label': t('header.language') },
    LANGS.map((l) => el('option', { value: l, selected: l === currentLang() }, t(`lang.${l}`))));
  langSel.addEventListener('change', async () => {
    storeLang(langSel.value);
    await loadLang(langSel.value);
    showLogin();
  });
  const btn = el('button', { type: 'submit', class: 'primary', id: 'login-btn' }, t('login.submit'));
  const form = el('form', { class: 'login card', id: 'login-form' },
    el('div', { class: 'login-brand' }, el('span', { class: 'brand-mark big', 'aria-hidden': 'true' }),
      el('div', null, el('h1', null, t('app.name')), el('p', { class: 'muted' }, t('login.tagline')))),
    el('label', null, el('span', null, t('login.username')), user),
    el('label', null, el('span', null, t('login.password')), pass),
    err,
    el('div', { class: 'login-row' }, langSel, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    err.textContent = '';
    try {
      const s = await api.post('/login', { username: user.value, password: pass.value });
      await startSession(s);
    } catch (e) {
      if (e.status === 429) {
        const mins = Math.max(1, Math.ceil(((e.body && e.body.retry_after) || 60) / 60));
        err.textContent = t('login.locked', { n: mins });
      } else if (e.status === 401) err.textContent = t('login.bad');
      else err.textContent = t('error.network');
      btn.disabled = false;
      pass.select();
    }
  });
  view.append(el('div', { class: 'login-wrap' }, form));
  user.focus();
}

async function startSession(s) {
  ctx.session = {
    user: s.user || s.name || '',
    role: s.role || 'viewer',
    csrf: s.csrf || '',
    lang: LANGS.includes(s.lang) ? s.lang : storedLang(),
    tz: s.tz && zoneUsable(s.tz) ? s.tz : DEFAULT_TZ,
  };
  api.setCsrf(ctx.session.csrf);
  await loadLang(ctx.session.lang);
  storeLang(ctx.session.lang);
  renderHeader();
  route();
}

function renderHeader() {
  const top = $('top');
  top.hidden = false;
  applyI18n(top);
  applyI18n($('help'));
  $('who-user').textContent = ctx.session.user;
  $('who-role').textContent = t(`role.${ctx.session.role}`);
  $('lang-select').value = currentLang();
  $('tz-label').textContent = zoneLabel(ctx.tz);
  $('tz-btn').title = `${t('tz.title')}: ${ctx.tz}`;
  document.title = t('app.name');
}

async function setLang(l) {
  await loadLang(l);
  storeLang(l);
  if (ctx.session) {
    ctx.session.lang = l;
    api.put('/me/prefs', { lang: l, tz: ctx.session.tz }).catch(() => toast(t('error.prefs'), 'error'));
    renderHeader();
    route();
  }
}

function route() {
  if (!ctx.session) return;
  const h = location.hash || '#/queue';
  const m = /^#\/([a-z]+)(?:\/(\d+))?(?:\?(.*))?$/.exec(h) || [];
  const name = m[1] || 'queue';
  for (const a of document.querySelectorAll('.nav a')) a.classList.toggle('on', a.dataset.route === name || (name === 'incident' && a.dataset.route === 'queue'));
  unmount();
  const view = clear($('view'));
  if (name === 'incident' && m[2]) {
    current = incident;
    incident.mount(view, ctx, Number(m[2]));
  } else if (name === 'dashboard') {
    current = dashboard;
    dashboard.mount(view, ctx);
  } else if (name === 'suppressions') {
    current = suppressions;
    suppressions.mount(view, ctx);
  } else {
    current = queue;
    queue.mount(view, ctx, new URLSearchParams(m[3] || ''));
  }
}

function typing(e) {
  const tag = e.target && e.target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (e.target && e.target.isContentEditable);
}

function onKey(e) {
  if (!ctx.session || e.ctrlKey || e.metaKey || e.altKey) return;
  if (typing(e)) {
    if (e.key === 'Escape') e.target.blur();
    return;
  }
  if (document.querySelector('dialog[open]')) return;
  if (e.key === '?') { e.preventDefault(); $('help').showModal(); return; }
  if (gPending) {
    gPending = false;
    if (e.key === 'd') { ctx.navigate('#/dashboard'); return; }
    if (e.key === 'q') { ctx.navigate('#/queue'); return; }
    if (e.key === 's') { ctx.navigate('#/suppressions'); return; }
  }
  if (e.key === 'g') { gPending = true; setTimeout(() => { gPending = false; }, 1000); return; }
  if (current && current.onKey) current.onKey(e);
}

async function boot() {
  applyTheme();
  await loadLang(storedLang());
  api.setUnauthorizedHandler(() => { if (ctx.session) showLogin('login.expired'); });
  $('lang-select').addEventListener('change', (e) => setLang(e.target.value));
  $('logout-btn').addEventListener('click', async () => {
    try { await api.post('/logout'); } catch { /* the session may be gone already */ }
    showLogin();
  });
  $('help-btn').addEventListener('click', () => $('help').showModal());
  $('tz-btn').addEventListener('click', () => openZoneDialog(ctx, (tz) => {
    ctx.session.tz = tz;
    renderHeader();
    route();
  }));
  $('theme-btn').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme === 'dark' ||
      (!document.documentElement.dataset.theme && matchMedia('(prefers-color-scheme: dark)').matches);
    try { localStorage.setItem('canh.theme', dark ? 'light' : 'dark'); } catch { /* ignore */ }
    applyTheme();
  });
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', onKey);
  try {
    const s = await api.get('/whoami', { quiet401: true });
    if (!s.csrf) throw new api.ApiError(401, 'no session');
    await startSession(s);
  } catch {
    showLogin();
  }
}

boot();
