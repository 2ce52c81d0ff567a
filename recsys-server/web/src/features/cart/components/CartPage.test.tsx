import { fireEvent, screen, waitFor } from '@testing-library/react'
import { Route, Routes } from 'react-router'
import { expect, test } from 'vitest'
import { fakeServer, renderPage, signedInStorage } from '../../../test/render'
import { CartPage } from './CartPage'

const line = { product_id: 7, sku: 'S7', name: 'Heat', unit_price_cents: 1250, quantity: 2, line_total_cents: 2500, stock: 3, available: true }
const cart = { lines: [line], item_count: 2, total_cents: 2500, currency: 'USD' }

test('placing an order sends one idempotency key per attempt and opens the order', async () => {
  signedInStorage()
  const { sent } = fakeServer(({ method, path }) => {
    if (path === '/api/v1/cart') return { body: cart }
    if (method === 'POST' && path === '/api/v1/orders') return { status: 201, body: { id: 42 } }
    return undefined
  })
  renderPage(
    <Routes>
      <Route path="/cart" element={<CartPage />} />
      <Route path="/orders/:id" element={<p>order page</p>} />
    </Routes>,
    { route: '/cart' },
  )
  expect((await screen.findByTestId('cart-total')).textContent).toBe('$25.00')
  fireEvent.click(screen.getByRole('button', { name: 'Place order' }))
  expect(await screen.findByText('order page')).toBeDefined()
  const order = sent.find((r) => r.method === 'POST' && r.path === '/api/v1/orders')!
  expect(order.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/)
})

test('a line over the stock blocks checkout and says why', async () => {
  signedInStorage()
  fakeServer(({ path }) => (path === '/api/v1/cart' ? { body: { ...cart, lines: [{ ...line, quantity: 5, available: false }] } } : undefined))
  renderPage(<CartPage />, { route: '/cart' })
  expect(await screen.findByText(/Only 3 left/)).toBeDefined()
  await waitFor(() => expect((screen.getByRole('button', { name: 'Place order' }) as HTMLButtonElement).disabled).toBe(true))
})

test('an empty cart points to the catalog', async () => {
  signedInStorage()
  fakeServer(({ path }) => (path === '/api/v1/cart' ? { body: { ...cart, lines: [], item_count: 0, total_cents: 0 } } : undefined))
  renderPage(<CartPage />, { route: '/cart' })
  expect(await screen.findByRole('link', { name: 'Browse the catalog' })).toBeDefined()
})
