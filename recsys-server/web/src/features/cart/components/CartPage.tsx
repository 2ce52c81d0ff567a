import { useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { money } from '../../../lib/format'
import { useCartQuery, useCheckoutMutation, useRemoveLineMutation, useSetQuantityMutation } from '../api'

export function CartPage() {
  const cart = useCartQuery()
  const [setQuantity, setState] = useSetQuantityMutation()
  const [removeLine, removeState] = useRemoveLineMutation()
  const [checkout, checkoutState] = useCheckoutMutation()
  const navigate = useNavigate()
  // kept across retries of one attempt, new after a success
  const [attempt, setAttempt] = useState(() => crypto.randomUUID())

  async function placeOrder() {
    const result = await checkout(attempt)
    if ('data' in result && result.data) {
      setAttempt(crypto.randomUUID())
      navigate(`/orders/${result.data.id}`, { state: { placed: true } })
    }
  }

  return (
    <div className="mx-auto max-w-3xl">
      <PageTitle title="Your cart" />
      <QueryState
        query={cart}
        empty={(c) =>
          c.lines.length ? null : (
            <>Your cart is empty. <Link className="link" to="/catalog">Browse the catalog</Link>.</>
          )
        }
      >
        {(c) => (
          <>
            <div className="overflow-x-auto rounded-box border border-base-300 bg-base-100">
              <table className="table">
                <thead>
                  <tr><th>Product</th><th>Price</th><th>Quantity</th><th className="text-right">Total</th><th><span className="sr-only">Remove</span></th></tr>
                </thead>
                <tbody>
                  {c.lines.map((l) => (
                    <tr key={l.product_id}>
                      <td>
                        <Link className="link-hover font-medium" to={`/products/${l.product_id}`}>{l.name}</Link>
                        {!l.available && <div className="text-xs text-error">Only {l.stock} left: lower the quantity to check out.</div>}
                      </td>
                      <td>{money(l.unit_price_cents, c.currency)}</td>
                      <td>
                        <input
                          aria-label={`Quantity of ${l.name}`}
                          className="input input-sm w-20"
                          type="number"
                          min={1}
                          max={10000}
                          defaultValue={l.quantity}
                          key={l.quantity}
                          onBlur={(e) => {
                            const q = Number(e.target.value)
                            if (Number.isInteger(q) && q >= 1 && q !== l.quantity) void setQuantity({ productId: l.product_id, quantity: q })
                          }}
                        />
                      </td>
                      <td className="text-right">{money(l.line_total_cents, c.currency)}</td>
                      <td>
                        <button type="button" className="btn btn-ghost btn-sm" onClick={() => void removeLine(l.product_id)} aria-label={`Remove ${l.name}`}>
                          ✕
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {(setState.error || removeState.error) && <ErrorAlert error={setState.error ?? removeState.error} />}
            <div className="mt-6 flex flex-wrap items-center justify-end gap-4">
              <p className="text-lg">
                {c.item_count} items · <strong data-testid="cart-total">{money(c.total_cents, c.currency)}</strong>
              </p>
              <button
                type="button"
                className="btn btn-primary"
                disabled={checkoutState.isLoading || c.lines.some((l) => !l.available)}
                onClick={() => void placeOrder()}
              >
                {checkoutState.isLoading && <span className="loading loading-spinner loading-sm" />}Place order
              </button>
            </div>
            {checkoutState.error && <ErrorAlert error={checkoutState.error} />}
          </>
        )}
      </QueryState>
    </div>
  )
}
