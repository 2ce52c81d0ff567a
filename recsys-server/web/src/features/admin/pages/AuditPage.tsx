import { useState } from 'react'
import { PageTitle } from '../../../components/PageTitle'
import { dateTime } from '../../../lib/format'
import { useDebounced } from '../../../lib/useDebounced'
import { useAuditQuery } from '../api'
import { PagedTable } from '../components/PagedTable'

const PAGE = 30

function short(v: unknown): string {
  if (v === null || v === undefined) return ''
  const s = JSON.stringify(v)
  return s.length > 120 ? `${s.slice(0, 117)}…` : s
}

export function AuditPage() {
  const [action, setAction] = useState('')
  const [target, setTarget] = useState('')
  const [actor, setActor] = useState('')
  const [offset, setOffset] = useState(0)
  const a = useDebounced(action.trim(), 250)
  const t = useDebounced(target.trim(), 250)
  const log = useAuditQuery({
    action: a || undefined,
    target_type: t || undefined,
    actor_id: /^\d+$/.test(actor) ? Number(actor) : undefined,
    limit: PAGE,
    offset,
  })
  return (
    <>
      <PageTitle title="Audit log">
        <div className="flex flex-wrap gap-2">
          <input className="input input-sm w-40" aria-label="Action" placeholder="action (model.activate)" value={action} onChange={(e) => { setAction(e.target.value); setOffset(0) }} />
          <input className="input input-sm w-36" aria-label="Target type" placeholder="target (product)" value={target} onChange={(e) => { setTarget(e.target.value); setOffset(0) }} />
          <input className="input input-sm w-28" inputMode="numeric" aria-label="Actor id" placeholder="actor id" value={actor} onChange={(e) => { setActor(e.target.value); setOffset(0) }} />
        </div>
      </PageTitle>
      <PagedTable query={log} empty="Nothing recorded matches." offset={offset} limit={PAGE} onPage={setOffset}
        head={<><th>When</th><th>Actor</th><th>Action</th><th>Target</th><th>Before</th><th>After</th></>}>
        {(e) => (
          <tr key={e.id}>
            <td className="whitespace-nowrap text-xs">{dateTime(e.at as unknown as number)}</td>
            <td>{e.actor_id ?? (e.api_key_id ? `API key ${e.api_key_id}` : 'system')}</td>
            <td className="font-mono text-xs">{e.action}</td>
            <td className="text-xs">{e.target_type}{e.target_id ? ` ${e.target_id}` : ''}</td>
            <td className="max-w-56 truncate font-mono text-xs" title={short(e.before)}>{short(e.before)}</td>
            <td className="max-w-56 truncate font-mono text-xs" title={short(e.after)}>{short(e.after)}</td>
          </tr>
        )}
      </PagedTable>
    </>
  )
}
