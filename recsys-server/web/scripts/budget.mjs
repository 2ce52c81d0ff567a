// The production build's budget: the JavaScript that the first page load needs (the entry chunk
// and every chunk it imports statically, as index.html loads them) must stay under 250 KB
// gzipped. Lazy chunks (the admin dashboard and its charts) are listed but do not count.
// Run by `npm run build` after `vite build`; exits 1 over the budget.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'

const BUDGET = 250 * 1024
const dist = new URL('../dist/', import.meta.url).pathname
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'))

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
const kb = (n) => `${(n / 1024).toFixed(1)} KB`

const entry = Object.entries(manifest).find(([, c]) => c.isEntry)
if (!entry) throw new Error('no entry chunk in the manifest')
const initial = new Set()
const visit = (key) => {
  const chunk = manifest[key]
  if (!chunk || initial.has(chunk.file)) return
  initial.add(chunk.file)
  for (const dep of chunk.imports ?? []) visit(dep)
}
visit(entry[0])

let total = 0
console.log('initial JavaScript (gzipped):')
for (const file of initial) {
  if (!file.endsWith('.js')) continue
  const size = gz(file)
  total += size
  console.log(`  ${kb(size).padStart(9)}  ${file}`)
}
const css = (entry[1].css ?? []).reduce((n, f) => n + gz(f), 0)
console.log(`  total ${kb(total)} of ${kb(BUDGET)} (CSS ${kb(css)} more)`)
const lazy = Object.values(manifest).filter((c) => c.file.endsWith('.js') && !initial.has(c.file))
for (const c of lazy) console.log(`  lazy ${kb(gz(c.file)).padStart(9)}  ${c.file}`)
if (total > BUDGET) {
  console.error(`over the budget by ${kb(total - BUDGET)}`)
  process.exit(1)
}
