import { useSearchParams } from 'react-router'
import { PageTitle } from '../../../components/PageTitle'
import { ProductCard, ProductGrid } from '../../../components/ProductCard'
import { Empty, QueryState } from '../../../components/Status'
import { useSearchQuery } from '../api'

export function SearchPage() {
  const q = (useSearchParams()[0].get('q') ?? '').trim()
  const results = useSearchQuery({ q, limit: 40 }, { skip: !q })
  return (
    <div>
      <PageTitle title={q ? `Results for “${q}”` : 'Search'} />
      {!q ? (
        <Empty>Type what you are looking for in the search box above.</Empty>
      ) : (
        <QueryState query={results} empty={(r) => (r.items.length ? null : `No products match “${q}”.`)}>
          {(r) => (
            <ProductGrid>
              {r.items.map((h) => (
                <ProductCard key={h.product.id} product={h.product} />
              ))}
            </ProductGrid>
          )}
        </QueryState>
      )}
    </div>
  )
}
