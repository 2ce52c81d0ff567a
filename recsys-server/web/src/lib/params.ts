/** Query parameters without the ones left out (undefined, null or empty). */
export function params(q: object): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') out[k] = String(v)
  return out
}
