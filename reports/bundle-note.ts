/**
 * The report's signature note, in the Sign-off section a board reads before it signs: unsigned
 * until `gatecrash bundle sign` replaces it, just before taking digests, with who signed (an
 * organisation key, or a self-signed key that proves nothing about who ran the run). The markers
 * let a re-sign (--force) replace the note rather than stack a second one.
 */
export const NOTE_START = '<!-- gatecrash:bundle -->'
export const NOTE_END = '<!-- /gatecrash:bundle -->'

export interface SignedNoteInput {
  selfSigned: boolean
  keyid: string
  keyType: 'ed25519' | 'ecdsa-p256'
  created: string
  envelope: string
  publicKey: string
}

const KEY_TYPE = { ed25519: 'Ed25519', 'ecdsa-p256': 'ECDSA P-256' } as const

export function unsignedNote(): string[] {
  return [
    NOTE_START,
    '> **Unsigned bundle.** Nothing in this run directory proves these files are the ones the run wrote until it is signed: `gatecrash bundle sign <run-dir> --key <organisation key>`, checked with `gatecrash verify` (docs/bundle.md). Until then keep it under your own integrity controls.',
    NOTE_END,
  ]
}

export function signedNote(s: SignedNoteInput): string[] {
  const key = `${KEY_TYPE[s.keyType]} key \`${s.keyid}\``
  const text = s.selfSigned
    ? `> **Self-signed bundle.** Every file of this run directory, this report included, was signed on ${s.created} into \`${s.envelope}\` with an ${key} generated for it alone; its public half is \`${s.publicKey}\`. **This proves nothing about who ran the run or signed it**: whoever edits the files can sign them again with a new key. It shows only that the files are unchanged since signing, to someone who kept that public key from then. Sign with an organisation key (\`gatecrash bundle sign --key\`) for a bundle that says who vouches for it.`
    : `> **Signed bundle.** Every file of this run directory, this report included, was signed on ${s.created} into \`${s.envelope}\` with the organisation's ${key}. \`gatecrash verify <run-dir> --key <the organisation's public key>\` checks it: a file changed, removed or added, or another signer, fails (docs/bundle.md).`
  return [NOTE_START, text, NOTE_END]
}

/** The report with its signature note replaced (or, in a report from before the note, added to the Sign-off section). */
export function withNote(markdown: string, note: string[]): string {
  const start = markdown.indexOf(NOTE_START)
  const end = markdown.indexOf(NOTE_END, start)
  if (start >= 0 && end > start) return markdown.slice(0, start) + note.join('\n') + markdown.slice(end + NOTE_END.length)
  // a report rendered before the markers: its one-line unsigned note
  const legacy = /^> \*\*Unsigned bundle\.\*\*.*$/m
  if (legacy.test(markdown)) return markdown.replace(legacy, () => note.join('\n'))
  const signOff = markdown.indexOf('## Sign-off\n')
  if (signOff >= 0) {
    const at = signOff + '## Sign-off\n'.length
    return `${markdown.slice(0, at)}\n${note.join('\n')}\n${markdown.slice(at)}`
  }
  return `${markdown.replace(/\n*$/, '\n')}\n${note.join('\n')}\n`
}
