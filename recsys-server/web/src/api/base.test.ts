import { describe, expect, test } from 'vitest'
import { makeStore } from '../app/store'
import { fakeServer, signedInStorage } from '../test/render'
import { api, problemMessage } from './base'

const probe = api.injectEndpoints({
  endpoints: (build) => ({
    probe: build.query<{ ok: boolean }, number>({ query: (n) => `api/v1/probe/${n}` }),
  }),
})

describe('the base query', () => {
  test('a 401 renews the access token once, however many requests failed, and retries them', async () => {
    signedInStorage()
    let renewals = 0
    const { sent } = fakeServer(({ path, headers, body }) => {
      if (path === '/api/v1/auth/refresh') {
        renewals += 1
        expect(body).toEqual({ refresh_token: 'refresh-1' })
        return { body: { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'bearer', expires_in: 900 } }
      }
      if (headers.get('authorization') !== 'Bearer access-2') return { status: 401, body: { detail: 'expired', code: 'unauthorized' } }
      return { body: { ok: true } }
    })
    const store = makeStore()
    const [a, b] = await Promise.all([
      store.dispatch(probe.endpoints.probe.initiate(1)),
      store.dispatch(probe.endpoints.probe.initiate(2)),
    ])
    expect(a.data).toEqual({ ok: true })
    expect(b.data).toEqual({ ok: true })
    expect(renewals).toBe(1)
    expect(store.getState().session.accessToken).toBe('access-2')
    expect(JSON.parse(localStorage.getItem('recsys.session')!).refreshToken).toBe('refresh-2')
    expect(sent.filter((r) => r.path.startsWith('/api/v1/probe')).length).toBe(4)
  })

  test('a refused renewal signs out and forgets the stored session', async () => {
    signedInStorage()
    fakeServer(({ path }) =>
      path === '/api/v1/auth/refresh'
        ? { status: 401, body: { detail: 'the refresh token is not valid', code: 'unauthorized' } }
        : { status: 401, body: { detail: 'expired', code: 'unauthorized' } },
    )
    const store = makeStore()
    const r = await store.dispatch(probe.endpoints.probe.initiate(3))
    // signing out drops every cached answer, this request's too
    expect(r.data).toBeUndefined()
    expect(r.error).toBeDefined()
    expect(store.getState().session.refreshToken).toBeNull()
    expect(localStorage.getItem('recsys.session')).toBeNull()
  })

  test('a visitor has nothing to renew: the 401 comes back as it is', async () => {
    const { sent } = fakeServer(() => ({ status: 401, body: { detail: 'sign in first', code: 'unauthorized' } }))
    const store = makeStore()
    const r = await store.dispatch(probe.endpoints.probe.initiate(4))
    expect(r.error).toMatchObject({ status: 401 })
    expect(sent.map((s) => s.path)).toEqual(['/api/v1/probe/4'])
  })
})

describe('problemMessage', () => {
  test('names the fields the server refused', () => {
    const error = {
      status: 422,
      data: { detail: '1 of the events are invalid', errors: [{ field: 'events[0].value', message: 'a rating needs a value from 1 to 5' }] },
    }
    expect(problemMessage(error)).toBe('1 of the events are invalid: events[0].value a rating needs a value from 1 to 5')
  })

  test('says when the server cannot be reached', () => {
    expect(problemMessage({ status: 'FETCH_ERROR', error: 'TypeError' })).toMatch(/cannot be reached/)
    expect(problemMessage({ status: 502, data: '<html>' })).toBe('The request failed (HTTP 502).')
  })
})
