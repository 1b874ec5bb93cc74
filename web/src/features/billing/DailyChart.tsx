import { Bar, CartesianGrid, ComposedChart, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMoney } from '../../lib/money';
import type { ChartModel, ChartPoint } from './chartData';

/**
 * Daily charges as bars, the forecast's run rate as lighter bars on the days to come and the
 * estimate's daily average as a dashed line. A text summary sits beside it for screen readers.
 */
export function DailyChart({ model, currency, summary }: { model: ChartModel; currency: string; summary: string }) {
  return (
    <figure className="chart" aria-label="Daily charges">
      <div className="chart-box" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          <ComposedChart accessibilityLayer={false} data={model.points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid vertical={false} stroke="#e6e9ef" />
            <XAxis dataKey="day" tickLine={false} axisLine={false} interval="preserveStartEnd" fontSize={12} />
            <YAxis tickLine={false} axisLine={false} width={48} fontSize={12} />
            <Tooltip
              formatter={(_v, name, item) => {
                const p = item.payload as ChartPoint;
                // Text from the API's decimal string; the forecast bar is a rate, not an amount.
                return name === 'Charges' && p.chargeText !== null ? formatMoney(p.chargeText, currency) : 'projected at the forecast run rate';
              }}
              labelFormatter={(_, p) => (p[0]?.payload as ChartPoint | undefined)?.label ?? ''}
            />
            <Legend verticalAlign="top" height={28} iconType="square" />
            <Bar dataKey="charge" name="Charges" fill="#0b5cad" radius={[3, 3, 0, 0]} isAnimationActive={false} />
            {model.forecastPerDay > 0 && (
              <Bar dataKey="forecast" name="Forecast" fill="#a9c8ec" radius={[3, 3, 0, 0]} isAnimationActive={false} />
            )}
            {model.estimatePerDay > 0 && (
              <ReferenceLine y={model.estimatePerDay} stroke="#b45309" strokeWidth={2} strokeDasharray="6 4" />
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <p className="chart-key small muted" aria-hidden="true">
        <span className="key-line" /> the end-of-month estimate’s daily average
        {model.forecastPerDay > 0 && (
          <>
            {' '}
            <span className="key-bar" /> the forecast for the days left
          </>
        )}
      </p>
      <figcaption className="sr-only">{summary}</figcaption>
    </figure>
  );
}
