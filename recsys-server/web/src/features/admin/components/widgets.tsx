import type { ReactNode } from 'react'
import { daysAgo } from '../../../lib/format'
import type { DayRange } from '../api'

export function Stat({ title, value, note }: { title: string; value: ReactNode; note?: ReactNode }) {
  return (
    <div className="stat rounded-box border border-base-300 bg-base-100">
      <div className="stat-title">{title}</div>
      <div className="stat-value text-2xl">{value}</div>
      {note && <div className="stat-desc">{note}</div>}
    </div>
  )
}

export const RANGES = [
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: 'year' },
]

export function rangeOf(days: number): DayRange {
  return { from: daysAgo(days - 1), to: daysAgo(0) }
}

export function RangePicker({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  return (
    <div className="join" role="group" aria-label="Date range">
      {RANGES.map((r) => (
        <button
          key={r.days}
          type="button"
          className={`btn btn-sm join-item ${days === r.days ? 'btn-active btn-primary' : ''}`}
          aria-pressed={days === r.days}
          onClick={() => onChange(r.days)}
        >
          {r.label}
        </button>
      ))}
    </div>
  )
}

/** A confirmation step for writes that change what customers see. */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
  className = 'btn btn-sm',
  disabled,
}: {
  label: string
  confirm: string
  onConfirm: () => void
  className?: string
  disabled?: boolean
}) {
  return (
    <button
      type="button"
      className={className}
      disabled={disabled}
      onClick={() => {
        if (window.confirm(confirm)) onConfirm()
      }}
    >
      {label}
    </button>
  )
}
