// Loading, error and empty states: every page shows one of these while it has nothing else.
import type { ReactNode } from 'react'
import { problemMessage } from '../api/base'

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-3 py-8 text-base-content/70">
      <span className="loading loading-spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  )
}

export function ErrorAlert({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div role="alert" className="alert alert-error my-4">
      <span>{problemMessage(error)}</span>
      {retry && (
        <button type="button" className="btn btn-sm" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="py-8 text-center text-base-content/60">{children}</p>
}

/** One query's three states; `children` renders the data once it is there. */
export function QueryState<T>({
  query,
  empty,
  children,
  label,
}: {
  query: { data?: T; error?: unknown; isLoading: boolean; refetch?: () => unknown }
  empty?: (data: T) => ReactNode | null
  children: (data: T) => ReactNode
  label?: string
}) {
  if (query.isLoading) return <Loading label={label} />
  if (query.error) return <ErrorAlert error={query.error} retry={query.refetch ? () => void query.refetch?.() : undefined} />
  if (query.data === undefined) return null
  const none = empty?.(query.data)
  if (none) return <Empty>{none}</Empty>
  return <>{children(query.data)}</>
}
