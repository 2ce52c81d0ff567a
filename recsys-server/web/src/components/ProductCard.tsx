import { Link } from 'react-router'
import type { ReactNode } from 'react'
import type { ProductSummary } from '../api/types'
import { money } from '../lib/format'
import { ProductImage } from './ProductImage'

function genres(p: ProductSummary): string[] {
  const g = (p.attributes as { genres?: unknown }).genres
  return Array.isArray(g) ? g.filter((x): x is string => typeof x === 'string').slice(0, 3) : []
}

function year(p: ProductSummary): number | null {
  const y = (p.attributes as { year?: unknown }).year
  return typeof y === 'number' ? y : null
}

/** A product in a grid or a recommendation row; `onOpen` runs before the link navigates. */
export function ProductCard({ product, onOpen, note }: { product: ProductSummary; onOpen?: () => void; note?: string }) {
  const y = year(product)
  return (
    <article className="card card-border relative bg-base-100 h-full shadow-sm transition hover:shadow-md">
      <figure className="px-4 pt-4">
        <ProductImage product={product} size="card" />
      </figure>
      <div className="card-body gap-2 p-4">
        <h3 className="card-title text-base leading-snug">
          <Link to={`/products/${product.id}`} onClick={onOpen} className="link-hover after:absolute after:inset-0">
            {product.name}
          </Link>
        </h3>
        <p className="text-sm text-base-content/60">
          {y ?? ''}
          {y && genres(product).length ? ' · ' : ''}
          {genres(product).join(', ')}
        </p>
        {note && <p className="text-xs text-primary">{note}</p>}
        <div className="mt-auto flex items-center justify-between pt-2">
          <span className="font-semibold">{money(product.price_cents, product.currency)}</span>
          {product.in_stock ? (
            <span className="badge badge-success badge-soft badge-sm">in stock</span>
          ) : (
            <span className="badge badge-ghost badge-sm">sold out</span>
          )}
        </div>
      </div>
    </article>
  )
}

export function ProductGrid({ children }: { children: ReactNode }) {
  return <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4 xl:grid-cols-5">{children}</div>
}
