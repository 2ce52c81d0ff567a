import { api } from '../../api/base'
import type { Recommendations } from '../../api/types'
import { params } from '../../lib/params'

export interface ForYouQuery {
  limit?: number
  placement?: string
  category?: number
  /** Products this visitor looked at, newest first. */
  context?: number[]
  exclude?: number[]
  session?: string
}

export const recommendationsApi = api.injectEndpoints({
  endpoints: (build) => ({
    forYou: build.query<Recommendations, ForYouQuery>({
      query: ({ context, exclude, ...rest }) => ({
        url: 'api/v1/products/recommendations',
        params: params({ ...rest, context: context?.join(','), exclude: exclude?.join(',') }),
      }),
      providesTags: ['Recommendations'],
      keepUnusedDataFor: 30,
    }),
    similar: build.query<Recommendations, { id: number; limit?: number }>({
      query: ({ id, limit = 10 }) => ({ url: `api/v1/products/${id}/similar`, params: { limit: String(limit) } }),
    }),
    boughtTogether: build.query<Recommendations, { id: number; limit?: number }>({
      query: ({ id, limit = 10 }) => ({ url: `api/v1/products/${id}/bought-together`, params: { limit: String(limit) } }),
    }),
    // a visitor's click on a list (a customer's goes to /events with the same id)
    recordClick: build.mutation<void, { recommendation_id: string; session?: string }>({
      query: (body) => ({ url: 'api/v1/products/recommendations/clicks', method: 'POST', body }),
    }),
  }),
})

export const { useForYouQuery, useSimilarQuery, useBoughtTogetherQuery, useRecordClickMutation } = recommendationsApi
