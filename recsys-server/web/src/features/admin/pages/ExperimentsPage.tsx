import { useState, type FormEvent } from 'react'
import { Link, useParams } from 'react-router'
import type { ArmResult } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { dateTime, money, percent } from '../../../lib/format'
import { useCreateExperimentMutation, useExperimentQuery, useExperimentsQuery, useModelsQuery, useStopExperimentMutation } from '../api'
import { Intervals } from '../components/charts'

export function ExperimentsPage() {
  const experiments = useExperimentsQuery()
  return (
    <>
      <PageTitle title="Experiments" />
      <CreateExperiment />
      <QueryState query={experiments} empty={(x) => (x.length ? null : 'No experiment yet: create one above to compare two model versions on live traffic.')}>
        {(list) => (
          <div className="overflow-x-auto rounded-box border border-base-300 bg-base-100">
            <table className="table table-sm">
              <thead><tr><th>Name</th><th>Placement</th><th>Status</th><th>Arms</th><th>Started</th><th>Winner</th></tr></thead>
              <tbody>
                {list.map((x) => (
                  <tr key={x.id}>
                    <td><Link className="link" to={`/admin/experiments/${x.id}`}>{x.name}</Link></td>
                    <td>{x.placement}</td>
                    <td><span className={`badge badge-sm ${x.status === 'running' ? 'badge-info' : 'badge-ghost'}`}>{x.status}</span></td>
                    <td>{x.arms.map((a) => `#${a.model_version_id} (${a.weight})`).join(' vs ')}</td>
                    <td>{dateTime(x.created_at as unknown as number)}</td>
                    <td>{x.winner_arm ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </>
  )
}

function CreateExperiment() {
  const models = useModelsQuery()
  const [create, { isLoading, error, data }] = useCreateExperimentMutation()
  const [name, setName] = useState('')
  const [placement, setPlacement] = useState('home')
  const [arms, setArms] = useState<{ version: string; weight: string }[]>([
    { version: '', weight: '1' },
    { version: '', weight: '1' },
  ])
  const versions = (models.data ?? []).filter((m) => m.serving).flatMap((m) => m.versions)
  async function submit(e: FormEvent) {
    e.preventDefault()
    await create({
      name,
      placement,
      arms: arms.map((a) => ({ model_version: Number(a.version), weight: Number(a.weight) })),
    })
  }
  return (
    <details className="collapse-arrow collapse mb-6 border border-base-300 bg-base-100">
      <summary className="collapse-title font-semibold">New experiment</summary>
      <form onSubmit={submit} className="collapse-content flex flex-col gap-3">
        <div className="flex flex-wrap gap-3">
          <label className="flex flex-col gap-1 text-sm">Name
            <input className="input input-sm" required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="flex flex-col gap-1 text-sm">Placement
            <select className="select select-sm" aria-label="Placement" value={placement} onChange={(e) => setPlacement(e.target.value)}>
              <option value="home">home</option>
              <option value="home-recent">home-recent</option>
            </select>
          </label>
        </div>
        {arms.map((a, i) => (
          <div key={i} className="flex flex-wrap items-end gap-3">
            <label className="flex flex-col gap-1 text-sm">{i === 0 ? 'Control (arm 0)' : `Arm ${i}`}
              <select
                className="select select-sm w-64"
                required
                value={a.version}
                onChange={(e) => setArms(arms.map((x, j) => (j === i ? { ...x, version: e.target.value } : x)))}
              >
                <option value="">choose a version</option>
                {versions.map((v) => <option key={v.id} value={v.id}>{v.name} v{v.version}{v.active ? ' (active)' : ''}</option>)}
              </select>
            </label>
            <label className="flex flex-col gap-1 text-sm">Traffic weight
              <input className="input input-sm w-24" type="number" min="0.01" step="0.01" required value={a.weight} onChange={(e) => setArms(arms.map((x, j) => (j === i ? { ...x, weight: e.target.value } : x)))} />
            </label>
            {arms.length > 2 && <button type="button" className="btn btn-ghost btn-sm" onClick={() => setArms(arms.filter((_, j) => j !== i))}>Remove</button>}
          </div>
        ))}
        <div className="flex gap-2">
          <button type="button" className="btn btn-sm" onClick={() => setArms([...arms, { version: '', weight: '1' }])}>Add an arm</button>
          <button type="submit" className="btn btn-primary btn-sm" disabled={isLoading}>Start experiment</button>
        </div>
        {error && <ErrorAlert error={error} />}
        {data && <p role="status">Experiment <Link className="link" to={`/admin/experiments/${data.id}`}>{data.name}</Link> is running.</p>}
      </form>
    </details>
  )
}

function diff(r: ArmResult, key: 'ctr_vs_control' | 'conversion_vs_control') {
  const d = r[key]
  if (!d) return '—'
  return `${d.difference >= 0 ? '+' : ''}${percent(d.difference, 2)} (p = ${d.p_value.toFixed(3)})`
}

export function ExperimentPage() {
  const id = Number(useParams().id)
  const x = useExperimentQuery(id, { pollingInterval: 10_000 })
  const [stop, stopping] = useStopExperimentMutation()
  const [winner, setWinner] = useState<string>('')
  return (
    <QueryState query={x}>
      {(e) => (
        <>
          <PageTitle title={`Experiment: ${e.name}`}>
            <span className={`badge ${e.status === 'running' ? 'badge-info' : 'badge-ghost'}`}>{e.status}</span>
          </PageTitle>
          <p className="mb-4 text-sm text-base-content/60">
            Placement <strong>{e.placement}</strong> · started {dateTime(e.created_at as unknown as number)} · purchases count for an arm within {Math.round(e.attribution_window_ms / 3_600_000)} h of a click.
          </p>
          <div className="overflow-x-auto rounded-box border border-base-300 bg-base-100">
            <table className="table table-sm">
              <thead><tr><th>Arm</th><th>Version</th><th>Weight</th><th className="text-right">Impressions</th><th className="text-right">Clicks</th><th className="text-right">CTR (95%)</th><th>vs control</th><th className="text-right">Purchases</th><th className="text-right">Conversion (95%)</th><th>vs control</th><th className="text-right">Revenue / 1000</th></tr></thead>
              <tbody>
                {e.results.map((r) => (
                  <tr key={r.arm} data-arm={r.arm}>
                    <td>{r.arm === 0 ? 'control' : r.arm}</td>
                    <td>#{r.model_version_id}</td>
                    <td>{r.weight}</td>
                    <td className="text-right">{r.impressions}</td>
                    <td className="text-right">{r.clicks}</td>
                    <td className="text-right">{percent(r.ctr.value, 2)} ({percent(r.ctr.low, 1)}–{percent(r.ctr.high, 1)})</td>
                    <td>{diff(r, 'ctr_vs_control')}</td>
                    <td className="text-right">{r.purchases}</td>
                    <td className="text-right">{percent(r.conversion.value, 2)} ({percent(r.conversion.low, 1)}–{percent(r.conversion.high, 1)})</td>
                    <td>{diff(r, 'conversion_vs_control')}</td>
                    <td className="text-right">{money(r.revenue_per_mille_cents.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="mt-4 grid gap-4 lg:grid-cols-2">
            <Intervals title="Click-through rate per arm" data={e.results.map((r) => ({ label: r.arm === 0 ? 'control' : `arm ${r.arm}`, ...r.ctr }))} format={(v) => percent(v, 1)} />
            <Intervals title="Conversion per arm" data={e.results.map((r) => ({ label: r.arm === 0 ? 'control' : `arm ${r.arm}`, ...r.conversion }))} format={(v) => percent(v, 2)} />
          </div>
          {e.status === 'running' && (
            <div className="card card-border mt-6 bg-base-100">
              <div className="card-body flex-row flex-wrap items-end gap-3">
                <label className="flex flex-col gap-1 text-sm">Winner
                  <select className="select select-sm" aria-label="Winner" value={winner} onChange={(ev) => setWinner(ev.target.value)}>
                    <option value="">none (just stop)</option>
                    {e.arms.map((a) => <option key={a.arm} value={a.arm}>{a.arm === 0 ? 'control' : `arm ${a.arm}`} (#{a.model_version_id})</option>)}
                  </select>
                </label>
                <button
                  type="button"
                  className="btn btn-warning btn-sm"
                  disabled={stopping.isLoading}
                  onClick={() => void stop({ id: e.id, winner_arm: winner === '' ? null : Number(winner) })}
                >
                  Stop the experiment
                </button>
                <p className="text-xs text-base-content/60">The winner's version is activated for everyone.</p>
              </div>
              {stopping.error && <ErrorAlert error={stopping.error} />}
            </div>
          )}
          <p className="mt-4"><Link className="link" to="/admin/experiments">← All experiments</Link></p>
        </>
      )}
    </QueryState>
  )
}
