import { api } from '../../api/base'
import { params } from '../../lib/params'
import type { CategoryNode, ProductPage, ProductSort, ProductView, SearchResults } from '../../api/types'

export interface ProductQuery {
  category?: number
  q?: string
  min_price?: number
  max_price?: number
  in_stock?: boolean
  sort?: ProductSort
  limit?: number
  offset?: number
}

export const catalogApi = api.injectEndpoints({
  endpoints: (build) => ({
    categories: build.query<CategoryNode[], void>({
      query: () => 'api/v1/categories',
      providesTags: ['Categories'],
    }),
    products: build.query<ProductPage, ProductQuery>({
      query: (q) => ({ url: 'api/v1/products', params: params(q) }),
      providesTags: ['Products'],
    }),
    product: build.query<ProductView, number>({
      query: (id) => `api/v1/products/${id}`,
      providesTags: (_r, _e, id) => [{ type: 'Products', id }],
    }),
    // `prefix`: results as you type (the last word may be unfinished; not counted as a search)
    search: build.query<SearchResults, { q: string; limit?: number; prefix?: boolean }>({
      query: ({ q, limit = 8, prefix }) => ({ url: 'api/v1/search', params: params({ q, limit, prefix }) }),
    }),
  }),
})

export const { useCategoriesQuery, useProductsQuery, useProductQuery, useSearchQuery } =
  catalogApi

/** The categories in tree order with their depth, for a select or an indented list. */
export function flatten(nodes: CategoryNode[], depth = 0): { node: CategoryNode; depth: number }[] {
  return nodes.flatMap((node) => [{ node, depth }, ...flatten(node.children, depth + 1)])
}

/** The path from a root to category `id` (empty when it is not in the tree). */
export function pathTo(nodes: CategoryNode[], id: number): CategoryNode[] {
  for (const n of nodes) {
    if (n.id === id) return [n]
    const below = pathTo(n.children, id)
    if (below.length) return [n, ...below]
  }
  return []
}
