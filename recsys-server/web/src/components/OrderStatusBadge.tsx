import type { OrderStatus } from '../api/types'

const STYLE: Record<OrderStatus, string> = {
  pending: 'badge-warning',
  paid: 'badge-info',
  shipped: 'badge-primary',
  delivered: 'badge-success',
  cancelled: 'badge-ghost',
}

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  return <span className={`badge badge-soft ${STYLE[status]}`}>{status}</span>
}
