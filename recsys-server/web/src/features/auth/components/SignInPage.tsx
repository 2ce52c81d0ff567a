import { useState, type FormEvent } from 'react'
import { Link, useLocation, useNavigate } from 'react-router'
import { ErrorAlert } from '../../../components/Status'
import { PageTitle } from '../../../components/PageTitle'
import { useLoginMutation } from '../api'

export function SignInPage() {
  const [login, { isLoading, error }] = useLoginMutation()
  const navigate = useNavigate()
  const location = useLocation()
  const next = (location.state as { from?: string } | null)?.from ?? '/'
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')

  async function submit(e: FormEvent) {
    e.preventDefault()
    const result = await login({ email, password })
    if (!('error' in result)) navigate(next, { replace: true })
  }

  return (
    <div className="mx-auto max-w-sm">
      <PageTitle title="Sign in" />
      <form onSubmit={submit} className="card card-border bg-base-100 shadow-sm">
        <fieldset className="fieldset card-body" disabled={isLoading}>
          <label className="fieldset-label" htmlFor="email">E-mail</label>
          <input id="email" className="input w-full" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <label className="fieldset-label" htmlFor="password">Password</label>
          <input id="password" className="input w-full" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          {error && <ErrorAlert error={error} />}
          <button className="btn btn-primary mt-4" type="submit">
            {isLoading && <span className="loading loading-spinner loading-sm" />}Sign in
          </button>
          <p className="mt-2 text-sm">
            New here? <Link className="link" to="/register" state={location.state}>Create an account</Link>
          </p>
        </fieldset>
      </form>
    </div>
  )
}
