// Pure helpers of the budget editor and the cumulative chart. Amounts and percentages stay the
// API's decimal strings; JavaScript numbers are used only to place points on the chart.
import { addDecimals, chartValue, compareDecimals, isDecimal } from '../../lib/money';
import type { Budget, BudgetChanges, BudgetInput, ThresholdKind } from './types';

export interface ThresholdRow {
  percent: string;
  kind: ThresholdKind;
}

export interface BudgetForm {
  name: string;
  subscriptionId: string; // '' for the whole alias
  amount: string;
  thresholds: ThresholdRow[];
  paceEnabled: boolean;
  paceTolerance: string;
  recipients: string; // one per line or comma
}

export function emptyBudgetForm(alias: string): BudgetForm {
  return {
    name: `${alias} monthly budget`,
    subscriptionId: '',
    amount: '',
    thresholds: [
      { percent: '80', kind: 'actual' },
      { percent: '100', kind: 'forecast' },
    ],
    paceEnabled: false,
    paceTolerance: '10',
    recipients: '',
  };
}

export function formFromBudget(b: Budget): BudgetForm {
  return {
    name: b.name,
    subscriptionId: b.subscriptionId ?? '',
    amount: b.amount,
    thresholds: b.thresholds.map((t) => ({ percent: t.percent, kind: t.kind })),
    paceEnabled: b.pace.enabled,
    paceTolerance: b.pace.tolerancePercent ?? '10',
    recipients: b.recipients.join('\n'),
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const POSITIVE = (s: string) => isDecimal(s) && !s.trim().startsWith('-') && compareDecimals(s.trim(), '0') > 0;

export function parseRecipients(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\s,;]+/)) {
    const t = raw.trim();
    if (t && !out.some((o) => o.toLowerCase() === t.toLowerCase())) out.push(t);
  }
  return out;
}

/** What is wrong with the form, as sentences a person can act on (empty: ready to save). */
export function budgetProblems(f: BudgetForm): string[] {
  const out: string[] = [];
  if (!f.name.trim()) out.push('Give the budget a name.');
  const amount = f.amount.trim();
  if (!POSITIVE(amount)) out.push('Give the monthly amount as a number above zero, like 500 or 1250.50.');
  else if (/\.\d{3,}$/.test(amount)) out.push('Give the amount in whole cents (at most two decimals).');
  if (f.thresholds.length === 0 && !f.paceEnabled) out.push('Add at least one threshold or the pace alert, or nobody is ever told.');
  f.thresholds.forEach((t, i) => {
    if (!POSITIVE(t.percent) || compareDecimals(t.percent.trim(), '1000') > 0 || /\.\d{3,}$/.test(t.percent.trim())) {
      out.push(`Threshold ${i + 1}: give a percentage above 0 and at most 1000, with at most two decimals.`);
    }
  });
  const keys = f.thresholds.map((t) => `${t.kind}:${normalize(t.percent)}`);
  if (new Set(keys).size !== keys.length) out.push('Two thresholds are the same: remove one.');
  const tol = f.paceTolerance.trim();
  if (f.paceEnabled && (!isDecimal(tol) || tol.startsWith('-') || compareDecimals(tol, '1000') > 0)) {
    out.push('Give the pace tolerance as a percentage from 0 to 1000.');
  }
  const recipients = parseRecipients(f.recipients);
  const bad = recipients.filter((r) => !EMAIL.test(r));
  if (bad.length) out.push(`Not an email address: ${bad.join(', ')}.`);
  if (recipients.length === 0) out.push('Add at least one recipient for the alerts.');
  return out;
}

/** "80.50" -> "80.5", "080" -> "80", "100" -> "100": one spelling per value, for comparing. */
export function normalize(s: string): string {
  const t = s.trim();
  if (!isDecimal(t)) return t;
  let out = addDecimals([t]).replace(/^(-?)0+(?=\d)/, '$1');
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  return out;
}

/** The POST /api/v1/budgets body. */
export function budgetBody(f: BudgetForm, alias: string): BudgetInput & { subscriptionId: string | null; thresholds: ThresholdRow[]; recipients: string[] } {
  return {
    alias,
    subscriptionId: f.subscriptionId || null,
    name: f.name.trim(),
    amount: f.amount.trim(),
    thresholds: f.thresholds.map((t) => ({ percent: t.percent.trim(), kind: t.kind })),
    pace: { enabled: f.paceEnabled, tolerancePercent: f.paceTolerance.trim() },
    recipients: parseRecipients(f.recipients),
  };
}

/** The PATCH /api/v1/budgets/{id} body: what may change (not the alias nor the scope). */
export function budgetChanges(body: ReturnType<typeof budgetBody>): BudgetChanges {
  const { name, amount, thresholds, pace, recipients } = body;
  return { name, amount, thresholds, pace, recipients };
}

const ALERT_KINDS: Record<string, string> = { actual: 'Actual', forecast: 'Forecast', pace: 'Pace' };
export const alertKindLabel = (k: string) => ALERT_KINDS[k] ?? k;

/** "82.41" -> "82.41%" (the API's figure, never recomputed). */
export const percentText = (p: string | null | undefined) => (p ? `${p}%` : '—');

/** 'over' when the API's percentage is at or above 100, 'near' from 80, else 'under'. */
export function usageLevel(percent: string | null | undefined): 'over' | 'near' | 'under' {
  if (!percent || !isDecimal(percent)) return 'under';
  if (compareDecimals(percent, '100') >= 0) return 'over';
  if (compareDecimals(percent, '80') >= 0) return 'near';
  return 'under';
}

// ---- the cumulative chart ---------------------------------------------------------------

export interface CumulativePoint {
  day: number;
  label: string;
  actual: number | null; // month to date at the end of that day (drawing)
  actualText: string | null; // the same, exact (text)
  projected: number | null; // the forecast's path from the last actual day to the month's end
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Month to date day by day (exact running sums of the API's daily charges), then a straight
 * line from the last day to the API's forecast at the month's end, for drawing.
 */
export function buildCumulative(
  month: string,
  daysInMonth: number,
  daysElapsed: number,
  daily: { day?: string; charge?: string }[],
  forecast: string,
): CumulativePoint[] {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const monthName = m ? MONTHS[Number(m[2]) - 1] ?? '' : '';
  const byDay = new Map<number, string[]>();
  for (const d of daily) {
    const dm = /-(\d{2})$/.exec((d.day ?? '').slice(0, 10));
    if (!dm || d.charge === undefined) continue;
    const n = Number(dm[1]);
    byDay.set(n, [...(byDay.get(n) ?? []), d.charge]);
  }
  const elapsed = Math.max(0, Math.min(daysInMonth, daysElapsed));
  const points: CumulativePoint[] = [];
  let running = '0';
  for (let day = 1; day <= daysInMonth; day++) {
    const past = day <= elapsed;
    if (past) running = addDecimals([running, ...(byDay.get(day) ?? [])]);
    points.push({
      day,
      label: `${monthName} ${day}`,
      actual: past ? chartValue(running) : null,
      actualText: past ? running : null,
      projected: null,
    });
  }
  if (elapsed < daysInMonth) {
    const start = chartValue(running);
    const end = Math.max(start, chartValue(forecast));
    const span = daysInMonth - elapsed;
    if (elapsed > 0) points[elapsed - 1]!.projected = start;
    for (let day = elapsed + 1; day <= daysInMonth; day++) {
      points[day - 1]!.projected = start + ((end - start) * (day - elapsed)) / span;
    }
  }
  return points;
}
