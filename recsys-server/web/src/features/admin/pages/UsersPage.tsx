import { useState, type FormEvent } from 'react'
import type { AdminUserView, Role } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert } from '../../../components/Status'
import { dateTime } from '../../../lib/format'
import { useDebounced } from '../../../lib/useDebounced'
import { useUpdateUserMutation, useUsersQuery } from '../api'
import { PagedTable } from '../components/PagedTable'

const PAGE = 25

export function UsersPage() {
  const [email, setEmail] = useState('')
  const [role, setRole] = useState('')
  const [offset, setOffset] = useState(0)
  const q = useDebounced(email.trim(), 250)
  const users = useUsersQuery({ email: q || undefined, role: role || undefined, limit: PAGE, offset })
  return (
    <>
      <PageTitle title="Users">
        <div className="flex flex-wrap gap-2">
          <select className="select select-sm w-32" aria-label="Role" value={role} onChange={(e) => { setRole(e.target.value); setOffset(0) }}>
            <option value="">any role</option>
            <option value="user">customers</option>
            <option value="admin">admins</option>
          </select>
          <input className="input input-sm w-64" type="search" aria-label="Filter by e-mail" placeholder="e-mail contains…" value={email} onChange={(e) => { setEmail(e.target.value); setOffset(0) }} />
        </div>
      </PageTitle>
      <PagedTable query={users} empty="No user matches." offset={offset} limit={PAGE} onPage={setOffset}
        head={<><th>E-mail</th><th>Name</th><th>Role</th><th>Active</th><th>Password</th><th>Segment</th><th>Joined</th><th>Last sign-in</th></>}>
        {(u) => <UserRow key={u.id} user={u} />}
      </PagedTable>
    </>
  )
}

function UserRow({ user }: { user: AdminUserView }) {
  const [update, { isLoading, error }] = useUpdateUserMutation()
  const [setting, setSetting] = useState(false)
  const [password, setPassword] = useState('')
  async function savePassword(e: FormEvent) {
    e.preventDefault()
    const r = await update({ id: user.id, patch: { password } })
    if ('data' in r) {
      setSetting(false)
      setPassword('')
    }
  }
  return (
    <>
      <tr data-user={user.id}>
        <td>
          {user.email}
          {user.external_id && <div className="font-mono text-xs opacity-60" title="the shop's own id">{user.external_id}</div>}
        </td>
        <td>{user.display_name}</td>
        <td>
          <select className="select select-xs" aria-label={`Role of ${user.email}`} value={user.role} disabled={isLoading} onChange={(e) => void update({ id: user.id, patch: { role: e.target.value as Role } })}>
            <option value="user">customer</option>
            <option value="admin">admin</option>
          </select>
        </td>
        <td>
          <input type="checkbox" className="toggle toggle-sm toggle-success" aria-label={`${user.email} is active`} checked={user.active} disabled={isLoading} onChange={(e) => void update({ id: user.id, patch: { active: e.target.checked } })} />
        </td>
        <td>
          {setting ? (
            <form onSubmit={savePassword} className="flex gap-1">
              <input type="password" className="input input-xs w-36" aria-label={`New password of ${user.email}`} autoComplete="new-password"
                minLength={8} maxLength={256} required value={password} onChange={(e) => setPassword(e.target.value)} />
              <button type="submit" className="btn btn-xs btn-primary" disabled={isLoading}>Save</button>
              <button type="button" className="btn btn-xs btn-ghost" onClick={() => setSetting(false)}>Cancel</button>
            </form>
          ) : (
            <div className="flex items-center gap-2">
              {!user.has_password && <span className="badge badge-warning badge-sm" title="imported without one: cannot sign in yet">none</span>}
              <button type="button" className="btn btn-xs" onClick={() => setSetting(true)}>{user.has_password ? 'Reset' : 'Set password'}</button>
            </div>
          )}
        </td>
        <td>{user.segment ? `#${user.segment.segment}` : '—'}</td>
        <td className="text-xs">{dateTime(user.created_at)}</td>
        <td className="text-xs">{dateTime(user.last_login_at)}</td>
      </tr>
      {error && <tr><td colSpan={8}><ErrorAlert error={error} /></td></tr>}
    </>
  )
}
