import { useState } from 'react'
import { Link } from 'react-router'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { compact, money } from '../../../lib/format'
import { useDailyTotalsQuery, useOverviewQuery } from '../api'
import { Bars, TimeSeries } from '../components/charts'
import { RangePicker, Stat, rangeOf } from '../components/widgets'

export function OverviewPage() {
  const [days, setDays] = useState(90)
  const overview = useOverviewQuery()
  const daily = useDailyTotalsQuery(rangeOf(days))
  const rows = (daily.data ?? []).map((d) => ({ ...d, revenue: d.revenue_cents / 100 }))
  return (
    <>
      <PageTitle title="Overview">
        <RangePicker days={days} onChange={setDays} />
      </PageTitle>
      <QueryState query={overview}>
        {(o) => (
          <>
            <div className="stats stats-vertical mb-6 w-full gap-2 bg-transparent shadow-none sm:stats-horizontal">
              <Stat title="Customers" value={o.users.toLocaleString('en-US')} />
              <Stat title="Active today" value={o.active_users_today} note={`${o.active_users_7d} in 7 days`} />
              <Stat title="Orders" value={compact(o.orders)} />
              <Stat title="Revenue" value={money(o.revenue_cents)} />
            </div>
            {daily.error && <ErrorAlert error={daily.error} />}
            <div className="grid gap-4 xl:grid-cols-2">
              <TimeSeries title="Daily active users" data={rows} series={[{ key: 'active_users', label: 'active users' }]} />
              <TimeSeries
                title="Orders and revenue"
                data={rows}
                series={[
                  { key: 'orders', label: 'orders' },
                  { key: 'revenue', label: 'revenue (USD)', right: true },
                ]}
                formatRight={(v) => `$${compact(v)}`}
              />
              <TimeSeries
                title="Events per day"
                data={rows}
                series={[
                  { key: 'views', label: 'views' },
                  { key: 'clicks', label: 'clicks' },
                  { key: 'cart_adds', label: 'cart adds' },
                  { key: 'purchases', label: 'purchases' },
                ]}
              />
              <Bars
                title="Top products (units sold)"
                data={o.top_products.map((p) => ({ ...p, revenue: p.revenue_cents / 100 }))}
                x="name"
                layout="vertical"
                series={[{ key: 'units', label: 'units' }]}
              />
            </div>
            <p className="mt-4 text-sm text-base-content/60">
              Daily figures are rolled up every ten minutes; <Link className="link" to="/admin/quality">recommendation quality</Link> has the click-through rates.
            </p>
          </>
        )}
      </QueryState>
    </>
  )
}
