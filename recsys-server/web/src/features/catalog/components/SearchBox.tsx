import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { useNavigate } from 'react-router'
import { money } from '../../../lib/format'
import { useDebounced } from '../../../lib/useDebounced'
import { useSearchQuery } from '../api'

/** The header's search: results as you type (arrow keys and Enter pick one), Enter alone shows all. */
export function SearchBox() {
  const [text, setText] = useState('')
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(-1)
  const q = useDebounced(text.trim(), 200)
  const results = useSearchQuery({ q, limit: 8, prefix: true }, { skip: q.length < 2 })
  const navigate = useNavigate()
  const listId = useId()
  // closing on blur waits a moment (a click on a result blurs first); focusing again cancels it
  const closing = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const hits = q.length >= 2 ? results.data?.items ?? [] : []

  function go(path: string) {
    setOpen(false)
    setActive(-1)
    navigate(path)
  }
  function submit(e: FormEvent) {
    e.preventDefault()
    if (active >= 0 && hits[active]) go(`/products/${hits[active].product.id}`)
    else if (text.trim()) go(`/search?q=${encodeURIComponent(text.trim())}`)
  }
  function keys(e: KeyboardEvent) {
    if (e.key === 'ArrowDown') {
      e.preventDefault()
      setOpen(true)
      setActive((a) => Math.min(hits.length - 1, a + 1))
    } else if (e.key === 'ArrowUp') {
      e.preventDefault()
      setActive((a) => Math.max(-1, a - 1))
    } else if (e.key === 'Escape') {
      setOpen(false)
    }
  }

  const showList = open && q.length >= 2
  return (
    <form role="search" onSubmit={submit} className="relative w-full max-w-md">
      <label className="input input-sm w-full">
        <span className="sr-only">Search products</span>
        <svg aria-hidden="true" className="h-4 w-4 opacity-50" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2"><circle cx="11" cy="11" r="7" /><path d="m20 20-3.5-3.5" /></svg>
        <input
          type="search"
          placeholder="Search movies…"
          value={text}
          role="combobox"
          aria-expanded={showList}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
          onChange={(e) => {
            clearTimeout(closing.current)
            setText(e.target.value)
            setOpen(true)
            setActive(-1)
          }}
          onFocus={() => {
            clearTimeout(closing.current)
            setOpen(true)
          }}
          onBlur={() => {
            closing.current = setTimeout(() => setOpen(false), 150)
          }}
          onKeyDown={keys}
        />
      </label>
      {showList && (
        <ul id={listId} role="listbox" className="menu absolute z-30 mt-1 w-full rounded-box bg-base-100 p-1 shadow-lg">
          {results.isFetching && !hits.length && <li className="p-2 text-sm opacity-60">Searching…</li>}
          {results.error && <li className="p-2 text-sm text-error">Search failed. Try again.</li>}
          {!results.isFetching && !results.error && results.data && !hits.length && (
            <li className="p-2 text-sm opacity-60">No products match “{q}”.</li>
          )}
          {hits.map((h, i) => (
            <li key={h.product.id} id={`${listId}-${i}`} role="option" aria-selected={i === active}>
              <button type="button" className={i === active ? 'menu-active' : ''} onMouseDown={(e) => e.preventDefault()} onClick={() => go(`/products/${h.product.id}`)}>
                <span className="flex-1 truncate text-left">{h.product.name}</span>
                <span className="text-xs opacity-60">{money(h.product.price_cents, h.product.currency)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  )
}
