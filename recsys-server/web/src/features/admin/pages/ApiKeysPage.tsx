import { useState, type FormEvent } from 'react'
import type { ApiKey, Scope } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { dateTime } from '../../../lib/format'
import { useApiKeysQuery, useCreateApiKeyMutation, useRevokeApiKeyMutation } from '../api'
import { ConfirmButton } from '../components/widgets'

const SCOPES: [Scope, string][] = [
  ['catalog:write', 'send categories and products'],
  ['events:write', 'send customers and their events'],
  ['recommend:read', 'ask for recommendations'],
  ['export:read', 'read the records back'],
]

/** Keys of the service API: a shop with its own storefront calls the server with one. */
export function ApiKeysPage() {
  const keys = useApiKeysQuery()
  const [create, creating] = useCreateApiKeyMutation()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<Scope[]>(['catalog:write', 'events:write', 'recommend:read'])
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null)
  async function submit(e: FormEvent) {
    e.preventDefault()
    const r = await create({ name, scopes })
    if ('data' in r && r.data) {
      setShown({ name: r.data.api_key.name, key: r.data.key })
      setName('')
    }
  }
  function toggle(scope: Scope, on: boolean) {
    setScopes((s) => (on ? [...s, scope] : s.filter((x) => x !== scope)))
  }
  return (
    <>
      <PageTitle title="API keys" />
      <p className="mb-4 max-w-3xl text-sm opacity-80">
        A shop that keeps its own storefront sends its catalog, customers and events to <code>/api/v1/service/…</code> and
        asks for recommendations there, in its own ids, with a key made here (<code>X-API-Key: rk_…</code>). A revoked key
        stops working on every server within the user cache time.
      </p>
      <form onSubmit={submit} className="mb-4 flex flex-wrap items-end gap-4 rounded-box border border-base-300 bg-base-100 p-4">
        <label className="flex flex-col gap-1 text-sm">New key's name
          <input className="input input-sm w-56" required maxLength={200} placeholder="storefront sync" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset className="flex flex-wrap gap-3 text-sm">
          <legend className="mb-1">Scopes</legend>
          {SCOPES.map(([scope, what]) => (
            <label key={scope} className="flex items-center gap-1" title={what}>
              <input type="checkbox" className="checkbox checkbox-sm" checked={scopes.includes(scope)} onChange={(e) => toggle(scope, e.target.checked)} />
              <span className="font-mono text-xs">{scope}</span>
            </label>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary btn-sm" disabled={creating.isLoading || !scopes.length}>Make key</button>
        {creating.error && <ErrorAlert error={creating.error} />}
      </form>
      {shown && (
        <div role="status" className="alert alert-success mb-4 flex flex-wrap items-center gap-3">
          <span>The key “{shown.name}”, shown this once: copy it now.</span>
          <code data-testid="new-key" className="select-all break-all rounded bg-base-100 px-2 py-1 font-mono text-sm">{shown.key}</code>
          <button type="button" className="btn btn-xs" onClick={() => void navigator.clipboard?.writeText(shown.key)}>Copy</button>
          <button type="button" className="btn btn-xs btn-ghost" onClick={() => setShown(null)}>Done</button>
        </div>
      )}
      <QueryState query={keys} empty={(k) => (k.length ? null : 'No keys yet.')}>
        {(list) => (
          <div className="overflow-x-auto rounded-box border border-base-300 bg-base-100">
            <table className="table table-sm">
              <thead><tr><th>Name</th><th>Key</th><th>Scopes</th><th>Made</th><th>Last used</th><th>Status</th><th /></tr></thead>
              <tbody>{list.map((k) => <KeyRow key={k.id} apiKey={k} />)}</tbody>
            </table>
          </div>
        )}
      </QueryState>
    </>
  )
}

function KeyRow({ apiKey: k }: { apiKey: ApiKey }) {
  const [revoke, revoking] = useRevokeApiKeyMutation()
  return (
    <>
      <tr data-key={k.id} className={k.revoked_at ? 'opacity-60' : ''}>
        <td>{k.name}</td>
        <td className="font-mono text-xs">{k.prefix}…</td>
        <td className="font-mono text-xs">{k.scopes.join(' ')}</td>
        <td className="whitespace-nowrap text-xs">{dateTime(k.created_at)}</td>
        <td className="whitespace-nowrap text-xs">{k.last_used_at ? dateTime(k.last_used_at) : 'never'}</td>
        <td>{k.revoked_at ? <span className="badge badge-ghost badge-sm">revoked</span> : <span className="badge badge-success badge-sm">active</span>}</td>
        <td>
          {!k.revoked_at && (
            <ConfirmButton label="Revoke" className="btn btn-xs btn-ghost text-error" confirm={`Revoke “${k.name}”? Calls with it are refused from now on.`} onConfirm={() => void revoke(k.id)} disabled={revoking.isLoading} />
          )}
        </td>
      </tr>
      {revoking.error && <tr><td colSpan={7}><ErrorAlert error={revoking.error} /></td></tr>}
    </>
  )
}
