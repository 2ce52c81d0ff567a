// The dashboard's charts (Recharts): a daily time series, bars, and rates with intervals.
import type { ReactElement } from 'react'
import {
  Bar,
  BarChart,
  CartesianGrid,
  ErrorBar,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'

export const PALETTE = ['#4f46e5', '#0d9488', '#db2777', '#d97706', '#2563eb', '#65a30d', '#7c3aed', '#dc2626']

export interface Series {
  key: string
  label: string
  /** the right-hand axis (a second unit: revenue beside counts) */
  right?: boolean
}

type Row = Record<string, unknown>

function ChartFrame({ title, height = 260, children }: { title: string; height?: number; children: ReactElement }) {
  return (
    <figure className="card card-border bg-base-100" data-chart={title}>
      <figcaption className="card-title px-4 pt-4 text-base">{title}</figcaption>
      <div className="p-2" style={{ height }} role="img" aria-label={title}>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  )
}

export function TimeSeries({
  title,
  data,
  x = 'day',
  series,
  format = (v: number) => v.toLocaleString('en-US'),
  formatRight,
}: {
  title: string
  data: Row[]
  x?: string
  series: Series[]
  format?: (v: number) => string
  formatRight?: (v: number) => string
}) {
  const hasRight = series.some((s) => s.right)
  return (
    <ChartFrame title={title}>
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
        <XAxis dataKey={x} tick={{ fontSize: 11 }} minTickGap={24} />
        <YAxis yAxisId="left" tick={{ fontSize: 11 }} tickFormatter={format} width={56} />
        {hasRight && <YAxis yAxisId="right" orientation="right" tick={{ fontSize: 11 }} tickFormatter={formatRight ?? format} width={64} />}
        <Tooltip formatter={(v, name, item) => {
          const s = series.find((s) => s.label === name || s.key === item?.dataKey)
          const f = s?.right ? (formatRight ?? format) : format
          return typeof v === 'number' ? f(v) : String(v)
        }} />
        <Legend />
        {series.map((s, i) => (
          <Line
            key={s.key}
            yAxisId={s.right ? 'right' : 'left'}
            type="monotone"
            dataKey={s.key}
            name={s.label}
            stroke={PALETTE[i % PALETTE.length]}
            strokeWidth={2}
            dot={data.length < 40}
            isAnimationActive={false}
            connectNulls
          />
        ))}
      </LineChart>
    </ChartFrame>
  )
}

export function Bars({
  title,
  data,
  x,
  series,
  layout = 'horizontal',
  format = (v: number) => v.toLocaleString('en-US'),
  height,
}: {
  title: string
  data: Row[]
  x: string
  series: Series[]
  layout?: 'horizontal' | 'vertical'
  format?: (v: number) => string
  height?: number
}) {
  const vertical = layout === 'vertical'
  return (
    <ChartFrame title={title} height={height ?? (vertical ? Math.max(200, data.length * 28 + 40) : 260)}>
      <BarChart data={data} layout={vertical ? 'vertical' : 'horizontal'} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
        {vertical ? (
          <>
            <XAxis type="number" tick={{ fontSize: 11 }} tickFormatter={format} />
            <YAxis type="category" dataKey={x} tick={{ fontSize: 11 }} width={160} interval={0} />
          </>
        ) : (
          <>
            <XAxis dataKey={x} tick={{ fontSize: 11 }} />
            <YAxis tick={{ fontSize: 11 }} tickFormatter={format} width={56} />
          </>
        )}
        <Tooltip formatter={(v) => (typeof v === 'number' ? format(v) : String(v))} />
        {series.length > 1 && <Legend />}
        {series.map((s, i) => (
          <Bar key={s.key} dataKey={s.key} name={s.label} fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartFrame>
  )
}

/** Rates with their 95% intervals: one bar per row, whiskers from `low` to `high`. */
export function Intervals({
  title,
  data,
  format,
}: {
  title: string
  data: { label: string; value: number; low: number; high: number }[]
  format: (v: number) => string
}) {
  const rows = data.map((d) => ({ ...d, error: [Math.max(0, d.value - d.low), Math.max(0, d.high - d.value)] }))
  return (
    <ChartFrame title={title} height={220}>
      <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
        <XAxis dataKey="label" tick={{ fontSize: 11 }} />
        <YAxis tick={{ fontSize: 11 }} tickFormatter={format} width={56} />
        <Tooltip
          formatter={(_v, _n, item) => {
            const p = item.payload as (typeof rows)[number]
            return `${format(p.value)} (95%: ${format(p.low)} – ${format(p.high)})`
          }}
        />
        <Bar dataKey="value" name="rate" fill={PALETTE[0]} isAnimationActive={false}>
          <ErrorBar dataKey="error" width={8} strokeWidth={2} stroke="#111827" />
        </Bar>
      </BarChart>
    </ChartFrame>
  )
}
