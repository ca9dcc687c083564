/** The sign-off block: the unsigned-bundle warning, then one box per reviewer to fill in on paper. */
import { REVIEWERS, SIGN_OFF_FIELDS, UNSIGNED_NOTE } from '../../report-facts.ts'
import { esc, rich } from '../escape.ts'
import { sectionHtml, type HtmlSection } from '../section.ts'

export const signOffSection: HtmlSection = {
  id: 'sign-off',
  title: 'Sign-off',
  render() {
    const fields = [...SIGN_OFF_FIELDS, 'Signature']
    const signer = (n: number): string => `<div class="signer" data-signer="${n}"><strong>Reviewer ${n}</strong>${fields.map((f) => `<div class="field">${esc(f)}</div>`).join('')}</div>`
    const body = `<p class="note"><strong>${esc(UNSIGNED_NOTE.title)}</strong> ${rich(UNSIGNED_NOTE.body)}</p>\n<div class="signers">${Array.from({ length: REVIEWERS }, (_, i) => signer(i + 1)).join('')}</div>`
    return sectionHtml(this, body, 'signoff')
  },
}
