import type { ReactNode } from 'react'
import { Pager } from '../../../components/Pager'
import { QueryState } from '../../../components/Status'

/** A page of a paged admin list as a table, with its loading, empty and error states and the pager. */
export function PagedTable<T>({
  query,
  head,
  empty,
  offset,
  limit,
  onPage,
  children,
}: {
  query: { data?: { items: T[]; total: number }; error?: unknown; isLoading: boolean; refetch?: () => unknown }
  /** the header row's cells */
  head: ReactNode
  empty: string
  offset: number
  limit: number
  onPage: (offset: number) => void
  /** one item's row(s) */
  children: (item: T) => ReactNode
}) {
  return (
    <QueryState query={query} empty={(p) => (p.items.length ? null : empty)}>
      {(page) => (
        <>
          <div className="overflow-x-auto rounded-box border border-base-300 bg-base-100">
            <table className="table table-sm">
              <thead><tr>{head}</tr></thead>
              <tbody>{page.items.map(children)}</tbody>
            </table>
          </div>
          <Pager offset={offset} limit={limit} total={page.total} onChange={onPage} />
        </>
      )}
    </QueryState>
  )
}
