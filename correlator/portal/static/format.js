// format.js: DOM building and formatting helpers shared by every view.
// Invariant: text from the wire only ever reaches the page through
// textContent or setAttribute on a safe attribute (el() below); there is no
// innerHTML anywhere in the portal. Times are stored UTC and shown in the
// user's zone with the zone visible ("20/11/2026 15:00:45 (UTC+7)").

const SAFE_URL = /^https?:\/\//i;

// el('tr', {class: 'x', dataset: {id: 3}, onclick: fn}, child, 'text', ...)
// Strings become text nodes; null/false children are skipped. Attributes
// named on* must be functions (listeners), never strings; href/src must be
// http(s) or a '#' route.
export function el(tag, attrs, ...kids) {
  const ns = tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : null;
  const e = ns ? document.createElementNS(ns, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) {
      if (typeof v === 'function') e.addEventListener(k.slice(2), v);
      continue;
    }
    if (k === 'dataset') { Object.assign(e.dataset, v); continue; }
    if (k === 'text') { e.textContent = String(v); continue; }
    if ((k === 'href' || k === 'src') && !(SAFE_URL.test(v) || String(v).startsWith('#'))) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, kids);
  return e;
}

export function append(e, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

export function clear(e) {
  while (e.firstChild) e.firstChild.remove();
  return e;
}

// A data cell: wire text, skipped by the i18n completeness test.
export function data(tag, text, attrs) {
  return el(tag, Object.assign({ 'data-wire': '' }, attrs || {}), text === null || text === undefined ? '' : String(text));
}

const fmtCache = new Map();
function dtf(tz) {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    });
    fmtCache.set(tz, f);
  }
  return f;
}

// "2026-11-20T08:00:45.336502+00:00" -> "20/11/2026 15:00:45 (UTC+7)"
export function fmtTime(iso, tz, opts) {
  if (!iso) return '';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (isNaN(d)) return String(iso);
  const p = {};
  for (const part of dtf(tz).formatToParts(d)) p[part.type] = part.value;
  const zone = (p.timeZoneName || 'GMT').replace(/^GMT/, 'UTC').replace(/^UTC$/, 'UTC+0');
  const date = `${p.day}/${p.month}/${p.year}`;
  const time = `${p.hour}:${p.minute}:${p.second}`;
  if (opts && opts.short) return `${date} ${time}`;
  if (opts && opts.timeOnly) return time;
  return `${date} ${time} (${zone})`;
}

// The zone label alone, e.g. "UTC+7", for table headers.
export function zoneLabel(tz) {
  const parts = dtf(tz).formatToParts(new Date());
  const z = parts.find((x) => x.type === 'timeZoneName');
  return (z ? z.value : 'GMT').replace(/^GMT/, 'UTC').replace(/^UTC$/, 'UTC+0');
}

// Short relative age in the given language's catalogue keys.
export function age(iso, t) {
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return t('age.s', { n: Math.round(s) });
  if (s < 5400) return t('age.m', { n: Math.round(s / 60) });
  if (s < 172800) return t('age.h', { n: Math.round(s / 3600) });
  return t('age.d', { n: Math.round(s / 86400) });
}

export function num(n, lang) {
  return new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB').format(n || 0);
}

// 4032 -> "3.9 KiB" (decimal comma in Vietnamese).
export function bytes(n, lang) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n || 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  const f = new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: i ? 1 : 0 });
  return `${f.format(v)} ${u[i]}`;
}

export const SEVERITIES = [1, 2, 3, 4];
export const STATUSES = ['new', 'acknowledged', 'investigating', 'resolved', 'false_positive'];
export const DISPOSITIONS = ['true_positive', 'benign', 'false_positive', 'duplicate', 'undetermined'];
export const ROLES = ['viewer', 'analyst', 'responder', 'admin'];

export function roleAtLeast(role, need) {
  return ROLES.indexOf(role) >= ROLES.indexOf(need);
}

// Which statuses a role may set (docs/api.md, roles).
export function statusAllowed(role, status) {
  if (status === 'resolved' || status === 'false_positive') return roleAtLeast(role, 'responder');
  return roleAtLeast(role, 'analyst');
}

// Title in the user's language with the other as fallback.
export function title(inc, lang) {
  if (lang === 'vi') return inc.title_vi || inc.title || '';
  return inc.title || inc.title_vi || '';
}

// The rule's description likewise (Sigma description / canh.description_vi).
export function description(inc, lang) {
  if (lang === 'vi') return inc.description_vi || inc.description || '';
  return inc.description || inc.description_vi || '';
}

export function sevBadge(sev, t) {
  return el('span', { class: `sev sev-${sev}`, title: t(`sev.${sev}`) }, t(`sev.${sev}`));
}

export function statusBadge(st, t) {
  return el('span', { class: `st st-${st}` }, t(`status.${st}`));
}

// Debounce for filter inputs.
export function debounce(fn, ms) {
  let h = 0;
  return (...a) => { clearTimeout(h); h = setTimeout(() => fn(...a), ms); };
}

// Turn a local datetime-local value (in the user's zone) into RFC 3339 UTC.
// datetime-local has no zone; we interpret it in tz by finding the offset.
export function localInputToIso(v, tz) {
  if (!v) return '';
  const guess = new Date(v + 'Z');
  const off = tzOffsetMinutes(guess, tz);
  return new Date(guess.getTime() - off * 60000).toISOString();
}

export function tzOffsetMinutes(d, tz) {
  const p = {};
  for (const part of dtf(tz).formatToParts(d)) p[part.type] = part.value;
  const m = /([+-])(\d{1,2})(?::(\d{2}))?/.exec(p.timeZoneName || '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] || 0));
}
