import { useAppSelector } from '../../../app/hooks'
import type { Recommendations } from '../../../api/types'
import { ProductCard } from '../../../components/ProductCard'
import { ErrorAlert, Loading } from '../../../components/Status'
import { visitorSession } from '../../../lib/visitor'
import { useRecordEventsMutation } from '../../../api/events'
import { useRecordClickMutation } from '../api'

const SOURCE: Record<string, string> = {
  als: 'people like you',
  content: 'similar story',
  popular: 'popular',
  co_purchase: 'bought together',
  catalog: 'from the catalog',
}

/**
 * One recommendation list as a row of cards. The server counts the list's impression when it
 * serves it; a click on an item is reported with the list's `recommendation_id`, so the model
 * version and placement (and experiment arm) that made the list get the credit.
 */
export function RecommendationRow({
  title,
  query,
  emptyText,
}: {
  title: string
  query: { data?: Recommendations; error?: unknown; isLoading: boolean; refetch: () => unknown }
  emptyText?: string
}) {
  const signedIn = useAppSelector((s) => s.session.refreshToken !== null)
  const [recordEvents] = useRecordEventsMutation()
  const [recordClick] = useRecordClickMutation()
  const list = query.data

  function clicked(productId: number) {
    if (!list) return
    if (signedIn) {
      void recordEvents([{ product_id: productId, kind: 'click', recommendation_id: list.recommendation_id }])
    } else {
      void recordClick({ recommendation_id: list.recommendation_id, session: visitorSession() })
    }
  }

  const heading = title.toLowerCase().replace(/[^a-z0-9]+/g, '-')
  return (
    <section className="my-8" aria-labelledby={heading} data-recommendation-id={list?.recommendation_id} data-placement={list?.placement}>
      <div className="mb-3 flex items-baseline justify-between gap-2">
        <h2 id={heading} className="text-xl font-semibold">{title}</h2>
        {list?.model_version && <span className="text-xs text-base-content/50">model {list.model_version}</span>}
      </div>
      {query.isLoading ? (
        <Loading label="Finding products for you…" />
      ) : query.error ? (
        <ErrorAlert error={query.error} retry={() => void query.refetch()} />
      ) : !list?.items.length ? (
        <p className="text-base-content/60">{emptyText ?? 'Nothing to show here yet.'}</p>
      ) : (
        <ul className="flex snap-x gap-4 overflow-x-auto pb-2" role="list">
          {list.items.map((item) => (
            <li key={item.product.id} className="relative w-52 shrink-0 snap-start">
              <ProductCard product={item.product} note={SOURCE[item.source]} onOpen={() => clicked(item.product.id)} />
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
