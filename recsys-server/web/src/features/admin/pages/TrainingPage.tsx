import { useEffect, useRef, useState, type FormEvent } from 'react'
import { useAppDispatch } from '../../../app/hooks'
import { api } from '../../../api/base'
import type { ModelVersion, TrainingRun } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert } from '../../../components/Status'
import { dateTime, seconds } from '../../../lib/format'
import { useCancelRunMutation, useModelsQuery, useRunsQuery, useTrainMutation } from '../api'
import { PagedTable } from '../components/PagedTable'

const MODELS = [
  ['hybrid', 'hybrid (ALS + content + popularity: what the shop serves)'],
  ['als', 'ALS only'],
  ['content', 'content (TF-IDF) only'],
  ['popular', 'popularity only'],
] as const

const STATUS: Record<string, string> = {
  queued: 'badge-ghost',
  running: 'badge-info',
  succeeded: 'badge-success',
  failed: 'badge-error',
  cancelled: 'badge-warning',
}

type Progress = { stage?: string; model?: string; iteration?: number; iterations?: number; loss?: number | null; elapsed_s?: number }

const PAGE = 15

export function TrainingPage() {
  const [offset, setOffset] = useState(0)
  const [live, setLive] = useState(false)
  // while a run is queued or running, ask every second: the progress is written each second
  const runs = useRunsQuery({ limit: PAGE, offset }, { pollingInterval: live ? 1000 : 0 })
  // runs name the version they saved by id: show it as the Versions page does (hybrid v4)
  const models = useModelsQuery()
  const versions = new Map((models.data ?? []).flatMap((m) => m.versions.map((v) => [v.id, v] as const)))
  const busy = runs.data?.items.some((r) => r.status === 'queued' || r.status === 'running') ?? false
  if (busy !== live) setLive(busy)
  // a run that ended may have saved (and activated) a version
  const dispatch = useAppDispatch()
  const wasBusy = useRef(false)
  useEffect(() => {
    if (wasBusy.current && !busy) dispatch(api.util.invalidateTags(['Models']))
    wasBusy.current = busy
  }, [busy, dispatch])
  return (
    <>
      <PageTitle title="Training runs" />
      <TrainForm />
      <PagedTable query={runs} empty="No run yet." offset={offset} limit={PAGE} onPage={setOffset}
        head={<><th>Run</th><th>Model</th><th>Status</th><th>Progress</th><th>Queued</th><th>Took</th><th>Version</th><th /></>}>
        {(r) => <RunRow key={r.id} run={r} version={r.model_version_id ? versions.get(r.model_version_id) : undefined} />}
      </PagedTable>
    </>
  )
}

function TrainForm() {
  const [train, { isLoading, error, data }] = useTrainMutation()
  const [model, setModel] = useState('hybrid')
  const [config, setConfig] = useState('')
  const [configError, setConfigError] = useState<string | null>(null)
  async function submit(e: FormEvent) {
    e.preventDefault()
    let parsed: object | null = null
    if (config.trim()) {
      try {
        parsed = JSON.parse(config) as object
      } catch (err) {
        setConfigError(`The settings are not JSON: ${(err as Error).message}`)
        return
      }
    }
    setConfigError(null)
    await train({ model, config: parsed })
  }
  return (
    <form onSubmit={submit} className="card card-border mb-6 bg-base-100" aria-labelledby="train-now">
      <div className="card-body gap-3">
        <h2 id="train-now" className="card-title text-base">Train now</h2>
        <div className="flex flex-wrap items-end gap-3">
          <label className="flex flex-col gap-1 text-sm">
            Model
            <select className="select select-sm w-80" aria-label="Model" value={model} onChange={(e) => setModel(e.target.value)} name="model">
              {MODELS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
          </label>
          <button className="btn btn-primary btn-sm" type="submit" disabled={isLoading}>
            {isLoading && <span className="loading loading-spinner loading-xs" />}Start training
          </button>
        </div>
        <details>
          <summary className="cursor-pointer text-sm">Settings (optional JSON: the core's config of that kind)</summary>
          <textarea
            className="textarea mt-2 w-full font-mono text-xs"
            rows={4}
            aria-label="Model settings as JSON"
            placeholder='{"kind": "als", "factors": 32, "iterations": 10}'
            value={config}
            onChange={(e) => setConfig(e.target.value)}
          />
        </details>
        {configError && <div role="alert" className="alert alert-error">{configError}</div>}
        {error && <ErrorAlert error={error} />}
        {data && <p role="status" className="text-sm">Run #{data.id} was queued: its progress shows below.</p>}
      </div>
    </form>
  )
}

function RunRow({ run, version }: { run: TrainingRun; version?: ModelVersion }) {
  const [cancel, cancelling] = useCancelRunMutation()
  const p = (run.progress ?? {}) as Progress
  const started = run.started_at as number | null | undefined
  const finished = run.finished_at as number | null | undefined
  const took = started && finished ? (finished - started) / 1000 : p.elapsed_s
  const fraction = p.iteration && p.iterations ? p.iteration / p.iterations : null
  return (
    <tr data-run={run.id} data-status={run.status}>
      <td className="font-mono">#{run.id}</td>
      <td>{run.model_name}</td>
      <td><span className={`badge badge-sm ${STATUS[run.status] ?? ''}`}>{run.status}</span></td>
      <td className="min-w-48">
        {run.status === 'running' ? (
          <div className="flex flex-col gap-1">
            <span className="text-xs">{p.stage ?? 'starting'}{p.model ? ` · ${p.model}` : ''}{p.iteration ? ` ${p.iteration}/${p.iterations}` : ''}{typeof p.loss === 'number' ? ` · loss ${p.loss.toFixed(4)}` : ''}</span>
            <progress className="progress progress-info w-40" value={fraction ?? undefined} max={1} aria-label="progress" />
          </div>
        ) : run.status === 'failed' ? (
          <span className="text-xs text-error">{run.error}</span>
        ) : (
          <span className="text-xs text-base-content/60">{outcome(run, version)}</span>
        )}
      </td>
      <td className="text-xs">{dateTime(run.created_at as unknown as number)}</td>
      <td>{seconds(took)}</td>
      <td>{version ? `${version.name} v${version.version}` : run.model_version_id ? `#${run.model_version_id}` : '—'}</td>
      <td>
        {(run.status === 'queued' || run.status === 'running') && (
          <button type="button" className="btn btn-ghost btn-xs" disabled={cancelling.isLoading || run.cancel_requested} onClick={() => void cancel(run.id)}>
            {run.cancel_requested ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </td>
    </tr>
  )
}

/** What a run that is not running came to. */
function outcome(run: TrainingRun, version?: ModelVersion): string {
  switch (run.status) {
    case 'queued':
      return 'waiting for a worker'
    case 'cancelled':
      return 'cancelled'
    case 'succeeded': {
      const m = (version?.metrics ?? {}) as { ndcg_at_10?: number; active?: { ndcg_at_10?: number } }
      if (typeof m.ndcg_at_10 !== 'number') return 'saved'
      return `NDCG@10 ${m.ndcg_at_10.toFixed(3)}${version?.active ? ' · active' : ''}`
    }
    default:
      return ''
  }
}
