/**
 * report.pdf: report.html printed by Chromium (browser.ts) with the page's own print stylesheet, A4,
 * backgrounds on (the verdict's colour). The page is opened from its file and may fetch nothing
 * else: any other request is aborted, so a PDF can never depend on the network.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { launchChromium } from './browser.ts'
import { esc } from './escape.ts'

/** `label` goes in every page's footer beside "page n / N", so a loose printed page still names its run. */
export async function printPdf(htmlFile: string, pdfFile: string, options: { label: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  const env = options.env ?? process.env
  const browser = await launchChromium(env)
  try {
    const page = await browser.newPage()
    const doc = pathToFileURL(path.resolve(htmlFile)).href
    await page.route('**/*', (route) => (route.request().url() === doc ? route.continue() : route.abort()))
    await page.goto(doc, { waitUntil: 'load' })
    await page.emulateMedia({ media: 'print' })
    await page.pdf({
      path: pdfFile,
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: `<div style="font: 8px sans-serif; color: #57606a; width: 100%; padding: 0 12mm; display: flex; justify-content: space-between"><span>${esc(options.label)}</span><span>page <span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`,
    })
  } finally {
    await browser.close()
  }
}
