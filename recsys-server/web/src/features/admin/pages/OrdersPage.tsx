import { useState } from 'react'
import type { OrderStatus, OrderView } from '../../../api/types'
import { OrderStatusBadge } from '../../../components/OrderStatusBadge'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert } from '../../../components/Status'
import { dateTime, money } from '../../../lib/format'
import { useAllOrdersQuery, useUpdateOrderMutation } from '../api'
import { PagedTable } from '../components/PagedTable'

const PAGE = 25
const STATUSES: OrderStatus[] = ['pending', 'paid', 'shipped', 'delivered', 'cancelled']

export function AdminOrdersPage() {
  const [status, setStatus] = useState<OrderStatus | ''>('')
  const [customer, setCustomer] = useState('')
  const [offset, setOffset] = useState(0)
  const userId = /^\d+$/.test(customer) ? Number(customer) : undefined
  const orders = useAllOrdersQuery({ status: status || undefined, user_id: userId, limit: PAGE, offset })
  return (
    <>
      <PageTitle title="Orders">
        <div className="flex flex-wrap gap-2">
          <select className="select select-sm w-36" aria-label="Status" value={status} onChange={(e) => { setStatus(e.target.value as OrderStatus | ''); setOffset(0) }}>
            <option value="">any status</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
          <input className="input input-sm w-40" inputMode="numeric" aria-label="Customer id" placeholder="customer id" value={customer} onChange={(e) => { setCustomer(e.target.value); setOffset(0) }} />
        </div>
      </PageTitle>
      <PagedTable query={orders} empty="No order matches." offset={offset} limit={PAGE} onPage={setOffset}
        head={<><th>Order</th><th>Customer</th><th>Placed</th><th>Items</th><th className="text-right">Total</th><th>Status</th><th>Move to</th></>}>
        {(o) => <OrderRow key={o.id} order={o} />}
      </PagedTable>
    </>
  )
}

function OrderRow({ order }: { order: OrderView }) {
  const [update, { isLoading, error }] = useUpdateOrderMutation()
  return (
    <>
      <tr>
        <td className="font-mono">#{order.id}</td>
        <td>#{order.user_id}</td>
        <td className="text-xs">{dateTime(order.created_at)}</td>
        <td className="max-w-64 truncate text-xs" title={order.lines.map((l) => `${l.quantity} × ${l.name}`).join(', ')}>{order.item_count}: {order.lines.map((l) => l.name).join(', ')}</td>
        <td className="text-right">{money(order.total_cents, order.currency)}</td>
        <td><OrderStatusBadge status={order.status} /></td>
        <td>
          <select className="select select-xs" aria-label={`New status of order ${order.id}`} value="" disabled={isLoading || order.status === 'cancelled'} onChange={(e) => e.target.value && void update({ id: order.id, status: e.target.value as OrderStatus })}>
            <option value="">…</option>
            {STATUSES.filter((s) => s !== order.status).map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </td>
      </tr>
      {error && <tr><td colSpan={7}><ErrorAlert error={error} /></td></tr>}
    </>
  )
}
