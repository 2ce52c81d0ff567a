import { screen } from '@testing-library/react'
import { Route, Routes, useLocation } from 'react-router'
import { describe, expect, test } from 'vitest'
import { fakeServer, renderPage, signedInStorage } from '../../../test/render'
import { RequireAdmin } from './RequireAuth'

const me = (permissions: string[]) => ({
  id: 2,
  email: 'c@demo',
  display_name: 'C',
  role: permissions.length ? 'admin' : 'user',
  active: true,
  permissions,
  created_at: 0,
  has_password: true,
})

function Where() {
  const l = useLocation()
  return <p>at {l.pathname} {(l.state as { notice?: string } | null)?.notice}</p>
}

function App() {
  return (
    <Routes>
      <Route path="/admin" element={<RequireAdmin><p>dashboard</p></RequireAdmin>} />
      <Route path="*" element={<Where />} />
    </Routes>
  )
}

describe('RequireAdmin', () => {
  test('a visitor is sent to sign in', async () => {
    fakeServer(() => undefined)
    renderPage(<App />, { route: '/admin' })
    expect((await screen.findByText(/^at/)).textContent).toContain('at /login')
  })

  test('a customer is sent back to the shop with a notice, even if storage says admin', async () => {
    localStorage.setItem('recsys.session', JSON.stringify({ accessToken: 'a', refreshToken: 'r', user: me(['ml']) }))
    fakeServer(({ path }) => (path === '/api/v1/auth/me' ? { body: me([]) } : undefined))
    renderPage(<App />, { route: '/admin' })
    expect((await screen.findByText(/^at/)).textContent).toBe('at / The dashboard is for shop admins only.')
  })

  test('an admin sees the dashboard', async () => {
    signedInStorage()
    fakeServer(({ path }) => (path === '/api/v1/auth/me' ? { body: me(['ml', 'analytics']) } : undefined))
    renderPage(<App />, { route: '/admin' })
    expect(await screen.findByText('dashboard')).toBeDefined()
  })
})
