import { Link, useLocation, useParams } from 'react-router'
import { OrderStatusBadge } from '../../../components/OrderStatusBadge'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { dateTime, money } from '../../../lib/format'
import { useCancelOrderMutation, useOrderQuery } from '../api'

export function OrderPage() {
  const id = Number(useParams().id)
  const placed = (useLocation().state as { placed?: boolean } | null)?.placed
  const order = useOrderQuery(id, { skip: !Number.isInteger(id) })
  const [cancel, cancelState] = useCancelOrderMutation()
  return (
    <div className="mx-auto max-w-3xl">
      <PageTitle title={`Order #${Number.isInteger(id) ? id : '?'}`} />
      {placed && (
        <div role="status" className="alert alert-success mb-4">
          Thank you! Your order is placed.
        </div>
      )}
      <QueryState query={order}>
        {(o) => (
          <div className="card card-border bg-base-100">
            <div className="card-body">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <p className="text-sm text-base-content/60">Placed {dateTime(o.created_at)} · updated {dateTime(o.updated_at)}</p>
                <OrderStatusBadge status={o.status} />
              </div>
              <table className="table">
                <thead><tr><th>Product</th><th>Price</th><th>Qty</th><th className="text-right">Total</th></tr></thead>
                <tbody>
                  {o.lines.map((l) => (
                    <tr key={l.product_id}>
                      <td><Link className="link-hover" to={`/products/${l.product_id}`}>{l.name}</Link></td>
                      <td>{money(l.unit_price_cents, o.currency)}</td>
                      <td>{l.quantity}</td>
                      <td className="text-right">{money(l.line_total_cents, o.currency)}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot><tr><td colSpan={3}>Total</td><td className="text-right" data-testid="order-total">{money(o.total_cents, o.currency)}</td></tr></tfoot>
              </table>
              {(o.status === 'pending' || o.status === 'paid') && (
                <div className="card-actions justify-end">
                  <button type="button" className="btn btn-outline btn-error btn-sm" disabled={cancelState.isLoading} onClick={() => void cancel(o.id)}>
                    Cancel order
                  </button>
                </div>
              )}
              {cancelState.error && <ErrorAlert error={cancelState.error} />}
            </div>
          </div>
        )}
      </QueryState>
      <p className="mt-4"><Link className="link" to="/orders">← All orders</Link></p>
    </div>
  )
}
