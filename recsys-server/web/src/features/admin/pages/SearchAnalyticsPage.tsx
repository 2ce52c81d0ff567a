import { useState } from 'react'
import type { SearchAnalytics } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { QueryState } from '../../../components/Status'
import { useSearchAnalyticsQuery } from '../api'
import { TimeSeries } from '../components/charts'
import { RangePicker, rangeOf } from '../components/widgets'

function QueryTable({ title, rows }: { title: string; rows: SearchAnalytics['top'] }) {
  return (
    <section className="card card-border bg-base-100">
      <div className="card-body">
        <h2 className="card-title text-base">{title}</h2>
        {rows.length === 0 ? (
          <p className="text-sm text-base-content/60">None in this range.</p>
        ) : (
          <table className="table table-sm">
            <thead><tr><th>Query</th><th className="text-right">Searches</th><th className="text-right">Mean results</th><th className="text-right">Found nothing</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.query}><td>{r.query}</td><td className="text-right">{r.searches}</td><td className="text-right">{r.mean_results.toFixed(1)}</td><td className="text-right">{r.zero_result_searches}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  )
}

export function SearchAnalyticsPage() {
  const [days, setDays] = useState(30)
  const search = useSearchAnalyticsQuery({ ...rangeOf(days), limit: 20 })
  return (
    <>
      <PageTitle title="Search analytics">
        <RangePicker days={days} onChange={setDays} />
      </PageTitle>
      <QueryState query={search}>
        {(s) => (
          <div className="flex flex-col gap-4">
            <TimeSeries title="Searches per day" data={s.trend} series={[{ key: 'searches', label: 'searches' }]} />
            <div className="grid gap-4 lg:grid-cols-2">
              <QueryTable title="Top queries" rows={s.top} />
              <QueryTable title="Queries that found nothing" rows={s.zero_results} />
            </div>
          </div>
        )}
      </QueryState>
    </>
  )
}
