import { randomBytes } from 'node:crypto'

/** Unguessable identifier with a readable prefix, e.g. `agent_3Jf…`. */
export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`
}
