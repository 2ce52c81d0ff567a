// A signed-in customer's views, clicks and ratings: the models' training data. Any page may
// report them, so the endpoint lives beside the API rather than in one feature.
import { api } from './base'
import type { EventIn } from './types'

export const eventsApi = api.injectEndpoints({
  endpoints: (build) => ({
    recordEvents: build.mutation<{ recorded: number }, EventIn[]>({
      query: (events) => ({ url: 'api/v1/events', method: 'POST', body: { events } }),
    }),
  }),
})

export const { useRecordEventsMutation } = eventsApi
