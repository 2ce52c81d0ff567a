import { expect, test } from 'vitest'
import { pivot } from './QualityPage'

const day = (d: string, v: number, placement: string, impressions: number, clicks: number) => ({
  day: d,
  model_version_id: v,
  model_name: 'hybrid',
  version: v,
  placement,
  impressions,
  clicks,
  ctr: impressions ? clicks / impressions : 0,
})

test('one series per model version and placement, days in order, totals summed', () => {
  const view = pivot([day('2026-12-02', 2, 'home', 10, 1), day('2026-12-01', 1, 'home', 100, 5), day('2026-12-02', 1, 'home', 50, 5)])
  expect(view.series.map((s) => s.label)).toEqual(['hybrid v2 · home', 'hybrid v1 · home'])
  expect(view.data.map((d) => d.day)).toEqual(['2026-12-01', '2026-12-02'])
  expect(view.data[1]).toMatchObject({ v1_home: 0.1, v2_home: 0.1 })
  expect(view.totals.find((t) => t.key === 'v1_home')).toMatchObject({ impressions: 150, clicks: 10 })
})
