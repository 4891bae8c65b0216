// firefox.test.mjs: a smoke test of the portal in Debian's Firefox ESR over
// WebDriver BiDi (a minimal client on the `ws` package). playwright-core
// 1.65's BiDi Firefox needs commands Firefox 153esr lacks
// (emulation.setMediaFeaturesOverride), so this talks the W3C protocol
// directly: real key and pointer input, console and error capture.
// Runs beside portal.test.mjs in the same correlator (run.sh) and posts its
// own alert with script payloads: log in, the queue lists the incidents,
// open that one, the payloads render as text, no JS error reached the console.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const BASE = process.env.CANH_URL;
const DATA = process.env.CANH_DATA;
const SHOTS = process.env.CANH_SHOTS;
const FIREFOX = process.env.CANH_FIREFOX || '/usr/bin/firefox-esr';
const XSS_SRC = '198.18.0.67';
const XSS_SIG = 'CANH-XSS-FF <img src=x onerror="window.__xss=1;alert(1)"> signature';
const XSS_UA = 'Mozilla/5.0 <script>window.__xss=3</script><img src=x onerror=alert(3)>';

const creds = {};
let ff = null;      // the firefox process
let profile = '';
let bidi = null;    // the BiDi client
let tab = '';       // browsing context id
let session = null; // session.new result (capabilities)

// WebDriver BiDi over a WebSocket: commands by id, events to listeners.
class Bidi {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.next = 1;
    this.wait = new Map();
    this.events = [];
    this.ws.on('message', (buf) => {
      const m = JSON.parse(buf.toString());
      if (m.id && this.wait.has(m.id)) {
        const { ok, fail } = this.wait.get(m.id);
        this.wait.delete(m.id);
        if (m.type === 'error') fail(new Error(`${m.error}: ${m.message}`));
        else ok(m.result);
      } else if (m.type === 'event') this.events.push(m);
    });
  }

  open() {
    return new Promise((ok, fail) => { this.ws.once('open', ok); this.ws.once('error', fail); });
  }

  send(method, params, timeoutMs) {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params: params || {} }));
    return new Promise((ok, fail) => {
      const h = setTimeout(() => { this.wait.delete(id); fail(new Error(`${method}: no answer`)); }, timeoutMs || 30000);
      this.wait.set(id, { ok: (r) => { clearTimeout(h); ok(r); }, fail: (e) => { clearTimeout(h); fail(e); } });
    });
  }

  close() { this.ws.close(); }
}

// Evaluate an expression in the page; returns its JSON-serialised value.
async function evaluate(expr) {
  const r = await bidi.send('script.evaluate', {
    expression: `JSON.stringify((() => (${expr}))())`, target: { context: tab }, awaitPromise: true,
  });
  if (r.type === 'exception') throw new Error(`page: ${r.exceptionDetails.text}`);
  return r.result.value === undefined ? undefined : JSON.parse(r.result.value);
}

async function waitFor(expr, what, ms) {
  const end = Date.now() + (ms || 15000);
  for (;;) {
    if (await evaluate(expr)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

// A real click at the element's centre (pointer input, not el.click()).
async function click(sel) {
  const r = await evaluate(`(() => { const e = document.querySelector(${JSON.stringify(sel)});
    e.scrollIntoView({ block: 'center' }); const b = e.getBoundingClientRect();
    return { x: Math.round(b.x + b.width / 2), y: Math.round(b.y + b.height / 2) }; })()`);
  await bidi.send('input.performActions', { context: tab, actions: [{ type: 'pointer', id: 'mouse',
    parameters: { pointerType: 'mouse' }, actions: [{ type: 'pointerMove', x: r.x, y: r.y },
      { type: 'pointerDown', button: 0 }, { type: 'pointerUp', button: 0 }] }] });
}

// Focus by click, then type with key events.
async function type(sel, text) {
  await click(sel);
  const actions = [];
  for (const ch of text) actions.push({ type: 'keyDown', value: ch }, { type: 'keyUp', value: ch });
  await bidi.send('input.performActions', { context: tab, actions: [{ type: 'key', id: 'kbd', actions }] });
}

async function navigate(url) {
  await bidi.send('browsingContext.navigate', { context: tab, url, wait: 'complete' });
}

async function apiGet(p) {
  const r = await fetch(`${BASE}/api/v1${p}`, { headers: { Authorization: `Bearer ${creds.CANH_ADMIN_TOKEN}` } });
  assert.equal(r.status, 200, `GET ${p}`);
  return r.json();
}

// Console errors and uncaught exceptions (log.entryAdded), and dialogs.
function jsErrors() {
  return bidi.events.filter((e) => e.method === 'log.entryAdded' && (e.params.level === 'error' || e.params.type === 'javascript'))
    .map((e) => e.params.text);
}
const dialogs = () => bidi.events.filter((e) => e.method === 'browsingContext.userPromptOpened');

const skip = !fs.existsSync(FIREFOX) ? `${FIREFOX} missing (make deps installs firefox-esr)` : false;

before(async () => {
  if (skip) return;
  assert.ok(BASE && DATA, 'run through tests/portal/run.sh');
  for (const line of fs.readFileSync(path.join(DATA, 'demo-credentials'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) creds[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  // the crafted alert (own canh.seq range, apart from portal.test.mjs's)
  const ev = { timestamp: '2026-11-20T08:06:00.000000+0000', event_type: 'alert', src_ip: XSS_SRC, src_port: 40100,
    dest_ip: '10.20.1.30', dest_port: 80, proto: 'TCP', app_proto: 'http',
    http: { hostname: 'portal.example.gov.vn', url: '/ff?<script>window.__xss=2</script>', http_user_agent: XSS_UA, http_method: 'GET' },
    alert: { action: 'allowed', gid: 1, signature_id: 9199201, rev: 1, signature: XSS_SIG, category: 'Web Application Attack', severity: 1 },
    canh: { id: 'demo:6000001', sensor: 'demo', seq: 6000001 } };
  const r = await fetch(`${BASE}/api/v1/events`, { method: 'POST', body: `${JSON.stringify(ev)}\n`,
    headers: { Authorization: `Bearer ${creds.CANH_SENSOR_TOKEN}`, 'Content-Type': 'application/x-ndjson' } });
  assert.equal(r.status, 200, 'crafted alert accepted');
  // A fresh profile; the recommended automation prefs are Firefox's own
  // (remote.prefs.recommended); these keep it off the (absent) network.
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'canh-ff-'));
  fs.writeFileSync(path.join(profile, 'user.js'), [
    'user_pref("app.update.disabledForTesting", true);',
    'user_pref("browser.shell.checkDefaultBrowser", false);',
    'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
    'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);',
    'user_pref("network.captive-portal-service.enabled", false);',
    'user_pref("browser.safebrowsing.update.enabled", false);',
    'user_pref("services.settings.server", "http://127.0.0.1:9/");',
  ].join('\n'));
  ff = spawn(FIREFOX, ['--headless', '--remote-debugging-port=0', '--no-remote', '--profile', profile, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: Object.assign({}, process.env, { MOZ_CRASHREPORTER_DISABLE: '1' }) });
  const url = await new Promise((ok, fail) => {
    let log = '';
    const h = setTimeout(() => fail(new Error(`firefox did not start BiDi:\n${log}`)), 60000);
    ff.stderr.on('data', (b) => {
      log += b.toString();
      const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(log);
      if (m) { clearTimeout(h); ok(m[1]); }
    });
    ff.on('exit', (c) => fail(new Error(`firefox exited ${c}:\n${log}`)));
  });
  bidi = new Bidi(`${url}/session`);
  await bidi.open();
  session = await bidi.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: false, unhandledPromptBehavior: { default: 'ignore' } } } });
  await bidi.send('session.subscribe', { events: ['log.entryAdded', 'browsingContext.userPromptOpened'] });
  const tree = await bidi.send('browsingContext.getTree', {});
  tab = tree.contexts[0].context;
});

after(async () => {
  if (bidi) {
    await bidi.send('browser.close', {}, 5000).catch(() => {});
    bidi.close();
  }
  if (ff && ff.exitCode === null) {
    const gone = new Promise((ok) => ff.once('exit', ok));
    setTimeout(() => { if (ff.exitCode === null) ff.kill('SIGKILL'); }, 5000).unref();
    ff.kill('SIGTERM');
    await gone;
  }
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

test('firefox: log in, queue, incident with XSS payloads as text, no JS errors', { skip }, async () => {
  const caps = session.capabilities || {};
  assert.equal(caps.browserName, 'firefox');
  await navigate(`${BASE}/`);
  await waitFor("!!document.getElementById('login-form')", 'the login form');
  await type('#login-user', 'analyst1');
  await type('#login-pass', creds.CANH_ANALYST1_PASSWORD);
  await click('#login-btn');
  await waitFor("!document.getElementById('top').hidden && document.querySelectorAll('#rows tr[data-id]').length > 0", 'the queue');
  // the queue lists what the API lists (first page, default sort)
  const api = await apiGet('/incidents?limit=50&status=new,acknowledged,investigating');
  const rows = await evaluate("[...document.querySelectorAll('#rows tr[data-id]')].map((t) => Number(t.dataset.id))");
  assert.deepEqual(rows.slice().sort((a, b) => a - b), api.incidents.map((i) => i.id).sort((a, b) => a - b));
  assert.equal(await evaluate("document.getElementById('who-user').textContent"), 'analyst1');
  // the incident of the crafted alert with script payloads
  let xss = null;
  for (let i = 0; i < 50 && !xss; i++) {
    xss = (await apiGet(`/incidents?limit=100&address=${XSS_SRC}&status=new,acknowledged,investigating,resolved,false_positive`))
      .incidents.find((x) => x.rule_id === 'fc4fea5c-0280-433a-9be0-b621b6862f5e');
    if (!xss) await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.ok(xss, 'the crafted severity-1 alert opened an incident');
  // filter the queue by its address, then open it with a click on its row
  await navigate(`${BASE}/#/queue?address=${XSS_SRC}`);
  await waitFor(`!!document.querySelector('#rows tr[data-id="${xss.id}"]')`, 'the filtered queue');
  await click(`#rows tr[data-id="${xss.id}"] td:nth-child(4)`);
  await waitFor(`location.hash === '#/incident/${xss.id}'`, 'the click to open the incident');
  await waitFor("!!document.getElementById('summary') && document.querySelectorAll('#timeline details').length > 0", 'the incident page');
  await click('#timeline summary');
  await evaluate("(() => { for (const d of document.querySelectorAll('#timeline details')) d.open = true; return 1; })()");
  await new Promise((ok) => setTimeout(ok, 300));
  const page = await evaluate(`({
    xss: window.__xss || 0,
    imgs: document.querySelectorAll('img').length,
    scripts: [...document.querySelectorAll('script')].filter((s) => !/app\\.js$/.test(s.src)).length,
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    timeline: document.getElementById('timeline').textContent,
    title: document.getElementById('inc-title').textContent,
  })`);
  assert.deepEqual({ xss: page.xss, imgs: page.imgs, scripts: page.scripts, handlers: page.handlers },
    { xss: 0, imgs: 0, scripts: 0, handlers: 0 });
  assert.ok(page.timeline.includes(XSS_SIG), 'the signature payload shown literally');
  assert.ok(page.timeline.includes(XSS_UA), 'the user-agent payload shown literally');
  assert.ok(page.title.length > 0);
  assert.deepEqual(dialogs(), [], 'no dialog opened');
  if (SHOTS) {
    const shot = await bidi.send('browsingContext.captureScreenshot', { context: tab });
    fs.mkdirSync(SHOTS, { recursive: true });
    fs.writeFileSync(path.join(SHOTS, 'firefox-incident.png'), Buffer.from(shot.data, 'base64'));
  }
  assert.deepEqual(jsErrors(), [], 'no JS error in the console');
  // the capture itself works: a thrown error in the page is seen
  await evaluate("(setTimeout(() => { throw new Error('canh-probe'); }), 1)");
  for (let i = 0; i < 50 && !jsErrors().some((t) => /canh-probe/.test(t)); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.ok(jsErrors().some((t) => /canh-probe/.test(t)), `the console capture sees page errors: ${JSON.stringify(jsErrors())}`);
  console.log(`firefox ${caps.browserVersion}: ${rows.length} queue rows; incident ${xss.id}`);
});
