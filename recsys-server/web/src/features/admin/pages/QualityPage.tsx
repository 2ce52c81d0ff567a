import { useMemo, useState } from 'react'
import type { RecMetricsDay } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { QueryState } from '../../../components/Status'
import { percent } from '../../../lib/format'
import { useRecMetricsQuery } from '../api'
import { TimeSeries } from '../components/charts'
import { RangePicker, rangeOf } from '../components/widgets'

/** One column per model version and placement: `hybrid v3 · home`. */
export function pivot(rows: RecMetricsDay[]) {
  const keys = new Map<string, string>()
  const byDay = new Map<string, Record<string, string | number>>()
  const totals = new Map<string, { impressions: number; clicks: number }>()
  for (const r of rows) {
    const key = `v${r.model_version_id}_${r.placement}`
    keys.set(key, `${r.model_name} v${r.version} · ${r.placement}`)
    const day = byDay.get(r.day) ?? { day: r.day }
    day[key] = r.ctr
    byDay.set(r.day, day)
    const t = totals.get(key) ?? { impressions: 0, clicks: 0 }
    t.impressions += r.impressions
    t.clicks += r.clicks
    totals.set(key, t)
  }
  return {
    series: [...keys].map(([key, label]) => ({ key, label })),
    data: [...byDay.values()].sort((a, b) => String(a.day).localeCompare(String(b.day))),
    totals: [...keys].map(([key, label]) => ({ key, label, ...totals.get(key)! })),
  }
}

export function QualityPage() {
  const [days, setDays] = useState(30)
  const metrics = useRecMetricsQuery(rangeOf(days))
  const view = useMemo(() => pivot(metrics.data ?? []), [metrics.data])
  return (
    <>
      <PageTitle title="Recommendation quality">
        <RangePicker days={days} onChange={setDays} />
      </PageTitle>
      <QueryState query={metrics} empty={(m) => (m.length ? null : 'No recommendation was shown in this range yet.')}>
        {() => (
          <>
            <TimeSeries title="Click-through rate per model version and placement" data={view.data} series={view.series} format={(v) => percent(v)} />
            <div className="mt-4 overflow-x-auto rounded-box border border-base-300 bg-base-100">
              <table className="table">
                <thead><tr><th>Model version · placement</th><th className="text-right">Impressions</th><th className="text-right">Clicks</th><th className="text-right">CTR</th></tr></thead>
                <tbody>
                  {view.totals.map((t) => (
                    <tr key={t.key}>
                      <td>{t.label}</td>
                      <td className="text-right">{t.impressions.toLocaleString('en-US')}</td>
                      <td className="text-right">{t.clicks.toLocaleString('en-US')}</td>
                      <td className="text-right">{percent(t.impressions ? t.clicks / t.impressions : 0, 2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p className="mt-2 text-sm text-base-content/60">An impression is one list served; a click is a customer or visitor opening an item of it.</p>
          </>
        )}
      </QueryState>
    </>
  )
}
