import { fireEvent, screen, waitFor } from '@testing-library/react'
import { describe, expect, test } from 'vitest'
import { fakeServer, product, renderPage, signedInStorage } from '../../../test/render'
import { useForYouQuery } from '../api'
import { RecommendationRow } from './RecommendationRow'

const LIST = {
  recommendation_id: 'r3.home.0123456789abcdef',
  model_version: 'hybrid@v3',
  placement: 'home',
  items: [
    { product: product(1, 'Toy Story'), score: 0.9, source: 'als' },
    { product: product(2, 'Fargo'), score: 0.5, source: 'popular' },
  ],
}

function Home() {
  return <RecommendationRow title="Recommended for you" query={useForYouQuery({ limit: 2, placement: 'home' })} />
}

describe('RecommendationRow', () => {
  test('shows the list with where each item came from, and the model version', async () => {
    fakeServer(({ path }) => (path === '/api/v1/products/recommendations' ? { body: LIST } : undefined))
    renderPage(<Home />)
    expect(await screen.findByRole('link', { name: 'Toy Story' })).toBeDefined()
    expect(screen.getByText('people like you')).toBeDefined()
    expect(screen.getByText('popular')).toBeDefined()
    expect(screen.getByText('model hybrid@v3')).toBeDefined()
  })

  test("a visitor's click is counted for the list, with the visitor's session", async () => {
    const { sent } = fakeServer(({ path }) => {
      if (path === '/api/v1/products/recommendations') return { body: LIST }
      if (path === '/api/v1/products/recommendations/clicks') return { status: 204 }
      return undefined
    })
    renderPage(<Home />)
    fireEvent.click(await screen.findByRole('link', { name: 'Fargo' }))
    await waitFor(() => expect(sent.some((r) => r.path.endsWith('/clicks'))).toBe(true))
    const click = sent.find((r) => r.path.endsWith('/clicks'))!
    expect(click.body).toEqual({ recommendation_id: LIST.recommendation_id, session: localStorage.getItem('recsys.visitor') })
    expect(localStorage.getItem('recsys.visitor')).toMatch(/^[a-f0-9]{32}$/)
  })

  test("a customer's click is a click event (training data) carrying the list's id", async () => {
    signedInStorage()
    const { sent } = fakeServer(({ path }) => {
      if (path === '/api/v1/products/recommendations') return { body: LIST }
      if (path === '/api/v1/events') return { status: 202, body: { recorded: 1 } }
      return undefined
    })
    renderPage(<Home />)
    fireEvent.click(await screen.findByRole('link', { name: 'Toy Story' }))
    await waitFor(() => expect(sent.some((r) => r.path === '/api/v1/events')).toBe(true))
    const events = sent.find((r) => r.path === '/api/v1/events')!
    expect(events.body).toEqual({ events: [{ product_id: 1, kind: 'click', recommendation_id: LIST.recommendation_id }] })
    expect(events.headers.get('authorization')).toBe('Bearer access-1')
  })

  test('an empty list says so', async () => {
    fakeServer(({ path }) => (path === '/api/v1/products/recommendations' ? { body: { ...LIST, items: [] } } : undefined))
    renderPage(<Home />)
    expect(await screen.findByText('Nothing to show here yet.')).toBeDefined()
  })

  test('a failed list offers to try again', async () => {
    fakeServer(() => ({ status: 503, body: { detail: 'the models are loading', code: 'unavailable', status: 503, title: 'Unavailable', type: 'about:blank' } }))
    renderPage(<Home />)
    expect((await screen.findByRole('alert')).textContent).toContain('the models are loading')
    expect(screen.getByRole('button', { name: 'Try again' })).toBeDefined()
  })
})
