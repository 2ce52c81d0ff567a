import { expect, test } from 'vitest'
import { rememberViewed, viewedProducts, visitorSession } from './visitor'

test('a visitor keeps one session id, valid for the API', () => {
  const id = visitorSession()
  expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/)
  expect(visitorSession()).toBe(id)
  localStorage.setItem('recsys.visitor', 'bad id!')
  expect(visitorSession()).not.toBe('bad id!')
})

test('viewed products: newest first, no repeats, at most 20, damaged storage ignored', () => {
  for (let i = 1; i <= 25; i++) rememberViewed(i)
  rememberViewed(10)
  const list = viewedProducts()
  expect(list.length).toBe(20)
  expect(list[0]).toBe(10)
  expect(list.filter((x) => x === 10).length).toBe(1)
  localStorage.setItem('recsys.viewed', '{oops')
  expect(viewedProducts()).toEqual([])
})
