/**
 * Escaping for the XML reporters (junit.xml). Free text in a run (a `why`, a gate's detail, a
 * not-covered reason) comes from targets we do not control, so it may hold markup, quotes, `]]>` or
 * bytes XML 1.0 cannot carry at all; one bad character makes CI drop the whole file. Text is always
 * escaped, never wrapped in CDATA, so no sequence in it can end a section early.
 *
 * @example
 * ```ts
 * `<failure message="${xmlAttr(why)}">${xmlText(detail)}</failure>`
 * ```
 */

/**
 * Characters outside XML 1.0's `Char` production (C0 controls but tab, LF and CR; U+FFFE/U+FFFF;
 * lone surrogates), and the C1 controls it discourages. Not even `&#1;` may stand for them.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Shown as `\u001b` rather than dropped: a reader can still tell what the target sent. */
const visible = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

const TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' }
/** Quotes end the value; tab and line breaks would be normalised to spaces by any parser unless referenced. */
const ATTR: Record<string, string> = { ...TEXT, '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;' }

/** Element content. `>` too, so `]]>` never appears literally. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, visible).replace(/[&<>\r]/g, (c) => TEXT[c])
}

/** An attribute value, for either quote style. */
export function xmlAttr(text: string): string {
  return text.replace(NOT_XML, visible).replace(/[&<>\r"'\t\n]/g, (c) => ATTR[c])
}
