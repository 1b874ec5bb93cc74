// Money as the API sends it: exact decimal strings ("1234.5", "-0.07"). Shown by string
// manipulation only; no arithmetic on JavaScript numbers ever touches an amount shown as text.

const SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', CAD: 'CA$', AUD: 'A$' };

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** True when `s` is a plain decimal string such as "12", "-0.5", "1234.5678". */
export function isDecimal(s: string): boolean {
  return DECIMAL.test(s.trim());
}

/** Groups the integer digits by thousands: "1234567" -> "1,234,567". */
function group(intDigits: string): string {
  const digits = intDigits.replace(/^0+(?=\d)/, '');
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return out;
}

/**
 * Formats an exact decimal string for display: thousands separators, at least `minFraction`
 * fraction digits (padded with zeros, never rounded: the API already rounded), the currency's
 * symbol (or its code). "1234.5","USD" -> "$1,234.50"; "-0.07","EUR" -> "-€0.07".
 * Returns the input unchanged when it is not a decimal string.
 */
export function formatMoney(amount: string, currency = 'USD', minFraction = 2): string {
  const m = DECIMAL.exec(amount.trim());
  if (!m) return amount;
  const sign = m[1] === '-' ? '-' : '';
  const intPart = group(m[2] ?? '0');
  let frac = m[3] ?? '';
  while (frac.length < minFraction) frac += '0';
  const isZero = /^0*$/.test((m[2] ?? '') + (m[3] ?? ''));
  const symbol = SYMBOLS[currency.toUpperCase()];
  const body = frac ? `${intPart}.${frac}` : intPart;
  const text = symbol ? `${symbol}${body}` : `${body} ${currency.toUpperCase()}`;
  return isZero ? text : sign + text;
}

/** A decimal string as a JavaScript number, for drawing a chart bar only (never for text). */
export function chartValue(amount: string): number {
  const n = Number(amount);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Adds decimal strings exactly (integer arithmetic on BigInt scaled by the longest fraction).
 * Used to check that table rows add up to the total the API reports.
 */
export function addDecimals(values: string[]): string {
  let scale = 0;
  for (const v of values) {
    const m = DECIMAL.exec(v.trim());
    if (!m) throw new Error(`not a decimal: ${v}`);
    scale = Math.max(scale, (m[3] ?? '').length);
  }
  let total = 0n;
  for (const v of values) {
    const m = DECIMAL.exec(v.trim())!;
    const frac = (m[3] ?? '').padEnd(scale, '0');
    const n = BigInt((m[2] ?? '0') + frac);
    total += m[1] === '-' ? -n : n;
  }
  const neg = total < 0n;
  let digits = (neg ? -total : total).toString().padStart(scale + 1, '0');
  const out = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  digits = out;
  return (neg ? '-' : '') + digits;
}

/** Compares two decimal strings exactly: -1, 0 or 1. */
export function compareDecimals(a: string, b: string): number {
  const d = addDecimals([a, negate(b)]);
  if (/^-/.test(d) && !/^-0*(\.0*)?$/.test(d)) return -1;
  return /^0*(\.0*)?$/.test(d.replace(/^-/, '')) ? 0 : 1;
}

function negate(v: string): string {
  const t = v.trim();
  return t.startsWith('-') ? t.slice(1) : t.startsWith('+') ? `-${t.slice(1)}` : `-${t}`;
}
