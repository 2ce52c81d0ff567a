import { useEffect, useRef } from 'react'
import { Link, useParams } from 'react-router'
import { useAppSelector } from '../../../app/hooks'
import { PageTitle } from '../../../components/PageTitle'
import { ProductImage } from '../../../components/ProductImage'
import { QueryState } from '../../../components/Status'
import { money } from '../../../lib/format'
import { rememberViewed } from '../../../lib/visitor'
import { AddToCart } from '../../cart'
import { RecommendationRow, useBoughtTogetherQuery, useSimilarQuery } from '../../recommendations'
import { useRecordEventsMutation } from '../../../api/events'
import { useProductQuery } from '../api'

export function ProductPage() {
  const raw = useParams().id
  const id = Number(raw)
  const valid = Number.isInteger(id) && id > 0
  const product = useProductQuery(id, { skip: !valid })
  const similar = useSimilarQuery({ id, limit: 10 }, { skip: !valid })
  const together = useBoughtTogetherQuery({ id, limit: 10 }, { skip: !valid })
  const signedIn = useAppSelector((s) => s.session.refreshToken !== null)
  const [recordEvents] = useRecordEventsMutation()
  const viewed = useRef<number | null>(null)

  useEffect(() => {
    if (!product.data || viewed.current === product.data.id) return
    viewed.current = product.data.id
    rememberViewed(product.data.id)
    // a customer's view is training data for the next model
    if (signedIn) void recordEvents([{ product_id: product.data.id, kind: 'view' }])
  }, [product.data, signedIn, recordEvents])

  if (!valid) return <p>There is no product “{raw}”.</p>
  return (
    <QueryState query={product} label="Loading the product…">
      {(p) => {
        const attrs = p.attributes as { genres?: string[]; year?: number }
        return (
          <article>
            <div className="breadcrumbs text-sm">
              <ul>
                <li><Link to="/catalog">Catalog</Link></li>
                {p.category_path.map((c) => (
                  <li key={c.id}><Link to={`/catalog?category=${c.id}`}>{c.name}</Link></li>
                ))}
              </ul>
            </div>
            <PageTitle title={p.name} />
            <div className="grid gap-6 md:grid-cols-3">
              <div className="md:col-span-2">
                {p.image_url && <div className="mb-4 max-w-xl"><ProductImage product={p} size="page" /></div>}
                <p className="text-lg">{p.description}</p>
                <dl className="mt-4 grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
                  {attrs.year && (<><dt className="text-base-content/60">Year</dt><dd>{attrs.year}</dd></>)}
                  {attrs.genres?.length ? (<><dt className="text-base-content/60">Genres</dt><dd>{attrs.genres.join(', ')}</dd></>) : null}
                  <dt className="text-base-content/60">SKU</dt><dd>{p.sku}</dd>
                  <dt className="text-base-content/60">Stock</dt><dd>{p.in_stock ? `${p.stock} available` : 'sold out'}</dd>
                </dl>
              </div>
              <div className="card card-border h-fit bg-base-100">
                <div className="card-body">
                  <p className="text-3xl font-bold" data-testid="price">{money(p.price_cents, p.currency)}</p>
                  <AddToCart product={p} />
                </div>
              </div>
            </div>
            <RecommendationRow title="Similar items" query={similar} emptyText="No similar items yet." />
            <RecommendationRow title="Bought together" query={together} emptyText="Nobody has bought this with something else yet." />
          </article>
        )
      }}
    </QueryState>
  )
}
