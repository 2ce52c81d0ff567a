// The dashboard's endpoints: analytics, models and training, experiments, segments, and the
// shop's records (products, categories, users, orders, audit log), the service API's keys.
import { api } from '../../api/base'
import type {
  AdminUserView,
  ApiKey,
  AuditPage,
  CategoryIn,
  CategoryNode,
  CategoryPatch,
  CreatedKey,
  DailyTotals,
  Experiment,
  ExperimentIn,
  ExperimentView,
  ModelSlot,
  ModelVersion,
  NewKeyIn,
  OrderPage,
  OrderStatus,
  OrderView,
  Overview,
  ProductIn,
  ProductPage,
  ProductPatch,
  ProductSort,
  ProductView,
  RecMetricsDay,
  SearchAnalytics,
  SegmentsView,
  StoredImage,
  TrainingRun,
  TrainingRunPage,
  UserPage,
  UserPatch,
} from '../../api/types'
import { params } from '../../lib/params'

export interface DayRange {
  from: string
  to: string
}

export interface AuditQuery {
  action?: string
  target_type?: string
  target_id?: string
  actor_id?: number
  limit?: number
  offset?: number
}

const A = 'api/v1/admin'

export const adminApi = api.injectEndpoints({
  endpoints: (build) => ({
    overview: build.query<Overview, void>({ query: () => `${A}/analytics/overview` }),
    dailyTotals: build.query<DailyTotals[], DayRange>({
      query: (r) => ({ url: `${A}/analytics/daily-users`, params: params(r) }),
    }),
    recMetrics: build.query<RecMetricsDay[], DayRange>({
      query: (r) => ({ url: `${A}/analytics/recommendations`, params: params(r) }),
    }),
    searchAnalytics: build.query<SearchAnalytics, DayRange & { limit?: number }>({
      query: (r) => ({ url: `${A}/analytics/search`, params: params(r) }),
    }),

    models: build.query<ModelSlot[], void>({ query: () => `${A}/ml/models`, providesTags: ['Models'] }),
    activate: build.mutation<ModelVersion, { name: string; version: number }>({
      query: ({ name, version }) => ({ url: `${A}/ml/models/${name}/versions/${version}/activate`, method: 'POST' }),
      invalidatesTags: ['Models', 'Recommendations', 'Audit'],
    }),
    rollback: build.mutation<ModelVersion, string>({
      query: (name) => ({ url: `${A}/ml/models/${name}/rollback`, method: 'POST' }),
      invalidatesTags: ['Models', 'Recommendations', 'Audit'],
    }),
    runs: build.query<TrainingRunPage, { model?: string; limit?: number; offset?: number }>({
      query: (q) => ({ url: `${A}/ml/runs`, params: params(q) }),
      providesTags: ['Runs'],
    }),
    train: build.mutation<TrainingRun, { model: string; config?: object | null }>({
      query: (body) => ({ url: `${A}/ml/train`, method: 'POST', body }),
      invalidatesTags: ['Runs', 'Audit'],
    }),
    cancelRun: build.mutation<TrainingRun, number>({
      query: (id) => ({ url: `${A}/ml/runs/${id}/cancel`, method: 'POST' }),
      invalidatesTags: ['Runs'],
    }),

    experiments: build.query<Experiment[], void>({ query: () => `${A}/ml/experiments`, providesTags: ['Experiments'] }),
    experiment: build.query<ExperimentView, number>({
      query: (id) => `${A}/ml/experiments/${id}`,
      providesTags: (_r, _e, id) => [{ type: 'Experiments', id }],
    }),
    createExperiment: build.mutation<ExperimentView, ExperimentIn>({
      query: (body) => ({ url: `${A}/ml/experiments`, method: 'POST', body }),
      invalidatesTags: ['Experiments', 'Audit'],
    }),
    stopExperiment: build.mutation<ExperimentView, { id: number; winner_arm: number | null }>({
      query: ({ id, winner_arm }) => ({ url: `${A}/ml/experiments/${id}/stop`, method: 'POST', body: { winner_arm } }),
      invalidatesTags: ['Experiments', 'Models', 'Audit'],
    }),

    segments: build.query<SegmentsView, void>({ query: () => `${A}/ml/segments`, providesTags: ['Segments'] }),
    computeSegments: build.mutation<SegmentsView, { k?: number | null }>({
      query: (body) => ({ url: `${A}/ml/segments`, method: 'POST', body }),
      invalidatesTags: ['Segments', 'Users', 'Audit'],
    }),

    adminProducts: build.query<ProductPage, { q?: string; active?: boolean; sort?: ProductSort; limit?: number; offset?: number }>({
      query: (q) => ({ url: `${A}/products`, params: params(q) }),
      providesTags: ['Products'],
    }),
    createProduct: build.mutation<ProductView, ProductIn>({
      query: (body) => ({ url: `${A}/products`, method: 'POST', body }),
      invalidatesTags: ['Products', 'Audit'],
    }),
    // the picture's bytes as the body; the answer's url becomes a product's image_url
    uploadImage: build.mutation<StoredImage, Blob>({
      query: (file) => ({ url: `${A}/images`, method: 'POST', body: file, headers: { 'content-type': 'application/octet-stream' } }),
    }),
    updateProduct: build.mutation<ProductView, { id: number; patch: ProductPatch }>({
      query: ({ id, patch }) => ({ url: `${A}/products/${id}`, method: 'PATCH', body: patch }),
      invalidatesTags: ['Products', 'Recommendations', 'Audit'],
    }),
    createCategory: build.mutation<CategoryNode, CategoryIn>({
      query: (body) => ({ url: `${A}/categories`, method: 'POST', body }),
      invalidatesTags: ['Categories', 'Audit'],
    }),
    updateCategory: build.mutation<CategoryNode, { id: number; patch: CategoryPatch }>({
      query: ({ id, patch }) => ({ url: `${A}/categories/${id}`, method: 'PATCH', body: patch }),
      invalidatesTags: ['Categories', 'Audit'],
    }),
    deleteCategory: build.mutation<void, number>({
      query: (id) => ({ url: `${A}/categories/${id}`, method: 'DELETE' }),
      invalidatesTags: ['Categories', 'Products', 'Audit'],
    }),

    users: build.query<UserPage, { email?: string; role?: string; active?: boolean; limit?: number; offset?: number }>({
      query: (q) => ({ url: `${A}/users`, params: params(q) }),
      providesTags: ['Users'],
    }),
    user: build.query<AdminUserView, number>({ query: (id) => `${A}/users/${id}`, providesTags: ['Users'] }),
    updateUser: build.mutation<AdminUserView, { id: number; patch: UserPatch }>({
      query: ({ id, patch }) => ({ url: `${A}/users/${id}`, method: 'PATCH', body: patch }),
      invalidatesTags: ['Users', 'Audit'],
    }),

    apiKeys: build.query<ApiKey[], void>({ query: () => `${A}/api-keys`, providesTags: ['ApiKeys'] }),
    createApiKey: build.mutation<CreatedKey, NewKeyIn>({
      query: (body) => ({ url: `${A}/api-keys`, method: 'POST', body }),
      invalidatesTags: ['ApiKeys', 'Audit'],
    }),
    revokeApiKey: build.mutation<ApiKey, number>({
      query: (id) => ({ url: `${A}/api-keys/${id}`, method: 'DELETE' }),
      invalidatesTags: ['ApiKeys', 'Audit'],
    }),

    allOrders: build.query<OrderPage, { user_id?: number; status?: OrderStatus; limit?: number; offset?: number }>({
      query: (q) => ({ url: `${A}/orders`, params: params(q) }),
      providesTags: ['Orders'],
    }),
    updateOrder: build.mutation<OrderView, { id: number; status: OrderStatus }>({
      query: ({ id, status }) => ({ url: `${A}/orders/${id}`, method: 'PATCH', body: { status } }),
      invalidatesTags: ['Orders', 'Products', 'Audit'],
    }),

    audit: build.query<AuditPage, AuditQuery>({
      query: (q) => ({ url: `${A}/audit-log`, params: params(q) }),
      providesTags: ['Audit'],
    }),
  }),
})

export const {
  useOverviewQuery,
  useDailyTotalsQuery,
  useRecMetricsQuery,
  useSearchAnalyticsQuery,
  useModelsQuery,
  useActivateMutation,
  useRollbackMutation,
  useRunsQuery,
  useTrainMutation,
  useCancelRunMutation,
  useExperimentsQuery,
  useExperimentQuery,
  useCreateExperimentMutation,
  useStopExperimentMutation,
  useSegmentsQuery,
  useComputeSegmentsMutation,
  useAdminProductsQuery,
  useCreateProductMutation,
  useUpdateProductMutation,
  useUploadImageMutation,
  useCreateCategoryMutation,
  useUpdateCategoryMutation,
  useDeleteCategoryMutation,
  useUsersQuery,
  useUpdateUserMutation,
  useApiKeysQuery,
  useCreateApiKeyMutation,
  useRevokeApiKeyMutation,
  useAllOrdersQuery,
  useUpdateOrderMutation,
  useAuditQuery,
} = adminApi
