// The browser journeys of scripts/check-web.sh: the real server on SQLite with the demo shop,
// its built pages, and Debian's Chromium. Each journey saves screenshots in e2e/screenshots/.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { deflateSync } from 'node:zlib'
import { ADMIN, BASE, CUSTOMER, launch, row, shot, signIn, visit } from './browser.mjs'

let browser
before(async () => {
  browser = await launch()
})
after(async () => {
  await browser?.close()
})

/** The next product listing whose query has `part`, answered. */
function listing(page, part) {
  return page.waitForResponse((r) => r.url().includes('/api/v1/products?') && r.url().includes(part))
}

/** Waits until no list on the page is loading or refreshing. */
async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('main [aria-busy=true], main [role=status] .loading'))
}

async function journey(options, body) {
  const v = await visit(browser, options)
  try {
    await body(v.page)
    assert.deepEqual(v.problems(), [], 'the pages requested only the server and logged no error')
  } finally {
    await v.context.close()
  }
}

test('a visitor browses the catalog, searches, opens a product and sees similar items', () =>
  journey({}, async (page) => {
    const first = await page.goto(BASE)
    const policy = first.headers()['content-security-policy'] ?? ''
    assert.match(policy, /script-src 'self'/, 'the pages are served with a content security policy')
    assert.match(policy, /frame-ancestors 'none'/)
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/)
    const popular = row(page, 'Popular right now')
    await popular.first().waitFor()
    assert.ok((await popular.count()) >= 5, 'the home page shows popular products')
    await shot(page, 'home-visitor')

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click()
    const count = page.getByTestId('result-count')
    await count.waitFor()
    assert.match(await count.innerText(), /1,682 products/)
    let listed = listing(page, 'category=')
    await page.getByRole('button', { name: 'Comedy', exact: true }).click()
    await listed
    await page.getByRole('heading', { name: 'Comedy', level: 1 }).waitFor()
    await settled(page)
    const comedies = Number((await count.innerText()).replace(/\D/g, ''))
    assert.ok(comedies > 0 && comedies < 1682, `a category narrows the list (${comedies})`)
    listed = listing(page, 'in_stock=true')
    // the box follows the URL, which changes a moment after the click
    await page.getByLabel('In stock only').click()
    await listed
    await page.getByRole('checkbox', { name: 'In stock only', checked: true }).waitFor()
    listed = listing(page, 'sort=price_asc')
    await page.getByLabel('Sort by').selectOption('price_asc')
    await listed
    await settled(page)
    const prices = await page.locator('main article .font-semibold').allInnerTexts()
    const cents = prices.map((p) => Number(p.replace(/[^0-9]/g, '')))
    assert.ok(cents.length > 1 && cents.every((c, i) => i === 0 || cents[i - 1] <= c), `sorted by price: ${prices.join(', ')}`)
    assert.equal(await page.getByText('sold out').count(), 0, 'in stock only')
    await shot(page, 'catalog')

    // search as you type, then pick with the keyboard
    const box = page.getByRole('combobox', { name: 'Search products' })
    await box.fill('star wa')
    await page.getByRole('option', { name: /Star Wars/ }).waitFor()
    await shot(page, 'search-as-you-type')
    await box.press('ArrowDown')
    await box.press('Enter')
    await page.getByRole('heading', { name: 'Star Wars', level: 1 }).waitFor()
    const similar = row(page, 'Similar items')
    await similar.first().waitFor()
    assert.ok((await similar.count()) >= 5, 'the product page shows similar items')
    await row(page, 'Bought together').first().waitFor()
    await shot(page, 'product')

    // a visitor's click on a recommendation is counted for its list
    const counted = page.waitForResponse((r) => r.url().endsWith('/api/v1/products/recommendations/clicks'))
    const name = await similar.first().getByRole('link').innerText()
    await similar.first().getByRole('link').click()
    assert.equal((await counted).status(), 204)
    await page.getByRole('heading', { name, level: 1 }).waitFor()

    // the home page now starts from what this visitor looked at
    await page.goto(BASE)
    await row(page, 'Picked from what you looked at').first().waitFor()
  }))

test('a customer registers, fills the cart, checks out and finds the order', () =>
  journey({}, async (page) => {
    const email = `shopper-${Date.now()}@example.com`
    await page.goto(`${BASE}/register`)
    await page.getByLabel('Name').fill('Test Shopper')
    await page.getByLabel('E-mail').fill(email)
    await page.getByLabel('Password').fill('a long enough password')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Welcome back, Test Shopper' }).waitFor()
    await row(page, 'Recommended for you').first().waitFor()

    for (const title of ['Toy Story', 'Fargo']) {
      await page.getByRole('combobox', { name: 'Search products' }).fill(title)
      await page.getByRole('option', { name: new RegExp(`^${title}`) }).first().click()
      await page.getByRole('heading', { name: title, level: 1 }).waitFor()
      const added = page.waitForResponse((r) => r.url().includes('/api/v1/cart/items/') && r.request().method() === 'PUT')
      await page.getByRole('button', { name: 'Add to cart' }).click()
      assert.equal((await added).status(), 200)
    }
    await page.getByTestId('cart-count').filter({ hasText: /^2$/ }).waitFor()

    await page.getByRole('link', { name: /Cart, 2 items/ }).click()
    await page.getByRole('heading', { name: 'Your cart' }).waitFor()
    const total = await page.getByTestId('cart-total').innerText()
    await shot(page, 'cart')
    await page.getByRole('button', { name: 'Place order' }).click()
    await page.getByText('Your order is placed').waitFor()
    assert.equal(await page.getByTestId('order-total').innerText(), total)
    const heading = await page.getByRole('heading', { level: 1 }).innerText()
    await shot(page, 'order')
    await page.getByTestId('cart-count').filter({ hasText: /^0$/ }).waitFor()

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders', exact: true }).click()
    await page.getByRole('link', { name: heading }).waitFor()

    // an expired access token is renewed silently with the refresh token
    const before = await page.evaluate(() => JSON.parse(localStorage.getItem('recsys.session')))
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('recsys.session'))
      localStorage.setItem('recsys.session', JSON.stringify({ ...s, accessToken: 'expired.token.value' }))
    })
    await page.reload()
    await page.getByRole('link', { name: heading }).waitFor()
    const renewed = await page.evaluate(() => JSON.parse(localStorage.getItem('recsys.session')))
    assert.notEqual(renewed.accessToken, 'expired.token.value')
    assert.notEqual(renewed.refreshToken, before.refreshToken, 'the refresh token rotates')

    await page.getByRole('button', { name: 'Account menu' }).click()
    await page.getByRole('menuitem', { name: 'Sign out' }).click()
    await page.getByRole('link', { name: 'Sign in' }).waitFor()
    assert.equal(await page.evaluate(() => localStorage.getItem('recsys.session')), null)
  }))

test('an admin sees the charts, trains a model, watches it finish and activates a version', () =>
  journey({}, async (page) => {
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click()
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
    for (const chart of ['Daily active users', 'Orders and revenue', 'Top products (units sold)']) {
      const figure = page.locator(`figure[data-chart="${chart}"]`)
      await figure.locator('svg.recharts-surface').first().waitFor()
      const marks = await figure.locator('.recharts-line-curve, .recharts-bar-rectangle').count()
      assert.ok(marks > 0, `${chart} draws its data`)
    }
    await shot(page, 'dashboard')

    await page.getByRole('link', { name: 'Training' }).click()
    await page.getByLabel('Model', { exact: true }).selectOption('hybrid')
    const queued = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/ml/train'))
    await page.getByRole('button', { name: 'Start training' }).click()
    const run = await (await queued).json()
    const row = page.locator(`tr[data-run="${run.id}"]`)
    await row.waitFor()
    await page.locator(`tr[data-run="${run.id}"][data-status="succeeded"]`).waitFor({ timeout: 120_000 })
    await shot(page, 'training')

    await page.getByRole('link', { name: 'Versions' }).click()
    const hybrid = page.locator('section[data-model="hybrid"]')
    await hybrid.locator('tr[data-version]').nth(1).waitFor()
    const inactive = hybrid.locator('tr[data-version]', { has: page.getByRole('button', { name: 'Activate' }) }).first()
    const version = await inactive.getAttribute('data-version')
    await inactive.getByRole('button', { name: 'Activate' }).click()
    await hybrid.locator(`tr[data-version="${version}"]`).getByText('active', { exact: true }).waitFor()
    await shot(page, 'models')

    // the storefront is served by the version just activated
    const list = await page.evaluate(async () => (await fetch('/api/v1/products/recommendations')).json())
    assert.equal(list.model_version, `hybrid@v${version}`)

    await page.getByRole('link', { name: 'Segments' }).click()
    await page.getByRole('button', { name: 'Segment the customers' }).click()
    await page.locator('figure[data-chart="Customers per segment"] .recharts-bar-rectangle').first().waitFor({ timeout: 60_000 })
    await shot(page, 'segments')

    for (const [link, heading] of [
      ['Recommendation quality', 'Recommendation quality'],
      ['Experiments', 'Experiments'],
      ['Search', 'Search analytics'],
      ['Products', 'Products'],
      ['Categories', 'Categories'],
      ['Orders', 'Orders'],
      ['Users', 'Users'],
      ['Audit log', 'Audit log'],
    ]) {
      await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: link, exact: true }).click()
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
      await settled(page)
      assert.equal(await page.locator('main [role=alert]').count(), 0, `${heading} loads without an error`)
    }
    await page.getByText('ml.activate').first().waitFor()
    await shot(page, 'audit')
  }))

test('an admin makes a service API key, the shop uses it, sets a password for a customer it sent, and revokes the key', () =>
  journey({}, async (page) => {
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.goto(`${BASE}/admin/api-keys`)
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor()
    await page.getByLabel("New key's name").fill('storefront sync')
    await page.getByRole('checkbox', { name: 'export:read' }).check()
    await page.getByRole('button', { name: 'Make key' }).click()
    const key = (await page.getByTestId('new-key').innerText()).trim()
    assert.match(key, /^rk_[0-9a-f]{40}$/)
    const row = page.locator('tr[data-key]', { hasText: 'storefront sync' })
    await row.getByText('active', { exact: true }).waitFor()
    assert.match(await row.innerText(), /catalog:write events:write recommend:read export:read/)
    await shot(page, 'api-keys')

    // the shop's server calls with it, in its own ids
    const call = (path) => fetch(`${BASE}${path}`, { headers: { 'x-api-key': key } })
    const list = await call('/api/v1/service/users/shop-user-1/recommendations?n=5')
    assert.equal(list.status, 200)
    const body = await list.json()
    assert.equal(body.items.length, 5)
    assert.ok(body.items.every((i) => typeof i.sku === 'string'), 'items by sku')

    // a customer the shop sent has no password: an admin gives them one, and they can sign in
    const sent = await fetch(`${BASE}/api/v1/service/customers`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify([{ external_id: 'shop-c-1', email: 'sent.by.shop@example.com', name: 'Sent by the shop' }]),
    })
    assert.equal(sent.status, 200)
    const login = () =>
      fetch(`${BASE}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'sent.by.shop@example.com', password: 'a new password' }),
      })
    assert.equal((await login()).status, 401, 'no password yet')
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Users', exact: true }).click()
    await page.getByLabel('Filter by e-mail').fill('sent.by.shop')
    const user = page.locator('tr[data-user]', { hasText: 'sent.by.shop@example.com' })
    await user.getByText('shop-c-1').waitFor()
    await user.getByText('none', { exact: true }).waitFor()
    await user.getByRole('button', { name: 'Set password' }).click()
    await user.getByLabel('New password of sent.by.shop@example.com').fill('a new password')
    await user.getByRole('button', { name: 'Save' }).click()
    await user.getByRole('button', { name: 'Reset' }).waitFor()
    assert.equal((await login()).status, 200, 'signs in with the password the admin set')
    await shot(page, 'users-password')

    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'API keys', exact: true }).click()
    await row.getByRole('button', { name: 'Revoke' }).click()
    await row.getByText('revoked', { exact: true }).waitFor()
    const refused = await call('/api/v1/service/users/shop-user-1/recommendations')
    assert.equal(refused.status, 401)
    assert.match((await refused.json()).detail, /was revoked/)
  }))

test('a customer cannot open the dashboard', () =>
  journey({}, async (page) => {
    await signIn(page, CUSTOMER.email, CUSTOMER.password)
    await row(page, 'Recommended for you').first().waitFor()
    await row(page, /^Because you bought /).first().waitFor()
    await shot(page, 'home-customer')
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).count(), 0)
    await page.goto(`${BASE}/admin/models`)
    await page.getByText('The dashboard is for shop admins only.').waitFor()
    assert.equal(new URL(page.url()).pathname, '/')
    await shot(page, 'dashboard-refused')
  }))

test('on a phone-sized screen the pages fit the width, for a visitor and an admin', () =>
  journey({ phone: true }, async (page) => {
    const fits = async (path, ready) => {
      await page.goto(`${BASE}${path}`)
      await ready().waitFor()
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 1, `${path} is ${overflow}px wider than the screen`)
    }
    const card = () => page.locator('main article').first()
    for (const path of ['/', '/catalog', '/products/50']) await fits(path, card)
    await shot(page, 'phone-product')
    await signIn(page, ADMIN.email, ADMIN.password)
    for (const path of ['/', '/cart', '/orders']) await fits(path, () => page.locator('main h1').first())
    await fits('/admin', () => page.locator('figure svg.recharts-surface').first())
    await shot(page, 'phone-dashboard')
    // the links the header has no room for are in the menu
    await page.getByRole('button', { name: 'Account menu' }).click()
    await page.getByRole('menuitem', { name: 'Dashboard' }).click()
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
  }))

/** A real `size` x `size` PNG of one colour, with a text chunk that must not survive the upload. */
function png(size, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (bytes) => {
    let c = 0xffffffff
    for (const x of bytes) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (kind, data) => {
    const head = Buffer.alloc(4)
    head.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(kind, 'latin1'), data])
    const tail = Buffer.alloc(4)
    tail.writeUInt32BE(crc(body))
    return Buffer.concat([head, body, tail])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const rows = Buffer.concat(Array.from({ length: size }, () => Buffer.from([0, ...Array.from({ length: size }, () => [r, g, b]).flat()])))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from('Comment\0shot at 52.09N 5.12E', 'latin1')),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

test('an admin uploads a product picture; the storefront shows it, without its metadata', () =>
  journey({}, async (page) => {
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.goto(`${BASE}/admin/products`)
    await page.getByRole('heading', { name: 'Products', level: 1 }).waitFor()
    await page.getByLabel('Filter products').fill('Toy Story')
    const name = 'Toy Story'
    // the file input is hidden behind its Upload button (a label): found by its own name
    const input = page.locator(`input[type=file][aria-label="Picture of ${name}"]`)
    await input.waitFor({ state: 'attached' })
    const stored = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/images') && r.request().method() === 'POST')
    await input.setInputFiles({ name: 'toy-story.png', mimeType: 'image/png', buffer: png(64, [220, 120, 40]) })
    const answer = await (await stored).json()
    assert.match(answer.url, /^\/images\/[0-9a-f]{64}\.png$/)
    assert.ok(answer.removed_bytes > 0, 'the text chunk was left out')
    const thumb = page.locator('tr', { hasText: name }).getByRole('img', { name, exact: true })
    await thumb.waitFor()
    await shot(page, 'admin-product-picture')

    // the stored file has no metadata; the storefront's card and page show the picture, decoded
    const served = Buffer.from(await (await fetch(`${BASE}${answer.url}`)).arrayBuffer())
    assert.ok(!served.includes(Buffer.from('52.09N')), 'no text chunk in the served picture')
    await page.goto(`${BASE}/catalog?q=Toy%20Story`)
    const card = page.locator('main article', { hasText: name }).getByRole('img', { name, exact: true })
    await card.waitFor()
    await page.goto(`${BASE}/products/1`)
    const picture = page.locator('main').getByRole('img', { name, exact: true })
    await picture.waitFor()
    await page.waitForFunction((alt) => [...document.querySelectorAll('main img')].some((i) => i.alt === alt && i.complete && i.naturalWidth === 64), name)
    await shot(page, 'product-picture')
    // a product without a picture shows the neutral placeholder
    await page.goto(`${BASE}/catalog`)
    await page.getByTestId('no-picture').first().waitFor()
  }))
