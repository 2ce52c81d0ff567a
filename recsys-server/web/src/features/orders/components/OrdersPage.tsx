import { useState } from 'react'
import { Link } from 'react-router'
import { OrderStatusBadge } from '../../../components/OrderStatusBadge'
import { PageTitle } from '../../../components/PageTitle'
import { Pager } from '../../../components/Pager'
import { QueryState } from '../../../components/Status'
import { dateTime, money } from '../../../lib/format'
import { useOrdersQuery } from '../api'

const PAGE = 10

export function OrdersPage() {
  const [offset, setOffset] = useState(0)
  const orders = useOrdersQuery({ limit: PAGE, offset })
  return (
    <div className="mx-auto max-w-3xl">
      <PageTitle title="Your orders" />
      <QueryState query={orders} empty={(p) => (p.items.length ? null : 'You have not ordered anything yet.')}>
        {(page) => (
          <>
            <ul className="flex flex-col gap-3">
              {page.items.map((o) => (
                <li key={o.id} className="card card-border bg-base-100">
                  <div className="card-body flex-row flex-wrap items-center justify-between gap-2 p-4">
                    <div>
                      <Link className="link font-semibold" to={`/orders/${o.id}`}>Order #{o.id}</Link>
                      <p className="text-sm text-base-content/60">
                        {dateTime(o.created_at)} · {o.item_count} items: {o.lines.slice(0, 3).map((l) => l.name).join(', ')}
                        {o.lines.length > 3 ? '…' : ''}
                      </p>
                    </div>
                    <div className="flex items-center gap-3">
                      <OrderStatusBadge status={o.status} />
                      <strong>{money(o.total_cents, o.currency)}</strong>
                    </div>
                  </div>
                </li>
              ))}
            </ul>
            <Pager offset={offset} limit={PAGE} total={page.total} onChange={setOffset} />
          </>
        )}
      </QueryState>
    </div>
  )
}
