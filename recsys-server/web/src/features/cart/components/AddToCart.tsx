import { useState } from 'react'
import { Link, useLocation } from 'react-router'
import { useAppSelector } from '../../../app/hooks'
import type { ProductView } from '../../../api/types'
import { ErrorAlert } from '../../../components/Status'
import { useCartQuery, useSetQuantityMutation } from '../api'

export function AddToCart({ product }: { product: ProductView }) {
  const signedIn = useAppSelector((s) => s.session.refreshToken !== null)
  const location = useLocation()
  const cart = useCartQuery(undefined, { skip: !signedIn })
  const [setQuantity, { isLoading, error, isSuccess }] = useSetQuantityMutation()
  const [quantity, setQty] = useState(1)
  if (!signedIn) {
    return (
      <Link className="btn btn-primary" to="/login" state={{ from: location.pathname }}>
        Sign in to buy
      </Link>
    )
  }
  if (!product.in_stock) return <button className="btn" disabled>Sold out</button>
  const inCart = cart.data?.lines.find((l) => l.product_id === product.id)?.quantity ?? 0
  const max = Math.max(1, product.stock - inCart)
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex items-center gap-2">
          <span className="text-sm">Quantity</span>
          <input
            className="input input-sm w-20"
            type="number"
            min={1}
            max={max}
            value={quantity}
            onChange={(e) => setQty(Math.max(1, Math.min(max, Number(e.target.value) || 1)))}
          />
        </label>
        <button
          type="button"
          className="btn btn-primary"
          disabled={isLoading || inCart >= product.stock}
          onClick={() => void setQuantity({ productId: product.id, quantity: inCart + quantity })}
        >
          {isLoading && <span className="loading loading-spinner loading-sm" />}Add to cart
        </button>
      </div>
      {inCart > 0 && (
        <p className="text-sm" role="status">
          {isSuccess ? 'Added. ' : ''}
          {inCart} in your <Link className="link" to="/cart">cart</Link>.
        </p>
      )}
      {error && <ErrorAlert error={error} />}
    </div>
  )
}
