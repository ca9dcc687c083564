import { readFileSync } from 'node:fs'

/** The package version, read once: run.json and reports name the tool version that produced them. */
export const TOOL_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version
