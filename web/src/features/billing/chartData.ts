// Data for the daily chart and the tables of the billing page. Chart values are JavaScript
// numbers (for drawing only); every amount shown as text stays the API's decimal string.
import { addDecimals, chartValue, compareDecimals } from '../../lib/money';

export interface DailyCharge {
  day?: string;
  charge?: string;
}

export interface ChartPoint {
  day: number; // day of month, 1-based
  label: string; // "Nov 3"
  charge: number | null; // actual charge that day (for drawing)
  chargeText: string | null; // the API's decimal string for that day (for text)
  forecast: number | null; // projected charge for a day still to come
}

export interface ChartModel {
  points: ChartPoint[];
  /** The estimate's daily average (mtd / days elapsed), drawn as a line. */
  estimatePerDay: number;
  /** The forecast's daily run rate for the rest of the month. */
  forecastPerDay: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * One point per day of `month` (YYYY-MM): the day's charge up to the latest usage day, then
 * the forecast's run rate ((forecast - mtd) / days left) on the days still to come.
 */
export function buildChart(
  month: string,
  daysInMonth: number,
  daysElapsed: number,
  daily: DailyCharge[],
  mtd: string,
  forecast: string,
): ChartModel {
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
  const left = daysInMonth - elapsed;
  const mtdN = chartValue(mtd);
  const forecastPerDay = left > 0 ? Math.max(0, (chartValue(forecast) - mtdN) / left) : 0;
  const estimatePerDay = elapsed > 0 ? mtdN / elapsed : 0;
  const points: ChartPoint[] = [];
  for (let day = 1; day <= daysInMonth; day++) {
    const past = day <= elapsed;
    const text = past ? addDecimals(byDay.get(day) ?? ['0']) : null;
    points.push({
      day,
      label: `${monthName} ${day}`,
      charge: text === null ? null : chartValue(text),
      chargeText: text,
      forecast: past ? null : forecastPerDay,
    });
  }
  return { points, estimatePerDay, forecastPerDay };
}

export interface AmountRow {
  key: string;
  charge: string;
}

/**
 * The rows of a breakdown table and a "Rounding" row when the rounded rows do not add up to
 * the rounded total the API reports, so the table always adds up to the total shown.
 */
export function tableRows(rows: AmountRow[], total: string): AmountRow[] {
  if (rows.length === 0) return rows;
  const sum = addDecimals(rows.map((r) => r.charge));
  if (compareDecimals(sum, total) === 0) return rows;
  const diff = addDecimals([total, sum.startsWith('-') ? sum.slice(1) : `-${sum}`]);
  return [...rows, { key: 'Rounding', charge: diff }];
}
