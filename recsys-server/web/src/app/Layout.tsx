import { Link, NavLink, Outlet, useLocation } from 'react-router'
import { isAdmin } from '../api/session'
import { useLogoutMutation, useMeQuery } from '../features/auth'
import { useCartQuery } from '../features/cart'
import { SearchBox } from '../features/catalog'
import { useAppSelector } from './hooks'

export function Layout() {
  const session = useAppSelector((s) => s.session)
  const signedIn = session.refreshToken !== null
  // who is signed in, checked once per visit (a stale copy in storage renews or signs out)
  useMeQuery(undefined, { skip: !signedIn })
  const cart = useCartQuery(undefined, { skip: !signedIn })
  const [logout] = useLogoutMutation()
  const location = useLocation()
  const notice = (location.state as { notice?: string } | null)?.notice
  const user = session.user
  const count = cart.data?.item_count ?? 0

  return (
    <div className="flex min-h-screen flex-col bg-base-200">
      <a href="#main" className="btn btn-sm absolute left-2 top-2 z-50 -translate-y-20 focus:translate-y-0">Skip to content</a>
      <header className="navbar sticky top-0 z-20 flex-wrap gap-2 bg-base-100 px-4 shadow-sm">
        <div className="flex-1 md:flex-none">
          <Link to="/" className="text-xl font-bold tracking-tight">
            recsys<span className="text-primary">shop</span>
          </Link>
        </div>
        <div className="order-last w-full md:order-none md:flex md:w-auto md:flex-1 md:justify-center">
          <SearchBox />
        </div>
        <nav aria-label="Main" className="flex items-center gap-1">
          <div className="hidden items-center gap-1 md:flex">
            <NavLink to="/catalog" className="btn btn-ghost btn-sm">Catalog</NavLink>
            {signedIn && <NavLink to="/orders" className="btn btn-ghost btn-sm">Orders</NavLink>}
            {isAdmin(user) && <NavLink to="/admin" className="btn btn-ghost btn-sm">Dashboard</NavLink>}
          </div>
          {signedIn ? (
            <>
              <NavLink to="/cart" className="btn btn-ghost btn-sm" aria-label={`Cart, ${count} items`}>
                Cart
                <span className="badge badge-sm badge-primary" data-testid="cart-count">{count}</span>
              </NavLink>
              <div className="dropdown dropdown-end">
                <button type="button" className="btn btn-ghost btn-sm" aria-haspopup="menu" aria-label="Account menu">
                  <span className="hidden max-w-40 truncate sm:inline">{user?.display_name || user?.email || 'Account'}</span>
                  <span aria-hidden="true">☰</span>
                </button>
                <ul className="menu dropdown-content z-30 mt-2 w-52 rounded-box bg-base-100 p-2 shadow" role="menu">
                  <li className="menu-title text-xs">{user?.email}</li>
                  <li className="md:hidden"><Link role="menuitem" to="/catalog">Catalog</Link></li>
                  <li className="md:hidden"><Link role="menuitem" to="/orders">Orders</Link></li>
                  {isAdmin(user) && <li className="md:hidden"><Link role="menuitem" to="/admin">Dashboard</Link></li>}
                  <li>
                    <button type="button" role="menuitem" onClick={() => session.refreshToken && void logout(session.refreshToken)}>
                      Sign out
                    </button>
                  </li>
                </ul>
              </div>
            </>
          ) : (
            <>
              <NavLink to="/catalog" className="btn btn-ghost btn-sm md:hidden">Catalog</NavLink>
              <NavLink to="/login" className="btn btn-ghost btn-sm">Sign in</NavLink>
              <NavLink to="/register" className="btn btn-primary btn-sm">Register</NavLink>
            </>
          )}
        </nav>
      </header>
      <main id="main" className="mx-auto w-full max-w-7xl flex-1 p-4 md:p-6">
        {notice && (
          <div role="alert" className="alert alert-warning mb-4">{notice}</div>
        )}
        <Outlet />
      </main>
      <footer className="p-4 text-center text-sm text-base-content/60">
        Recommendations by recsys · <a className="link" href="/docs">API docs</a>
      </footer>
    </div>
  )
}
