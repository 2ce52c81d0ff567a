import { useState, type FormEvent } from 'react'
import type { ProductSummary } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { ProductImage } from '../../../components/ProductImage'
import { ErrorAlert } from '../../../components/Status'
import { money } from '../../../lib/format'
import { useDebounced } from '../../../lib/useDebounced'
import { flatten, useCategoriesQuery } from '../../catalog'
import { useAdminProductsQuery, useCreateProductMutation, useUpdateProductMutation, useUploadImageMutation } from '../api'
import { PagedTable } from '../components/PagedTable'

const PAGE = 25

export function ProductsPage() {
  const [text, setText] = useState('')
  const q = useDebounced(text.trim(), 250)
  const [offset, setOffset] = useState(0)
  const [listed, setListed] = useState('')
  const products = useAdminProductsQuery({ q: q || undefined, active: listed === '' ? undefined : listed === 'yes', sort: 'newest', limit: PAGE, offset })
  return (
    <>
      <PageTitle title="Products">
        <div className="flex flex-wrap gap-2">
          <select className="select select-sm w-36" aria-label="Listed" value={listed} onChange={(e) => { setListed(e.target.value); setOffset(0) }}>
            <option value="">listed or not</option>
            <option value="yes">listed</option>
            <option value="no">unlisted</option>
          </select>
          <input className="input input-sm w-64" type="search" aria-label="Filter products" placeholder="Filter by name, SKU, text…" value={text} onChange={(e) => { setText(e.target.value); setOffset(0) }} />
        </div>
      </PageTitle>
      <NewProduct />
      <PagedTable query={products} empty="No product matches." offset={offset} limit={PAGE} onPage={setOffset}
        head={<><th>Picture</th><th>SKU</th><th>Name</th><th>Price (USD)</th><th>Stock</th><th>Listed</th><th /></>}>
        {(p) => <ProductRow key={p.id} product={p} />}
      </PagedTable>
    </>
  )
}

function ProductRow({ product }: { product: ProductSummary }) {
  const [update, { isLoading, error }] = useUpdateProductMutation()
  const [price, setPrice] = useState((product.price_cents / 100).toFixed(2))
  const [stock, setStock] = useState(String(product.stock))
  const changed = price !== (product.price_cents / 100).toFixed(2) || stock !== String(product.stock)
  return (
    <>
      <tr>
        <td><ProductPicture product={product} /></td>
        <td className="font-mono text-xs">{product.sku}</td>
        <td>{product.name}</td>
        <td><input aria-label={`Price of ${product.name}`} className="input input-xs w-24" type="number" min={0} step="0.01" value={price} onChange={(e) => setPrice(e.target.value)} /></td>
        <td><input aria-label={`Stock of ${product.name}`} className="input input-xs w-20" type="number" min={0} step={1} value={stock} onChange={(e) => setStock(e.target.value)} /></td>
        <td>
          <input
            type="checkbox"
            className="toggle toggle-sm toggle-success"
            aria-label={`${product.name} is listed`}
            checked={product.active}
            disabled={isLoading}
            onChange={(e) => void update({ id: product.id, patch: { active: e.target.checked } })}
          />
        </td>
        <td>
          <button
            type="button"
            className="btn btn-xs btn-primary"
            disabled={!changed || isLoading}
            onClick={() => void update({ id: product.id, patch: { price_cents: Math.round(Number(price) * 100), stock: Number(stock) } })}
          >
            Save
          </button>
        </td>
      </tr>
      {error && (
        <tr><td colSpan={7}><ErrorAlert error={error} /></td></tr>
      )}
    </>
  )
}

/** The product's picture and a control to upload another (JPEG, PNG or WebP; its metadata is left out). */
function ProductPicture({ product }: { product: ProductSummary }) {
  const [upload, uploading] = useUploadImageMutation()
  const [update, updating] = useUpdateProductMutation()
  async function choose(file: File | undefined) {
    if (!file) return
    const stored = await upload(file)
    if ('data' in stored && stored.data) await update({ id: product.id, patch: { image_url: stored.data.url } })
  }
  const busy = uploading.isLoading || updating.isLoading
  return (
    <div className="flex items-center gap-2">
      <ProductImage product={product} size="thumb" />
      <label className={`btn btn-ghost btn-xs ${busy ? 'btn-disabled' : ''}`}>
        {busy ? 'Uploading…' : product.image_url ? 'Replace' : 'Upload'}
        <input
          type="file"
          accept="image/jpeg,image/png,image/webp"
          className="hidden"
          aria-label={`Picture of ${product.name}`}
          disabled={busy}
          onChange={(e) => { void choose(e.target.files?.[0]); e.target.value = '' }}
        />
      </label>
      {uploading.error && <div className="max-w-xs"><ErrorAlert error={uploading.error} /></div>}
    </div>
  )
}

function NewProduct() {
  const categories = useCategoriesQuery()
  const [create, { isLoading, error, data }] = useCreateProductMutation()
  const [form, setForm] = useState({ sku: '', name: '', description: '', price: '', stock: '0', category: '' })
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value })
  async function submit(e: FormEvent) {
    e.preventDefault()
    const result = await create({
      sku: form.sku,
      name: form.name,
      description: form.description,
      price_cents: Math.round(Number(form.price) * 100),
      stock: Number(form.stock),
      category_id: form.category ? Number(form.category) : null,
      attributes: {},
    })
    if ('data' in result) setForm({ sku: '', name: '', description: '', price: '', stock: '0', category: '' })
  }
  return (
    <details className="collapse-arrow collapse mb-4 border border-base-300 bg-base-100">
      <summary className="collapse-title font-semibold">New product</summary>
      <form onSubmit={submit} className="collapse-content grid gap-3 sm:grid-cols-3">
        <label className="flex flex-col gap-1 text-sm">SKU<input className="input input-sm" required value={form.sku} onChange={set('sku')} /></label>
        <label className="flex flex-col gap-1 text-sm sm:col-span-2">Name<input className="input input-sm w-full" required value={form.name} onChange={set('name')} /></label>
        <label className="flex flex-col gap-1 text-sm sm:col-span-3">Description<textarea className="textarea textarea-sm w-full" value={form.description} onChange={set('description')} /></label>
        <label className="flex flex-col gap-1 text-sm">Price (USD)<input className="input input-sm" type="number" min={0} step="0.01" required value={form.price} onChange={set('price')} /></label>
        <label className="flex flex-col gap-1 text-sm">Stock<input className="input input-sm" type="number" min={0} required value={form.stock} onChange={set('stock')} /></label>
        <label className="flex flex-col gap-1 text-sm">Category
          <select className="select select-sm" aria-label="Category" value={form.category} onChange={set('category')}>
            <option value="">none</option>
            {flatten(categories.data ?? []).map(({ node, depth }) => <option key={node.id} value={node.id}>{'\u00a0'.repeat(depth * 3)}{node.name}</option>)}
          </select>
        </label>
        <div className="sm:col-span-3">
          <button className="btn btn-primary btn-sm" type="submit" disabled={isLoading}>Create product</button>
          {data && <span role="status" className="ml-3 text-sm">Created {data.name} ({money(data.price_cents, data.currency)}).</span>}
        </div>
        {error && <div className="sm:col-span-3"><ErrorAlert error={error} /></div>}
      </form>
    </details>
  )
}
