import type { ReactNode } from 'react'
import { Navigate, useLocation } from 'react-router'
import { useAppSelector } from '../../../app/hooks'
import { isAdmin } from '../../../api/session'
import { Loading } from '../../../components/Status'
import { useMeQuery } from '../api'

/** Sends a visitor to sign in, and back here afterwards. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const signedIn = useAppSelector((s) => s.session.refreshToken !== null)
  const location = useLocation()
  if (!signedIn) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />
  return <>{children}</>
}

/** Admin pages: a visitor signs in first; a customer is sent back to the shop with a notice. */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const signedIn = useAppSelector((s) => s.session.refreshToken !== null)
  const location = useLocation()
  // the role is checked against the server, not the copy in storage
  const me = useMeQuery(undefined, { skip: !signedIn })
  if (!signedIn) return <Navigate to="/login" replace state={{ from: location.pathname }} />
  if (me.isLoading || (me.isFetching && !me.data)) return <Loading label="Checking your account…" />
  if (!isAdmin(me.data ?? null)) {
    return <Navigate to="/" replace state={{ notice: 'The dashboard is for shop admins only.' }} />
  }
  return <>{children}</>
}
