// zone.js: the time-zone choice of the header (user menu): a short list of
// the zones a provincial SOC meets (Asia/Ho_Chi_Minh is the default) plus
// any IANA name typed in. The browser must know the name (Intl) and the
// server validates it against its tzdata (PUT /me/prefs, 400 when unknown,
// e.g. a lower-case name Intl would accept) and remembers it; the caller
// then re-renders, so every time on the page moves to the new zone at once.

import * as api from './api.js';
import { el, data, zoneLabel } from './format.js';

export const ZONES = ['Asia/Ho_Chi_Minh', 'UTC', 'Asia/Bangkok', 'Asia/Singapore'];

// True when this browser can format times in tz (Intl knows the zone).
export function zoneUsable(tz) {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz }).format(0);
    return true;
  } catch {
    return false;
  }
}

// The zone dialog. ctx: the app context (session, t, toast); onSaved(tz)
// runs after the server accepted the zone.
export function openZoneDialog(ctx, onSaved) {
  const T = (k, p) => ctx.t(k, p);
  const cur = ctx.tz;
  const listed = ZONES.includes(cur);
  const radios = ZONES.map((z) => el('label', { class: 'inline tz-opt' },
    el('input', { type: 'radio', name: 'tz', value: z, checked: z === cur }),
    data('span', `${z} (${zoneLabel(z)})`)));
  const other = el('input', { type: 'text', name: 'tz_other', id: 'tz-other', value: listed ? '' : cur,
    placeholder: 'Europe/Paris', autocomplete: 'off', spellcheck: 'false', maxlength: 63 });
  const otherRadio = el('input', { type: 'radio', name: 'tz', value: '', checked: !listed });
  other.addEventListener('focus', () => { otherRadio.checked = true; });
  const err = el('p', { class: 'login-err', role: 'alert', id: 'tz-err' });
  const d = el('dialog', { class: 'dlg', id: 'tz-dlg' });
  const ok = el('button', { type: 'submit', class: 'primary', id: 'tz-save' }, T('common.ok'));
  const f = el('form', { method: 'dialog' },
    el('h2', null, T('tz.title')),
    el('p', { class: 'muted' }, T('tz.help')),
    el('fieldset', { class: 'tz-list' }, radios,
      el('label', { class: 'inline tz-opt' }, otherRadio, el('span', null, T('tz.other')), other)),
    err,
    el('div', { class: 'dlg-buttons' },
      el('button', { type: 'button', class: 'ghost', onclick: () => d.close() }, T('common.cancel')), ok));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const picked = f.querySelector('input[name=tz]:checked');
    const tz = (picked && picked.value ? picked.value : other.value).trim();
    err.textContent = '';
    if (!tz) { err.textContent = T('tz.empty'); return; }
    // The browser must know the zone too, or it could not show times in it.
    if (!zoneUsable(tz)) { err.textContent = T('tz.invalid', { tz }); return; }
    ok.disabled = true;
    try {
      await api.put('/me/prefs', { tz });
      d.close();
      onSaved(tz);
      ctx.toast(T('tz.saved', { tz }), 'ok');
    } catch (x) {
      err.textContent = x.status === 400 ? T('tz.invalid', { tz }) : `${T('error.action')}: ${x.message}`;
      ok.disabled = false;
    }
  });
  d.addEventListener('close', () => d.remove());
  d.append(f);
  document.body.append(d);
  d.showModal();
  return d;
}
