import { useState } from 'react'
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
        head={<><th>E-mail</th><th>Name</th><th>Role</th><th>Active</th><th>Segment</th><th>Joined</th><th>Last sign-in</th></>}>
        {(u) => <UserRow key={u.id} user={u} />}
      </PagedTable>
    </>
  )
}

function UserRow({ user }: { user: AdminUserView }) {
  const [update, { isLoading, error }] = useUpdateUserMutation()
  return (
    <>
      <tr>
        <td>{user.email}</td>
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
        <td>{user.segment ? `#${user.segment.segment}` : '—'}</td>
        <td className="text-xs">{dateTime(user.created_at)}</td>
        <td className="text-xs">{dateTime(user.last_login_at)}</td>
      </tr>
      {error && <tr><td colSpan={7}><ErrorAlert error={error} /></td></tr>}
    </>
  )
}
