import { describe, expect, test } from 'vitest'
import { isAdmin, loadSession, saveSession, sessionReducer, signedOut, tokensReceived } from './session'
import type { UserView } from './types'

const user = (permissions: UserView['permissions'], active = true): UserView => ({
  id: 1,
  email: 'a@b.c',
  display_name: 'A',
  role: permissions.length ? 'admin' : 'user',
  active,
  permissions,
  created_at: 0,
  has_password: true,
})

describe('session', () => {
  test('a saved session loads again, and signing out removes it', () => {
    const state = { accessToken: 'a', refreshToken: 'r', user: user([]) }
    saveSession(state)
    expect(loadSession()).toEqual(state)
    saveSession({ accessToken: null, refreshToken: null, user: null })
    expect(localStorage.getItem('recsys.session')).toBeNull()
  })

  test('damaged storage is an empty session, never an error', () => {
    localStorage.setItem('recsys.session', '{not json')
    expect(loadSession().refreshToken).toBeNull()
    localStorage.setItem('recsys.session', JSON.stringify({ accessToken: 'a' }))
    expect(loadSession()).toEqual({ accessToken: null, refreshToken: null, user: null })
  })

  test('tokens replace the pair; signing out forgets the user too', () => {
    let s = sessionReducer(undefined, tokensReceived({ access_token: 'a2', refresh_token: 'r2', token_type: 'bearer', expires_in: 900 }))
    expect(s.accessToken).toBe('a2')
    expect(s.refreshToken).toBe('r2')
    s = sessionReducer({ ...s, user: user(['ml']) }, signedOut())
    expect(s).toEqual({ accessToken: null, refreshToken: null, user: null })
  })

  test('only an active user with an admin permission may open the dashboard', () => {
    expect(isAdmin(null)).toBe(false)
    expect(isAdmin(user([]))).toBe(false)
    expect(isAdmin(user(['analytics']))).toBe(true)
    expect(isAdmin(user(['ml'], false))).toBe(false)
  })
})
