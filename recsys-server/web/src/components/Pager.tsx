export function Pager({
  offset,
  limit,
  total,
  onChange,
}: {
  offset: number
  limit: number
  total: number
  onChange: (offset: number) => void
}) {
  if (total <= limit) return null
  const page = Math.floor(offset / limit) + 1
  const pages = Math.max(1, Math.ceil(total / limit))
  return (
    <nav aria-label="Pages" className="join my-6 flex justify-center">
      <button
        type="button"
        className="btn join-item"
        disabled={page <= 1}
        onClick={() => onChange(Math.max(0, offset - limit))}
      >
        « Previous
      </button>
      <span className="btn join-item btn-disabled !text-base-content" aria-current="page">
        Page {page} of {pages}
      </span>
      <button
        type="button"
        className="btn join-item"
        disabled={page >= pages}
        onClick={() => onChange(offset + limit)}
      >
        Next »
      </button>
    </nav>
  )
}
