import { Link } from 'react-router'
import { useAppSelector } from '../hooks'
import { PageTitle } from '../../components/PageTitle'
import { viewedProducts, visitorSession } from '../../lib/visitor'
import { useOrdersQuery } from '../../features/orders'
import { RecommendationRow, useForYouQuery, useSimilarQuery } from '../../features/recommendations'

export function HomePage() {
  const session = useAppSelector((s) => s.session)
  return session.refreshToken ? <CustomerHome name={session.user?.display_name} /> : <VisitorHome />
}

function CustomerHome({ name }: { name?: string }) {
  const forYou = useForYouQuery({ limit: 12, placement: 'home' })
  // the newest order's first product: "because you bought ..."
  const orders = useOrdersQuery({ limit: 1, offset: 0 })
  const last = orders.data?.items[0]?.lines[0]
  const because = useSimilarQuery({ id: last?.product_id ?? 0, limit: 10 }, { skip: !last })
  return (
    <>
      <PageTitle title={name ? `Welcome back, ${name}` : 'Welcome back'} />
      <RecommendationRow title="Recommended for you" query={forYou} />
      {last && <RecommendationRow title={`Because you bought ${last.name}`} query={because} />}
    </>
  )
}

function VisitorHome() {
  const viewed = viewedProducts()
  const popular = useForYouQuery({ limit: 12, placement: 'home', session: visitorSession() })
  const fromViews = useForYouQuery(
    { limit: 12, placement: 'home-recent', context: viewed.slice(0, 5), session: visitorSession() },
    { skip: !viewed.length },
  )
  return (
    <>
      <div className="hero mb-4 rounded-box bg-base-100">
        <div className="hero-content flex-col items-start py-10">
          <h1 className="text-3xl font-bold">Picked for you</h1>
          <p className="max-w-xl text-base-content/70">
            Recommended by models trained on what our customers look at and buy.{' '}
            <Link className="link" to="/register">Create an account</Link> and the shop learns your taste.
          </p>
          <Link to="/catalog" className="btn btn-primary">Browse the catalog</Link>
        </div>
      </div>
      {viewed.length > 0 && <RecommendationRow title="Picked from what you looked at" query={fromViews} />}
      <RecommendationRow title="Popular right now" query={popular} />
    </>
  )
}
