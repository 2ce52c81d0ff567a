// The one RTK Query API. Features add their endpoints with `api.injectEndpoints` in their own
// `api.ts`. Requests carry the access token; a 401 renews it once with the refresh token (one
// renewal at a time, however many requests failed together) and retries; a failed renewal
// signs out.
import { createApi, fetchBaseQuery } from '@reduxjs/toolkit/query/react'
import type { BaseQueryFn, FetchArgs, FetchBaseQueryError } from '@reduxjs/toolkit/query'
import { signedOut, tokensReceived, type SessionState } from './session'
import type { Problem, TokenPair } from './types'

type State = { session: SessionState }

const raw = fetchBaseQuery({
  baseUrl: '/',
  prepareHeaders(headers, { getState }) {
    const token = (getState() as State).session.accessToken
    if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`)
    return headers
  },
})

let renewing: Promise<boolean> | null = null

export const baseQuery: BaseQueryFn<string | FetchArgs, unknown, FetchBaseQueryError> = async (
  args,
  queryApi,
  extra,
) => {
  let result = await raw(args, queryApi, extra)
  const url = typeof args === 'string' ? args : args.url
  if (result.error?.status !== 401 || url.startsWith('api/v1/auth/')) return result
  const sent = (queryApi.getState() as State).session
  if (!sent.refreshToken) return result
  if (!renewing) {
    renewing = (async () => {
      const renewed = await raw(
        {
          url: 'api/v1/auth/refresh',
          method: 'POST',
          body: { refresh_token: sent.refreshToken },
        },
        queryApi,
        extra,
      )
      if (renewed.data) {
        queryApi.dispatch(tokensReceived(renewed.data as TokenPair))
        return true
      }
      queryApi.dispatch(signedOut())
      return false
    })().finally(() => {
      renewing = null
    })
  }
  if (await renewing) result = await raw(args, queryApi, extra)
  return result
}

export const api = createApi({
  reducerPath: 'api',
  baseQuery,
  tagTypes: [
    'Me',
    'Cart',
    'Orders',
    'Products',
    'Categories',
    'Recommendations',
    'Models',
    'Runs',
    'Experiments',
    'Segments',
    'Users',
    'Audit',
    'ApiKeys',
  ],
  endpoints: () => ({}),
})

/** The sentence to show for a failed request: the server's `detail` and the fields it names. */
export function problemMessage(error: unknown): string {
  if (!error || typeof error !== 'object') return 'Something went wrong.'
  const e = error as FetchBaseQueryError
  if (e.status === 'FETCH_ERROR') return 'The server cannot be reached. Check your connection and try again.'
  if (e.status === 'TIMEOUT_ERROR') return 'The server took too long to answer. Try again.'
  const body = 'data' in e ? (e.data as Partial<Problem> | undefined) : undefined
  if (body && typeof body.detail === 'string') {
    const fields = (body.errors ?? []).map((f) => `${f.field} ${f.message}`)
    return fields.length ? `${body.detail}: ${fields.join('; ')}` : body.detail
  }
  return typeof e.status === 'number' ? `The request failed (HTTP ${e.status}).` : 'Something went wrong.'
}
