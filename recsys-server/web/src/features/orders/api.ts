import { api } from '../../api/base'
import type { OrderPage, OrderView } from '../../api/types'

export const ordersApi = api.injectEndpoints({
  endpoints: (build) => ({
    orders: build.query<OrderPage, { limit?: number; offset?: number }>({
      query: ({ limit = 10, offset = 0 }) => ({ url: 'api/v1/orders', params: { limit: String(limit), offset: String(offset) } }),
      providesTags: ['Orders'],
    }),
    order: build.query<OrderView, number>({
      query: (id) => `api/v1/orders/${id}`,
      providesTags: (_r, _e, id) => [{ type: 'Orders', id }],
    }),
    cancelOrder: build.mutation<OrderView, number>({
      query: (id) => ({ url: `api/v1/orders/${id}/cancel`, method: 'POST' }),
      invalidatesTags: ['Orders', 'Products'],
    }),
  }),
})

export const { useOrdersQuery, useOrderQuery, useCancelOrderMutation } = ordersApi
