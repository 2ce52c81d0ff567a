import { configureStore } from '@reduxjs/toolkit'
import { setupListeners } from '@reduxjs/toolkit/query'
import { api } from '../api/base'
import { saveSession, sessionReducer } from '../api/session'

export function makeStore() {
  const store = configureStore({
    reducer: { session: sessionReducer, [api.reducerPath]: api.reducer },
    middleware: (getDefault) => getDefault().concat(api.middleware),
  })
  let last = store.getState().session
  store.subscribe(() => {
    const now = store.getState().session
    if (now === last) return
    const changedAccount = (now.refreshToken === null) !== (last.refreshToken === null)
    last = now
    saveSession(now)
    // another account's cached answers (cart, recommendations) must not show
    if (changedAccount) store.dispatch(api.util.resetApiState())
  })
  setupListeners(store.dispatch)
  return store
}

export type AppStore = ReturnType<typeof makeStore>
export type RootState = ReturnType<AppStore['getState']>
export type AppDispatch = AppStore['dispatch']
