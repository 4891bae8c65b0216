// i18n.js: the string catalogues (i18n/vi.json, i18n/en.json; Vietnamese is
// the default). Every visible string of the chrome comes from t(key) or a
// data-i18n* attribute applied by applyI18n(); a missing key shows as
// "⟦key⟧" so the browser tests (and people) notice it.

let cat = {};
let lang = 'vi';
const cache = new Map();

export const LANGS = ['vi', 'en'];

export async function loadLang(l) {
  if (!LANGS.includes(l)) l = 'vi';
  if (!cache.has(l)) {
    const r = await fetch(`i18n/${l}.json`, { credentials: 'same-origin' });
    if (!r.ok) throw new Error(`i18n/${l}.json: ${r.status}`);
    cache.set(l, await r.json());
  }
  cat = cache.get(l);
  lang = l;
  document.documentElement.lang = l;
  return l;
}

export function currentLang() {
  return lang;
}

// t('queue.range', {from: 1, to: 50, total: 200})
export function t(key, params) {
  let s = Object.prototype.hasOwnProperty.call(cat, key) ? cat[key] : `⟦${key}⟧`;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(cat, key);
}

// data-i18n="key" sets the text; data-i18n-title / -placeholder / -aria-label
// set those attributes.
export function applyI18n(root) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const a of ['title', 'placeholder', 'aria-label']) {
    const key = `i18n${a.replace(/(^|-)(\w)/g, (m, d, c) => c.toUpperCase())}`;
    for (const e of root.querySelectorAll(`[data-i18n-${a}]`)) e.setAttribute(a, t(e.dataset[key]));
  }
}
