// The signed-in session: the token pair and who it belongs to. Kept in localStorage so a reload
// stays signed in; the refresh token renews the access token silently (api/base.ts).
import { createSlice, type PayloadAction } from '@reduxjs/toolkit'
import type { TokenPair, UserView } from './types'

export interface SessionState {
  accessToken: string | null
  refreshToken: string | null
  user: UserView | null
}

const STORAGE_KEY = 'recsys.session'

export function loadSession(storage: Storage | undefined = globalThis.localStorage): SessionState {
  const empty: SessionState = { accessToken: null, refreshToken: null, user: null }
  try {
    const raw = storage?.getItem(STORAGE_KEY)
    if (!raw) return empty
    const parsed = JSON.parse(raw) as Partial<SessionState>
    if (typeof parsed.refreshToken !== 'string') return empty
    return {
      accessToken: typeof parsed.accessToken === 'string' ? parsed.accessToken : null,
      refreshToken: parsed.refreshToken,
      user: parsed.user ?? null,
    }
  } catch {
    return empty
  }
}

export function saveSession(state: SessionState, storage: Storage | undefined = globalThis.localStorage) {
  try {
    if (state.refreshToken) storage?.setItem(STORAGE_KEY, JSON.stringify(state))
    else storage?.removeItem(STORAGE_KEY)
  } catch {
    // storage full or disabled: the session lives until the tab closes
  }
}

const session = createSlice({
  name: 'session',
  initialState: loadSession,
  reducers: {
    tokensReceived(state, action: PayloadAction<TokenPair>) {
      state.accessToken = action.payload.access_token
      state.refreshToken = action.payload.refresh_token
    },
    userLoaded(state, action: PayloadAction<UserView>) {
      state.user = action.payload
    },
    signedOut() {
      return { accessToken: null, refreshToken: null, user: null }
    },
  },
})

export const { tokensReceived, userLoaded, signedOut } = session.actions
export const sessionReducer = session.reducer

/** Admin pages need at least one admin permission. */
export function isAdmin(user: UserView | null): boolean {
  return !!user && user.active && user.permissions.length > 0
}
