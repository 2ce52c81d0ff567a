import { api } from '../../api/base'
import type { CartView, OrderView } from '../../api/types'

export const cartApi = api.injectEndpoints({
  endpoints: (build) => ({
    cart: build.query<CartView, void>({
      query: () => 'api/v1/cart',
      providesTags: ['Cart'],
    }),
    setQuantity: build.mutation<CartView, { productId: number; quantity: number }>({
      query: ({ productId, quantity }) => ({
        url: `api/v1/cart/items/${productId}`,
        method: 'PUT',
        body: { quantity },
      }),
      // the answer is the whole cart: no second request
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled
        dispatch(cartApi.util.upsertQueryData('cart', undefined, data))
      },
    }),
    removeLine: build.mutation<CartView, number>({
      query: (productId) => ({ url: `api/v1/cart/items/${productId}`, method: 'DELETE' }),
      async onQueryStarted(_, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled
        dispatch(cartApi.util.upsertQueryData('cart', undefined, data))
      },
    }),
    // one key per checkout attempt: a retried request never places the order twice
    checkout: build.mutation<OrderView, string>({
      query: (key) => ({ url: 'api/v1/orders', method: 'POST', headers: { 'Idempotency-Key': key } }),
      invalidatesTags: ['Cart', 'Orders', 'Recommendations', 'Products'],
    }),
  }),
})

export const { useCartQuery, useSetQuantityMutation, useRemoveLineMutation, useCheckoutMutation } = cartApi
