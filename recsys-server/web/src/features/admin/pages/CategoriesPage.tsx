import { useState, type FormEvent } from 'react'
import type { CategoryNode } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { flatten, useCategoriesQuery } from '../../catalog'
import { useCreateCategoryMutation, useDeleteCategoryMutation, useUpdateCategoryMutation } from '../api'
import { ConfirmButton } from '../components/widgets'

function slugify(s: string) {
  return s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

export function CategoriesPage() {
  const categories = useCategoriesQuery()
  const [create, creating] = useCreateCategoryMutation()
  const [name, setName] = useState('')
  const [parent, setParent] = useState('')
  async function submit(e: FormEvent) {
    e.preventDefault()
    const r = await create({ name, slug: slugify(name), parent_id: parent ? Number(parent) : null })
    if ('data' in r) setName('')
  }
  const rows = flatten(categories.data ?? [])
  return (
    <>
      <PageTitle title="Categories" />
      <form onSubmit={submit} className="mb-4 flex flex-wrap items-end gap-3 rounded-box border border-base-300 bg-base-100 p-4">
        <label className="flex flex-col gap-1 text-sm">New category<input className="input input-sm" required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label className="flex flex-col gap-1 text-sm">Inside
          <select className="select select-sm" aria-label="Inside" value={parent} onChange={(e) => setParent(e.target.value)}>
            <option value="">(top level)</option>
            {rows.map(({ node, depth }) => <option key={node.id} value={node.id}>{'\u00a0'.repeat(depth * 3)}{node.name}</option>)}
          </select>
        </label>
        <button type="submit" className="btn btn-primary btn-sm" disabled={creating.isLoading}>Add</button>
        {creating.error && <ErrorAlert error={creating.error} />}
      </form>
      <QueryState query={categories} empty={(c) => (c.length ? null : 'No categories yet.')}>
        {() => (
          <div className="overflow-x-auto rounded-box border border-base-300 bg-base-100">
            <table className="table table-sm">
              <thead><tr><th>Name</th><th>Slug</th><th /></tr></thead>
              <tbody>{rows.map(({ node, depth }) => <CategoryRow key={node.id} node={node} depth={depth} />)}</tbody>
            </table>
          </div>
        )}
      </QueryState>
    </>
  )
}

function CategoryRow({ node, depth }: { node: CategoryNode; depth: number }) {
  const [update, updating] = useUpdateCategoryMutation()
  const [remove, removing] = useDeleteCategoryMutation()
  const [name, setName] = useState(node.name)
  const error = updating.error ?? removing.error
  return (
    <>
      <tr>
        <td style={{ paddingLeft: `${1 + depth * 1.5}rem` }}>
          <input aria-label={`Name of ${node.name}`} className="input input-xs w-56" value={name} onChange={(e) => setName(e.target.value)} />
        </td>
        <td className="font-mono text-xs">{node.slug}</td>
        <td className="flex gap-2">
          <button type="button" className="btn btn-xs" disabled={name === node.name || !name.trim()} onClick={() => void update({ id: node.id, patch: { name } })}>Rename</button>
          <ConfirmButton label="Delete" className="btn btn-xs btn-ghost text-error" confirm={`Delete ${node.name}? Its products keep existing without a category.`} onConfirm={() => void remove(node.id)} />
        </td>
      </tr>
      {error && <tr><td colSpan={3}><ErrorAlert error={error} /></td></tr>}
    </>
  )
}
