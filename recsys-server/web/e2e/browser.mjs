// Shared set-up of the browser journeys: Debian's Chromium driven by playwright-core (never a
// downloaded browser), one fresh context per journey, and the checks every page must pass: no
// request to any host but the server's own, no uncaught error, no console error, no breach of
// the server's Content-Security-Policy.
import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080'
export const SHOTS = process.env.SHOTS_DIR ?? new URL('./screenshots/', import.meta.url).pathname
mkdirSync(SHOTS, { recursive: true })

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** A new visitor (empty storage) with the page checks armed; `problems()` lists what went wrong. */
export async function visit(browser, { phone = false } = {}) {
  const context = await browser.newContext(
    phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
  )
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  const origin = new URL(BASE).origin
  const found = []
  page.on('request', (r) => {
    const url = r.url()
    if (!url.startsWith('data:') && new URL(url).origin !== origin) found.push(`request to another host: ${url}`)
  })
  page.on('pageerror', (e) => found.push(`uncaught error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[14]/.test(m.text())) found.push(`console error: ${m.text()}`)
  })
  page.on('dialog', (d) => void d.accept())
  // Chromium also logs a breach as a console error; this names the directive either way
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`),
    )
  })
  return { context, page, problems: () => found }
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })
}

/** The cards of the recommendation section titled `title`. */
export function row(page, title) {
  return page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) }).locator('article')
}

export async function signIn(page, email, password) {
  await page.goto(`${BASE}/login`)
  await page.getByLabel('E-mail').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${BASE}/`)
}

export const ADMIN = { email: 'admin@demo.recsys.dev', password: 'demo-admin-password' }
export const CUSTOMER = { email: 'customer1@demo.recsys.dev', password: 'demo-shopper' }
