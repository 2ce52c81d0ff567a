import type { ModelSlot, ModelVersion } from '../../../api/types'
import { PageTitle } from '../../../components/PageTitle'
import { ErrorAlert, QueryState } from '../../../components/Status'
import { dateTime, seconds } from '../../../lib/format'
import { useActivateMutation, useModelsQuery, useRollbackMutation } from '../api'
import { Bars } from '../components/charts'
import { ConfirmButton } from '../components/widgets'

type Metrics = {
  ndcg_at_10?: number
  map_at_10?: number
  precision_at_10?: number
  coverage?: number
  train_seconds?: number
  silhouette?: number
  k?: number
}

function metricsOf(v: ModelVersion): Metrics {
  return (v.metrics && typeof v.metrics === 'object' ? v.metrics : {}) as Metrics
}

function num(x: number | undefined, digits = 3) {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—'
}

export function ModelsPage() {
  const models = useModelsQuery()
  return (
    <>
      <PageTitle title="Model versions" />
      <QueryState query={models} empty={(m) => (m.length ? null : 'No model has been trained yet: start a training run.')}>
        {(slots) => (
          <div className="flex flex-col gap-8">
            {slots.map((s) => (
              <Slot key={s.name} slot={s} />
            ))}
          </div>
        )}
      </QueryState>
    </>
  )
}

function Slot({ slot }: { slot: ModelSlot }) {
  const [activate, activation] = useActivateMutation()
  const [rollback, rollingBack] = useRollbackMutation()
  const ranked = slot.versions.some((v) => metricsOf(v).ndcg_at_10 !== undefined)
  const chart = [...slot.versions]
    .sort((a, b) => a.version - b.version)
    .map((v) => ({ version: `v${v.version}`, ndcg: metricsOf(v).ndcg_at_10 ?? 0, map: metricsOf(v).map_at_10 ?? 0 }))
  return (
    <section aria-labelledby={`slot-${slot.name}`} data-model={slot.name}>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id={`slot-${slot.name}`} className="text-xl font-semibold">
          {slot.name}{' '}
          {slot.serving && <span className="badge badge-primary badge-soft align-middle">serves the shop</span>}
        </h2>
        <ConfirmButton
          label="Roll back"
          className="btn btn-sm btn-outline"
          disabled={slot.active_version === null || slot.active_version === undefined || rollingBack.isLoading}
          confirm={`Go back to the version of ${slot.name} that was active before v${slot.active_version}?`}
          onConfirm={() => void rollback(slot.name)}
        />
      </div>
      {(activation.error || rollingBack.error) && <ErrorAlert error={activation.error ?? rollingBack.error} />}
      <div className="overflow-x-auto rounded-box border border-base-300 bg-base-100">
        <table className="table table-sm">
          <thead>
            <tr>
              <th>Version</th><th>Kind</th><th>Trained</th>
              {ranked ? (<><th className="text-right">NDCG@10</th><th className="text-right">MAP@10</th><th className="text-right">P@10</th><th className="text-right">Coverage</th></>) : (<><th className="text-right">k</th><th className="text-right">Silhouette</th></>)}
              <th className="text-right">Fit</th><th>Status</th>
            </tr>
          </thead>
          <tbody>
            {slot.versions.map((v) => {
              const m = metricsOf(v)
              return (
                <tr key={v.id} data-version={v.version} className={v.active ? 'bg-primary/5' : ''}>
                  <td className="font-mono">v{v.version}</td>
                  <td>{v.kind}</td>
                  <td>{dateTime(v.created_at as unknown as number)}</td>
                  {ranked ? (
                    <><td className="text-right">{num(m.ndcg_at_10)}</td><td className="text-right">{num(m.map_at_10)}</td><td className="text-right">{num(m.precision_at_10)}</td><td className="text-right">{num(m.coverage, 2)}</td></>
                  ) : (
                    <><td className="text-right">{m.k ?? '—'}</td><td className="text-right">{num(m.silhouette)}</td></>
                  )}
                  <td className="text-right">{seconds(m.train_seconds)}</td>
                  <td>
                    {v.active ? (
                      <span className="badge badge-success">active</span>
                    ) : (
                      <ConfirmButton
                        label="Activate"
                        className="btn btn-xs btn-primary"
                        disabled={activation.isLoading}
                        confirm={`Serve ${slot.name} v${v.version} from now on?`}
                        onConfirm={() => void activate({ name: slot.name, version: v.version })}
                      />
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      {ranked && chart.length > 1 && (
        <div className="mt-4">
          <Bars title={`${slot.name}: offline quality per version (newest 20% held out)`} data={chart} x="version" series={[{ key: 'ndcg', label: 'NDCG@10' }, { key: 'map', label: 'MAP@10' }]} format={(v) => v.toFixed(2)} />
        </div>
      )}
    </section>
  )
}
