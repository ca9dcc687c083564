/**
 * The one place gatecrash starts a browser: the system's Chromium through playwright-core (which
 * downloads nothing), headless, for printing report.html to PDF and for the report's browser test.
 * Playwright's own browser builds are never installed; GATECRASH_CHROMIUM points at another
 * Chromium or Chrome executable. The flags keep Chromium from phoning home (component updates,
 * sync, background networking): on a closed network those connections are refused, and a report
 * must not cause traffic anyway. `--no-sandbox` because CI and these machines run as root.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { BrowserUnavailable } from '../../harness/contracts/errors.ts'

export const DEFAULT_CHROMIUM = '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const

const HINT = `install Chromium (Debian/Ubuntu: apt-get install chromium) or set GATECRASH_CHROMIUM to a Chromium or Chrome executable (default ${DEFAULT_CHROMIUM})`

/** The Chromium executable to use: GATECRASH_CHROMIUM, else Debian's. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.GATECRASH_CHROMIUM || DEFAULT_CHROMIUM
}

/** Throws BrowserUnavailable when there is no executable at the path, before any work that needs it. */
export function requireChromium(env: NodeJS.ProcessEnv = process.env): string {
  const exe = chromiumPath(env)
  if (!existsSync(exe)) throw new BrowserUnavailable(`no Chromium at ${exe}`, { hint: HINT })
  return exe
}

export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const executablePath = requireChromium(env)
  try {
    return await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: 60_000 })
  } catch (e) {
    // playwright's message carries the browser's own stderr, which says why it would not start
    throw new BrowserUnavailable(`Chromium at ${executablePath} did not start: ${(e as Error).message.split('\n').slice(0, 6).join(' ')}`, { cause: e, hint: HINT })
  }
}
