/**
 * report.html in a real browser: a READY and a NOT READY run against the reference target, each
 * with a short fault so the charts have windows to draw, opened from file:// in headless Chromium
 * (playwright-core driving the system's Chromium, reports/html/browser.ts). The page must make no
 * request besides its own document, log no error, show the verdict, every gate and every case,
 * every mapped control and every rebuilt transaction, fit its tables to the page, and draw its SVG
 * charts; `gatecrash report --pdf` must print it to a PDF whose text holds the
 * verdict and every gate. Full-page screenshots and the PDF's pages are kept under .tmp/artifacts/.
 *
 * Skips (saying why) where there is no Chromium, unless CI requires it
 * (GATECRASH_CI_REQUIRES=chromium, set by .ci/run, which installs it): then the file fails.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RUN_FILES } from '../../harness/run/run-dir.ts'
import { chromiumPath, launchChromium } from '../../reports/html/browser.ts'
import { runCli, scratchDir, shortScenario, writeScenario, type CliResult } from '../helpers/cli.ts'

const exe = chromiumPath()
const hasChromium = existsSync(exe)
if (!hasChromium && process.env.GATECRASH_CI_REQUIRES?.split(',').includes('chromium')) {
  throw new Error(`CI requires Chromium (GATECRASH_CI_REQUIRES=chromium) and there is none at ${exe}`)
}
if (!hasChromium) console.warn(`test/e2e/report-html.test.ts: skipped: no Chromium at ${exe}; \`apt-get install chromium\` (.ci/run does) or set GATECRASH_CHROMIUM`)

const ARTIFACTS = path.resolve('.tmp/artifacts')

/** The short e2e scenario with a 2 s latency fault on the replay store, so the run has a timeline and a window. */
const scenarioWithFault = (): string =>
  shortScenario("faults: [Fault.latency({ component: 'replay-store', ms: 100, at: '1s', for: '2s' })],")
    .replace("import { defineScenario } from 'gatecrash'", "import { defineScenario, Fault } from 'gatecrash'")
    .replace("duration: '4s'", "duration: '5s'")

let dir: string
let scenario: string
let browser: Browser

beforeAll(async () => {
  dir = await scratchDir()
  scenario = await writeScenario(dir, 'fault.ts', scenarioWithFault())
  await mkdir(ARTIFACTS, { recursive: true })
  if (hasChromium) browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
})

const run = (name: string, flaws: string[] = []): Promise<CliResult> => {
  const out = path.join(dir, name)
  return runCli(['run', scenario, '--target', 'reference', ...flaws.flatMap((f) => ['--flaw', f]), '--out', out], { outDir: out })
}

/** Opens the run's report.html from file:// and checks what a board relies on; returns the screenshot's path. */
async function checkPage(r: CliResult, name: string): Promise<string> {
  const file = path.join(r.runDir!, RUN_FILES.html)
  expect(r.runJson.files).toContain(RUN_FILES.html)
  const url = pathToFileURL(file).href
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const requests: string[] = []
  const problems: string[] = []
  page.on('request', (req) => requests.push(req.url()))
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  await page.goto(url, { waitUntil: 'load' })

  // the verdict, every gate and every case, found by data attribute
  const verdict = page.locator('[data-verdict].verdict')
  expect(await verdict.getAttribute('data-verdict')).toBe(r.runJson.verdict)
  expect(await verdict.locator('.word').textContent()).toBe({ ready: 'READY', 'not-ready': 'NOT READY', incomplete: 'INCOMPLETE' }[r.runJson.verdict as string])
  expect((await verdict.locator('[data-why]').textContent())!.length).toBeGreaterThan(10)
  const gates = await page.locator('[data-gate]').evaluateAll((els) => els.map((e) => e.getAttribute('data-gate')))
  expect(gates.sort()).toEqual(r.runJson.gates.map((g: any) => g.metric).sort())
  const cases = await page.locator('tr[data-case]').evaluateAll((els) => els.map((e) => e.getAttribute('data-case')))
  expect(cases.sort()).toEqual(r.runJson.cases.map((c: any) => c.id).sort())
  for (const g of r.runJson.gates.filter((g: any) => !g.ok)) {
    expect(await page.locator(`[data-gate="${g.metric}"]`).getAttribute('data-ok')).toBe('false')
  }

  // the control mapping: every framework's controls with their status, failed ones marked
  const controls = await page.locator('[data-section="controls"] tr[data-control]').evaluateAll((els) =>
    els.map((e) => `${e.getAttribute('data-framework')} ${e.getAttribute('data-control')} ${e.getAttribute('data-status')}${e.classList.contains('failed') ? ' marked' : ''}`))
  expect(r.runJson.controls.length).toBeGreaterThan(0)
  expect(controls).toEqual(r.runJson.controls.flatMap((f: any) => f.controls.map((c: any) => `${f.framework} ${c.id} ${c.status}${c.status === 'failed' ? ' marked' : ''}`)))
  // reconstructed transactions: a row per transaction by trace id, or the section says it is not covered
  const rec = r.runJson.reconstruction
  expect(rec).toBeDefined()
  const transactions = await page.locator('[data-section="reconstruction"] tr[data-transaction]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-transaction')} ${e.getAttribute('data-matched')}`))
  expect(transactions).toEqual(rec.transactions.map((t: any) => `${t.trace_id} ${t.matched}`))
  expect(await page.locator('[data-reconstruction-not-covered]').count()).toBe(rec.not_covered ? 1 : 0)
  // no table is cut at the page's edge (wide tables wrap instead of scrolling sideways)
  const scrolled = await page.locator('.table-wrap').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.closest('section')?.id))
  expect(scrolled).toEqual([])

  // the charts render: real boxes, the fault window drawn inside the timeline
  for (const chart of ['timeline', 'latency']) {
    const box = await page.locator(`svg[data-chart="${chart}"]`).boundingBox()
    expect(box, chart).not.toBeNull()
    expect(box!.width, chart).toBeGreaterThan(300)
    expect(box!.height, chart).toBeGreaterThan(100)
  }
  const window = await page.locator('svg[data-chart="timeline"] rect.fault-window').first().boundingBox()
  expect(window!.width).toBeGreaterThan(0)
  expect(window!.height).toBeGreaterThan(0)

  const shot = path.join(ARTIFACTS, `report-html-${name}.png`)
  await page.screenshot({ path: shot, fullPage: true })
  await page.close()
  // nothing but the document itself: no script, style, font or image fetched, from anywhere
  expect(requests).toEqual([url])
  expect(problems).toEqual([])
  console.log(`report.html screenshot: ${shot}`)
  return shot
}

describe.skipIf(!hasChromium)('report.html in headless Chromium', () => {
  let notReady: CliResult

  it('READY run: opened from file://, no request, no error; verdict, gates, cases, controls, transactions and charts are there', async () => {
    const r = await run('ready')
    expect(r.code, r.stderr).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    expect(r.runJson.faults.length).toBe(1)
    await checkPage(r, 'ready')
  })

  it('NOT READY run (flaw replay-cache-off): the failed gates are marked, the page stays quiet', async () => {
    notReady = await run('not-ready', ['replay-cache-off'])
    expect(notReady.code, notReady.stderr).toBe(99)
    expect(notReady.runJson.verdict).toBe('not-ready')
    await checkPage(notReady, 'not-ready')
  })

  it('gatecrash report <run-dir> --pdf prints report.html to report.pdf: its text holds the verdict and every gate', async () => {
    expect(notReady, 'needs the NOT READY run').toBeDefined()
    const r = await runCli(['report', notReady.runDir!, '--pdf'])
    expect(r.code, r.stderr).toBe(99)
    const pdf = path.join(notReady.runDir!, RUN_FILES.pdf)
    expect(existsSync(pdf)).toBe(true)
    const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' })
    expect(info.status, info.stderr).toBe(0)
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info.stdout)?.[1])
    expect(pages).toBeGreaterThanOrEqual(2)
    expect(pages).toBeLessThan(30)
    // -raw: text in the order Chromium drew it, so a table cell's wrapped lines stay together
    const text = spawnSync('pdftotext', ['-raw', pdf, '-'], { encoding: 'utf8' }).stdout
    expect(text).toContain('NOT READY')
    // a long metric may wrap across lines on the page: compare without whitespace
    const squeezed = text.replace(/\s+/g, '')
    const regraded = JSON.parse(await readFile(path.join(notReady.runDir!, RUN_FILES.runJson), 'utf8'))
    for (const g of regraded.gates as { metric: string }[]) expect(squeezed, g.metric).toContain(g.metric.replace(/\s+/g, ''))
    // the re-grade lists the PDF among the run's files
    expect(regraded.files).toContain(RUN_FILES.pdf)
    // the pages as images, to look at beside the screenshots
    spawnSync('pdftoppm', ['-png', '-r', '50', pdf, path.join(ARTIFACTS, 'report-pdf-page')])
    const pngs = (await readdir(ARTIFACTS)).filter((f) => f.startsWith('report-pdf-page'))
    expect(pngs.length).toBeGreaterThanOrEqual(pages)
    console.log(`report.pdf (${pages} pages): ${pdf}; pages as PNG in ${ARTIFACTS}`)
  })
})

describe('gatecrash report --pdf without a browser', () => {
  it('names the missing Chromium with a coded error and a hint, before re-grading anything', async () => {
    const out = path.join(dir, 'no-browser')
    const made = await runCli(['run', scenario, '--target', 'reference', '--out', out], { outDir: out })
    expect(made.code, made.stderr).toBe(0)
    const r = await runCli(['report', made.runDir!, '--pdf'], { env: { GATECRASH_CHROMIUM: path.join(dir, 'no-such-chromium') } })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('error ERR_BROWSER_UNAVAILABLE: no Chromium at')
    expect(r.stderr).toMatch(/hint: .*GATECRASH_CHROMIUM/)
    expect(existsSync(path.join(made.runDir!, RUN_FILES.pdf))).toBe(false)
  })
})
