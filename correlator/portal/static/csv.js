// csv.js: CSV exports built in the browser (Blob + download, no server
// work): RFC 4180 quoting, CRLF lines, UTF-8 with a BOM so spreadsheet
// programs show Vietnamese diacritics. Wire text is attacker-controlled, so
// a cell starting with = + - @ (or tab/CR, which some programs strip before
// evaluating) gets a leading apostrophe: the spreadsheet shows it as text
// instead of running it as a formula (CSV injection).

import { fmtTime } from './format.js';

const FORMULA = /^[=+\-@\t\r]/;

// One cell: neutralised, then quoted when it holds a quote, comma or line break.
export function cell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// rows: arrays of cells (the first is the header). Returns the file text,
// BOM included.
export function text(rows) {
  return `\uFEFF${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

// Offer rows as a download named name (".csv" added by the caller).
export function download(name, rows) {
  const blob = new Blob([text(rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// A stored UTC time as "2026-11-20 15:00:45" in zone tz (the zone goes in
// the column header); year first, so spreadsheets read it as a date.
export function time(iso, tz) {
  const s = fmtTime(iso, tz, { short: true });
  const m = /^(\d{2})\/(\d{2})\/(\d{4}) (.*)$/.exec(s);
  return m ? `${m[3]}-${m[2]}-${m[1]} ${m[4]}` : s;
}

// A file name stamp "20261127-0426" in the user's zone.
export function stamp(tz) {
  const p = {};
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  for (const part of f.formatToParts(new Date())) p[part.type] = part.value;
  return `${p.year}${p.month}${p.day}-${p.hour}${p.minute}`;
}
