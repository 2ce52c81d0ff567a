// Component tests: a real store and router around the component, and `fetch` answered by the
// test (the server's routes by method and path), so the RTK Query layer runs as in the browser.
import { render } from '@testing-library/react'
import type { ReactElement } from 'react'
import { Provider } from 'react-redux'
import { MemoryRouter } from 'react-router'
import { vi } from 'vitest'
import { makeStore } from '../app/store'

export type Route = (req: { method: string; path: string; query: URLSearchParams; body: unknown; headers: Headers }) =>
  | { status?: number; body?: unknown }
  | undefined

export interface Sent {
  method: string
  path: string
  query: URLSearchParams
  body: unknown
  headers: Headers
}

/** Answers fetch with `route` (404 problem when it returns nothing) and records every request. */
export function fakeServer(route: Route) {
  const sent: Sent[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(request.url)
    const text = await request.text()
    const req = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      headers: request.headers,
    }
    sent.push(req)
    const answer = route(req) ?? { status: 404, body: { type: 'about:blank', title: 'Not found', status: 404, detail: 'no such resource', code: 'not_found' } }
    const status = answer.status ?? 200
    return new Response(status === 204 || answer.body === undefined ? null : JSON.stringify(answer.body), {
      status,
      headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' },
    })
  })
  vi.stubGlobal('fetch', fetch)
  return { sent, fetch }
}

export const TOKENS = { access_token: 'access-1', refresh_token: 'refresh-1', token_type: 'bearer', expires_in: 900 }

export function signedInStorage() {
  localStorage.setItem('recsys.session', JSON.stringify({ accessToken: 'access-1', refreshToken: 'refresh-1', user: null }))
}

export function renderPage(ui: ReactElement, { route = '/' }: { route?: string } = {}) {
  const store = makeStore()
  const view = render(
    <Provider store={store}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </Provider>,
  )
  return { store, ...view }
}

export function product(id: number, name: string, price_cents = 999) {
  return {
    id,
    sku: `SKU-${id}`,
    name,
    price_cents,
    currency: 'USD',
    category_id: null,
    stock: 5,
    in_stock: true,
    active: true,
    attributes: { year: 1995, genres: ['Comedy'] },
  }
}
