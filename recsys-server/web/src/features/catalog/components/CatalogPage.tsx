import { useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import type { ProductSort } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { Pager } from '../../../components/Pager'
import { ProductCard, ProductGrid } from '../../../components/ProductCard'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { pathTo, useCategoriesQuery, useProductsQuery } from '../api'
import { CategoryTree } from './CategoryTree'

const PAGE = 20
const SORTS: [ProductSort, string][] = [
  ['name', 'Name'],
  ['price_asc', 'Price: low to high'],
  ['price_desc', 'Price: high to low'],
  ['newest', 'Newest'],
]

function int(v: string | null): number | undefined {
  if (v === null || v === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

export function CatalogPage() {
  const [search, setSearch] = useSearchParams()
  const category = int(search.get('category'))
  const offset = int(search.get('offset')) ?? 0
  const sort = (search.get('sort') as ProductSort | null) ?? 'name'
  const inStock = search.get('in_stock') === 'true'
  const minPrice = int(search.get('min'))
  const maxPrice = int(search.get('max'))
  const q = search.get('q') ?? undefined

  const categories = useCategoriesQuery()
  const products = useProductsQuery({
    category,
    q,
    sort,
    in_stock: inStock || undefined,
    min_price: minPrice !== undefined ? Math.round(minPrice * 100) : undefined,
    max_price: maxPrice !== undefined ? Math.round(maxPrice * 100) : undefined,
    limit: PAGE,
    offset,
  })

  function update(changes: Record<string, string | undefined>) {
    const next = new URLSearchParams(search)
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') next.delete(k)
      else next.set(k, v)
    }
    if (!('offset' in changes)) next.delete('offset')
    setSearch(next)
  }

  const [min, setMin] = useState(search.get('min') ?? '')
  const [max, setMax] = useState(search.get('max') ?? '')
  function applyPrice(e: FormEvent) {
    e.preventDefault()
    update({ min, max })
  }

  const title = category && categories.data ? pathTo(categories.data, category).at(-1)?.name ?? 'Catalog' : 'Catalog'

  return (
    <div className="flex flex-col gap-6 lg:flex-row">
      <aside className="lg:w-64 lg:shrink-0" aria-label="Filters">
        <details className="collapse-arrow collapse border border-base-300 bg-base-100 lg:collapse-open" open>
          <summary className="collapse-title font-semibold">Categories</summary>
          <div className="collapse-content">
            {categories.error ? (
              <ErrorAlert error={categories.error} />
            ) : (
              <CategoryTree nodes={categories.data ?? []} selected={category} onSelect={(id) => update({ category: id?.toString() })} />
            )}
          </div>
        </details>
        <form onSubmit={applyPrice} className="mt-4 rounded-box border border-base-300 bg-base-100 p-4">
          <fieldset className="fieldset">
            <legend className="fieldset-legend">Price (USD)</legend>
            <div className="flex gap-2">
              <input aria-label="Lowest price" className="input input-sm" type="number" min={0} step="0.01" placeholder="min" value={min} onChange={(e) => setMin(e.target.value)} />
              <input aria-label="Highest price" className="input input-sm" type="number" min={0} step="0.01" placeholder="max" value={max} onChange={(e) => setMax(e.target.value)} />
            </div>
            <button className="btn btn-sm mt-2" type="submit">Apply</button>
          </fieldset>
          <label className="label mt-3 cursor-pointer gap-2">
            <input type="checkbox" className="checkbox checkbox-sm" checked={inStock} onChange={(e) => update({ in_stock: e.target.checked ? 'true' : undefined })} />
            In stock only
          </label>
        </form>
      </aside>
      <section className="min-w-0 flex-1">
        <PageTitle title={q ? `“${q}”` : title}>
          <label className="flex items-center gap-2 text-sm">
            Sort by
            <select className="select select-sm w-48" aria-label="Sort by" value={sort} onChange={(e) => update({ sort: e.target.value })}>
              {SORTS.map(([value, label]) => (
                <option key={value} value={value}>{label}</option>
              ))}
            </select>
          </label>
        </PageTitle>
        <QueryState query={products} empty={(p) => (p.items.length ? null : 'No products match these filters.')}>
          {(page) => (
            <>
              <p className="mb-3 text-sm text-base-content/60" data-testid="result-count">
                {page.total.toLocaleString('en-US')} products
              </p>
              <div className={products.isFetching ? 'opacity-60 transition-opacity' : ''} aria-busy={products.isFetching}>
                <ProductGrid>
                  {page.items.map((p) => (
                    <ProductCard key={p.id} product={p} />
                  ))}
                </ProductGrid>
              </div>
              <Pager offset={offset} limit={PAGE} total={page.total} onChange={(o) => update({ offset: String(o) })} />
            </>
          )}
        </QueryState>
      </section>
    </div>
  )
}
