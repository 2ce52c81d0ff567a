// How numbers, money and times read on the pages.

export function money(cents: number, currency = 'USD'): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100)
}

export function compact(n: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}

export function percent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`
}

export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })
}

export function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/** `YYYY-MM-DD` of `days` days before today (UTC), as the analytics routes take it. */
export function daysAgo(days: number, now = Date.now()): string {
  return day(now - days * 86_400_000)
}

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—'
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(1)} s`
}
