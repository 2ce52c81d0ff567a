import { useState, type FormEvent } from 'react'
import { Link, useLocation, useNavigate } from 'react-router'
import { ErrorAlert } from '../../../components/Status'
import { PageTitle } from '../../../components/PageTitle'
import { useRegisterMutation } from '../api'

export function RegisterPage() {
  const [register, { isLoading, error }] = useRegisterMutation()
  const navigate = useNavigate()
  const location = useLocation()
  const next = (location.state as { from?: string } | null)?.from ?? '/'
  const [name, setName] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')

  async function submit(e: FormEvent) {
    e.preventDefault()
    const result = await register({ email, password, display_name: name || undefined })
    if (!('error' in result)) navigate(next, { replace: true })
  }

  return (
    <div className="mx-auto max-w-sm">
      <PageTitle title="Create an account" />
      <form onSubmit={submit} className="card card-border bg-base-100 shadow-sm">
        <fieldset className="fieldset card-body" disabled={isLoading}>
          <label className="fieldset-label" htmlFor="name">Name</label>
          <input id="name" className="input w-full" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
          <label className="fieldset-label" htmlFor="email">E-mail</label>
          <input id="email" className="input w-full" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <label className="fieldset-label" htmlFor="password">Password</label>
          <input id="password" className="input w-full" type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby="password-hint" />
          <p id="password-hint" className="fieldset-label">At least 8 characters.</p>
          {error && <ErrorAlert error={error} />}
          <button className="btn btn-primary mt-4" type="submit">
            {isLoading && <span className="loading loading-spinner loading-sm" />}Create account
          </button>
          <p className="mt-2 text-sm">
            Have an account? <Link className="link" to="/login" state={location.state}>Sign in</Link>
          </p>
        </fieldset>
      </form>
    </div>
  )
}
