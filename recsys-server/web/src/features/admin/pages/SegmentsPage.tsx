import { useState } from 'react'
import { PageTitle } from '../../../components/PageTitle'
import { Empty, ErrorAlert, Loading } from '../../../components/Status'
import { dateTime, money } from '../../../lib/format'
import { useComputeSegmentsMutation, useSegmentsQuery } from '../api'
import { Bars } from '../components/charts'

export function SegmentsPage() {
  const segments = useSegmentsQuery()
  const [compute, computing] = useComputeSegmentsMutation()
  const [k, setK] = useState('')
  const none = segments.error && 'status' in segments.error && segments.error.status === 404
  const view = segments.data
  return (
    <>
      <PageTitle title="Customer segments">
        <div className="flex items-end gap-2">
          <label className="flex flex-col gap-1 text-sm">Segments
            <select className="select select-sm" aria-label="Segments" value={k} onChange={(e) => setK(e.target.value)}>
              <option value="">best of 2–6 (silhouette)</option>
              {[2, 3, 4, 5, 6, 7, 8].map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <button type="button" className="btn btn-primary btn-sm" disabled={computing.isLoading} onClick={() => void compute({ k: k ? Number(k) : null })}>
            {computing.isLoading && <span className="loading loading-spinner loading-xs" />}Segment the customers
          </button>
        </div>
      </PageTitle>
      {computing.error && <ErrorAlert error={computing.error} />}
      {segments.isLoading ? (
        <Loading />
      ) : none ? (
        <Empty>No segmentation has run yet: segment the customers by recency, frequency and spend (RFM) with K-Means.</Empty>
      ) : segments.error ? (
        <ErrorAlert error={segments.error} retry={() => void segments.refetch()} />
      ) : view ? (
        <>
          <p className="mb-4 text-sm text-base-content/60">
            {view.k} segments · silhouette {view.silhouette?.toFixed(3) ?? '—'} · computed {dateTime(view.computed_at)}
            {view.tried.length > 0 && ` · tried ${view.tried.map(([k, s]) => `k=${k}: ${s.toFixed(3)}`).join(', ')}`}
          </p>
          <div className="grid gap-4 xl:grid-cols-2">
            <Bars title="Customers per segment" data={view.segments.map((s) => ({ name: s.label, users: s.users }))} x="name" series={[{ key: 'users', label: 'customers' }]} layout="vertical" />
            <Bars
              title="RFM means per segment"
              data={view.segments.map((s) => ({ name: s.label, recency: s.recency_days, frequency: s.frequency, spend: s.monetary_cents / 100 }))}
              x="name"
              series={[{ key: 'recency', label: 'days since last order' }, { key: 'frequency', label: 'order lines' }, { key: 'spend', label: 'spent (USD)' }]}
              layout="vertical"
              height={Math.max(240, view.segments.length * 64)}
            />
          </div>
          <div className="mt-4 overflow-x-auto rounded-box border border-base-300 bg-base-100">
            <table className="table table-sm">
              <thead><tr><th>#</th><th>Label</th><th className="text-right">Customers</th><th className="text-right">Recency (days)</th><th className="text-right">Frequency</th><th className="text-right">Spend</th><th className="text-right">Categories</th></tr></thead>
              <tbody>
                {view.segments.map((s) => (
                  <tr key={s.segment}>
                    <td>{s.segment}</td><td>{s.label}</td><td className="text-right">{s.users}</td>
                    <td className="text-right">{s.recency_days.toFixed(1)}</td><td className="text-right">{s.frequency.toFixed(1)}</td>
                    <td className="text-right">{money(s.monetary_cents)}</td><td className="text-right">{s.category_diversity.toFixed(1)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </>
  )
}
