import { api } from '../../api/base'
import { signedOut, tokensReceived, userLoaded } from '../../api/session'
import type { Registered, TokenPair, UserView } from '../../api/types'

export const authApi = api.injectEndpoints({
  endpoints: (build) => ({
    login: build.mutation<TokenPair, { email: string; password: string }>({
      query: (body) => ({ url: 'api/v1/auth/login', method: 'POST', body }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled
        dispatch(tokensReceived(data))
        // who signed in: the header and the admin guard need it
        const me = await dispatch(authApi.endpoints.me.initiate(undefined, { forceRefetch: true }))
        if (me.data) dispatch(userLoaded(me.data))
      },
    }),
    register: build.mutation<Registered, { email: string; password: string; display_name?: string }>({
      query: (body) => ({ url: 'api/v1/auth/register', method: 'POST', body }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled
        dispatch(tokensReceived(data))
        dispatch(userLoaded(data.user))
      },
    }),
    logout: build.mutation<void, string>({
      query: (refresh_token) => ({ url: 'api/v1/auth/logout', method: 'POST', body: { refresh_token } }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        // signed out here whatever the server says: the tokens are gone from this browser
        try {
          await queryFulfilled
        } finally {
          dispatch(signedOut())
        }
      },
    }),
    me: build.query<UserView, void>({
      query: () => 'api/v1/auth/me',
      providesTags: ['Me'],
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        try {
          const { data } = await queryFulfilled
          dispatch(userLoaded(data))
        } catch {
          // a failed renewal signs out in the base query
        }
      },
    }),
  }),
})

export const { useLoginMutation, useRegisterMutation, useLogoutMutation, useMeQuery } = authApi
