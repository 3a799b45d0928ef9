import { useId } from 'react';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '../jobber/format';
import type { ChartDay } from './schemas';

// The 30-day chart of requests sent, delivered and clicked (recharts, SVG). The picture is one
// image to assistive technology, named by a sentence with the totals; the numbers themselves are
// in a real table (caption, column and row headers) one click away, for screen readers and for
// anyone who wants exact counts.

export const SERIES = [
  { key: 'sent', label: 'Sent', colour: 'var(--rv-sent)' },
  { key: 'delivered', label: 'Delivered', colour: 'var(--rv-delivered)' },
  { key: 'clicked', label: 'Clicked', colour: 'var(--rv-clicked)' },
] as const;

export function chartTotals(days: ChartDay[]): { sent: number; delivered: number; clicked: number } {
  return days.reduce((t, d) => ({ sent: t.sent + d.sent, delivered: t.delivered + d.delivered, clicked: t.clicked + d.clicked }), { sent: 0, delivered: 0, clicked: 0 });
}

/** "Oct 12" for a calendar day "2025-10-12" (no time zone: it already is the business's day). */
export function dayLabel(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d!)).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export function chartSummary(days: ChartDay[]): string {
  const t = chartTotals(days);
  return `Review requests over the last ${days.length} days: ${formatNumber(t.sent)} sent, ${formatNumber(t.delivered)} delivered, ${formatNumber(t.clicked)} clicked.`;
}

export function ReviewsChart({ days }: { days: ChartDay[] }) {
  const captionId = useId();
  const data = days.map((d) => ({ ...d, label: dayLabel(d.day) }));
  const totals = chartTotals(days);
  const empty = totals.sent + totals.delivered + totals.clicked === 0;
  return (
    <figure className="rv-chart" aria-labelledby={captionId}>
      <figcaption id={captionId} className="rv-chart-caption">
        <span className="rv-chart-title">Last {days.length} days</span>
        <span className="rv-chart-totals">
          {SERIES.map((s) => (
            <span key={s.key} className="rv-chart-total">
              <span className="rv-swatch" style={{ background: s.colour }} aria-hidden="true" />
              {formatNumber(totals[s.key])} {s.label.toLowerCase()}
            </span>
          ))}
        </span>
      </figcaption>
      <div className="rv-chart-plot" role="img" aria-label={chartSummary(days)}>
        {empty ? (
          <p className="jc-muted rv-chart-empty">No review requests went out in this time.</p>
        ) : (
          <BarChart
            responsive
            style={{ width: '100%', height: 180 }}
            data={data}
            margin={{ top: 8, right: 4, bottom: 0, left: -24 }}
            accessibilityLayer={false}
            barCategoryGap="20%"
          >
            <CartesianGrid vertical={false} stroke="var(--jc-border)" />
            <XAxis dataKey="label" tick={{ fontSize: 11, fill: 'var(--jc-muted)' }} interval="preserveStartEnd" minTickGap={16} />
            <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: 'var(--jc-muted)' }} width={48} />
            <Tooltip />
            {SERIES.map((s) => (
              <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.colour} isAnimationActive={false} />
            ))}
          </BarChart>
        )}
      </div>
      <details className="rv-chart-table">
        <summary>Show the numbers as a table</summary>
        <div className="rv-table-scroll">
          <table>
            <caption>Review requests per day, last {days.length} days</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {SERIES.map((s) => (
                  <th key={s.key} scope="col">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.day}>
                  <th scope="row">
                    <time dateTime={d.day}>{dayLabel(d.day)}</time>
                  </th>
                  <td>{formatNumber(d.sent)}</td>
                  <td>{formatNumber(d.delivered)}</td>
                  <td>{formatNumber(d.clicked)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td>{formatNumber(totals.sent)}</td>
                <td>{formatNumber(totals.delivered)}</td>
                <td>{formatNumber(totals.clicked)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </details>
    </figure>
  );
}
