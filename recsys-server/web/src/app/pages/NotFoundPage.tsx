import { Link } from 'react-router'
import { PageTitle } from '../../components/PageTitle'

export function NotFoundPage() {
  return (
    <div className="py-12 text-center">
      <PageTitle title="Page not found" />
      <p>
        There is no page here. <Link className="link" to="/">Back to the shop</Link>.
      </p>
    </div>
  )
}
