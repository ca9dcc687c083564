/**
 * The JSON-lines audit sink: one JSON object per line, appended synchronously so a decision is on
 * disk before its response leaves (a crash loses no decision that was answered). The default sink,
 * and the store behind the paged log API (audit-http-api.ts).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { AuditRecord, AuditSink } from './audit-log.ts'

export class JsonlFile {
  readonly #fd: number

  /** `file` '-' writes to stdout. */
  constructor(file: string) {
    if (file === '-') this.#fd = 1
    else {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
      this.#fd = openSync(file, 'a')
    }
  }

  append(value: object): void {
    writeSync(this.#fd, JSON.stringify(value) + '\n')
  }

  close(): void {
    if (this.#fd !== 1) closeSync(this.#fd)
  }
}

export class JsonlSink implements AuditSink {
  readonly #file: JsonlFile

  constructor(file: string) {
    this.#file = new JsonlFile(file)
  }

  write(record: AuditRecord): void {
    this.#file.append(record)
  }

  async close(): Promise<void> {
    this.#file.close()
  }
}
