import { CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { chartValue, formatMoney } from '../../lib/money';
import type { CumulativePoint } from './budgets';

export interface BudgetLine {
  name: string;
  amount: string; // the API's decimal string
}

/**
 * Month to date as a line growing day by day, the forecast's path to the month's end dashed,
 * and each budget of the alias as a horizontal reference line labelled with its amount. A
 * monthly budget compares with the running total, not with one day's charge: this is the view
 * that reads right. A text summary sits beside it for screen readers.
 */
export function CumulativeChart({
  points,
  budgets,
  currency,
  summary,
}: {
  points: CumulativePoint[];
  budgets: BudgetLine[];
  currency: string;
  summary: string;
}) {
  const top = Math.max(
    ...budgets.map((b) => chartValue(b.amount)),
    ...points.map((p) => Math.max(p.actual ?? 0, p.projected ?? 0)),
    1,
  );
  return (
    <figure className="chart" aria-label="Month to date against the budget">
      <div className="chart-box" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          <ComposedChart accessibilityLayer={false} data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid vertical={false} stroke="#e6e9ef" />
            <XAxis dataKey="day" tickLine={false} axisLine={false} interval="preserveStartEnd" fontSize={12} />
            <YAxis tickLine={false} axisLine={false} width={56} fontSize={12} domain={[0, Math.ceil(top * 1.1)]} />
            <Tooltip
              formatter={(_v, name, item) => {
                const p = item.payload as CumulativePoint;
                return name === 'Month to date' && p.actualText !== null ? formatMoney(p.actualText, currency) : 'on the forecast’s path';
              }}
              labelFormatter={(_, p) => (p[0]?.payload as CumulativePoint | undefined)?.label ?? ''}
            />
            <Legend verticalAlign="top" height={28} />
            <Line dataKey="actual" name="Month to date" stroke="#0b5cad" strokeWidth={2.5} dot={false} isAnimationActive={false} connectNulls={false} />
            <Line
              dataKey="projected"
              name="Forecast"
              stroke="#6b9bd1"
              strokeWidth={2}
              strokeDasharray="4 4"
              dot={false}
              isAnimationActive={false}
              connectNulls={false}
            />
            {budgets.map((b) => (
              <ReferenceLine
                key={b.name}
                y={chartValue(b.amount)}
                stroke="#b42318"
                strokeWidth={2}
                strokeDasharray="8 4"
                label={{ value: `${b.name}: ${formatMoney(b.amount, currency)}`, position: 'insideTopLeft', fill: '#912018', fontSize: 12 }}
              />
            ))}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <p className="chart-key small muted" aria-hidden="true">
        <span className="key-budget" /> budget <span className="key-forecast" /> forecast path
      </p>
      <figcaption className="sr-only">{summary}</figcaption>
    </figure>
  );
}
