// What the shop remembers of a visitor in this browser: a random session id (the experiment
// arm they see stays the same) and the products they looked at (the home page's context).

const SESSION_KEY = 'recsys.visitor'
const VIEWED_KEY = 'recsys.viewed'
const MAX_VIEWED = 20

export function visitorSession(storage: Storage = localStorage): string {
  let id = storage.getItem(SESSION_KEY)
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = crypto.randomUUID().replaceAll('-', '')
    storage.setItem(SESSION_KEY, id)
  }
  return id
}

export function viewedProducts(storage: Storage = localStorage): number[] {
  try {
    const list = JSON.parse(storage.getItem(VIEWED_KEY) ?? '[]') as unknown
    return Array.isArray(list) ? list.filter((x): x is number => Number.isInteger(x)).slice(0, MAX_VIEWED) : []
  } catch {
    return []
  }
}

/** Puts `id` first in the viewed list, without repeats, keeping the newest MAX_VIEWED. */
export function rememberViewed(id: number, storage: Storage = localStorage): number[] {
  const list = [id, ...viewedProducts(storage).filter((x) => x !== id)].slice(0, MAX_VIEWED)
  storage.setItem(VIEWED_KEY, JSON.stringify(list))
  return list
}
