/**
 * report.html's stylesheet, inlined so the file needs nothing beside it. System fonts only (no web
 * font is fetched). Light backgrounds throughout, so the page prints as it shows; in print, headings
 * stay with what follows them, table rows and charts are not split across pages, table heads repeat,
 * and wide tables wrap their long ids instead of being cut at the page edge.
 */
export const STYLE = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --ok: #1a7f37; --ok-bg: #e9f6ec; --bad: #b42318; --bad-bg: #fdecea;
  --warn: #9a6700; --warn-bg: #fff5d6; --code-bg: #f3f4f6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 15px; font-weight: 600; color: var(--muted); margin: 0 0 8px; letter-spacing: .02em; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
p { margin: 6px 0; }
code { font: 12.5px/1.3 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
  background: var(--code-bg); padding: 0 3px; border-radius: 3px; overflow-wrap: break-word; }
.muted { color: var(--muted); }
nav.toc { font-size: 13px; margin: 14px 0 0; color: var(--muted); display: flex; flex-wrap: wrap; gap: 2px 12px; }
nav.toc a { color: inherit; white-space: nowrap; }

.verdict { border: 3px solid; border-radius: 8px; padding: 18px 22px; margin: 4px 0 14px; }
.verdict-ready { border-color: var(--ok); background: var(--ok-bg); }
.verdict-not-ready { border-color: var(--bad); background: var(--bad-bg); }
.verdict-incomplete { border-color: var(--warn); background: var(--warn-bg); }
.verdict .word { font-size: 44px; font-weight: 800; letter-spacing: .04em; line-height: 1.05; }
.verdict-ready .word { color: var(--ok); }
.verdict-not-ready .word { color: var(--bad); }
.verdict-incomplete .word { color: var(--warn); }
.verdict .why { font-size: 17px; margin-top: 8px; }
.verdict .subject { margin-top: 6px; color: var(--muted); }
.note { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 8px 12px; margin: 8px 0; }
.note.bad { border-color: var(--bad); background: var(--bad-bg); }
.note.ok { border-color: var(--ok); background: var(--ok-bg); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 10px 0; font-size: 13px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: break-word; min-width: 0; }

.table-wrap { overflow-x: auto; margin: 8px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
code.nowrap { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: var(--bad-bg); }
.mark { display: inline-block; min-width: 1.4em; text-align: center; font-weight: 700; border-radius: 3px; }
.mark-ok { color: var(--ok); }
.mark-bad { color: #fff; background: var(--bad); }
.mark-warn { color: var(--warn); }
.mark-none { color: var(--muted); }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid var(--line); white-space: nowrap; }
.badge-pass { color: var(--ok); border-color: var(--ok); }
.badge-warn, .badge-not-covered, .badge-error { color: var(--warn); border-color: var(--warn); }
.badge-breach, .badge-unrecorded, .badge-misattributed, .badge-false-deny { color: var(--bad); border-color: var(--bad); }
.badge-held { color: var(--ok); border-color: var(--ok); }
.badge-failed { color: #fff; background: var(--bad); border-color: var(--bad); }
.badge-not-exercised { color: var(--muted); }
tr.idle td { color: var(--muted); }
.ev-failed { color: var(--bad); font-weight: 600; }
.ev-warn { color: var(--warn); font-weight: 600; }
.ev-held { color: var(--ok); }
table.gates td:nth-child(2) { min-width: 17em; }
table.controls td:nth-child(2) { min-width: 8em; }
table.controls td:nth-child(3) { min-width: 14em; }
table.transactions th { white-space: normal; }
table.transactions td:nth-child(3) { min-width: 15em; }
table.transactions td:nth-child(4) { min-width: 19em; }
table.small { width: auto; }
h3 .edition { font-weight: 400; color: var(--muted); }
p.lead { margin-top: 10px; font-weight: 600; }
ul.controls-missing { columns: 2; column-gap: 28px; margin: 4px 0 12px; padding-left: 20px; font-size: 13px; }
ul.controls-missing li { break-inside: avoid; margin: 1px 0; }
ol.hops { margin: 0; padding-left: 1.3em; }
ol.hops li { margin: 0 0 2px; }
.chain { white-space: normal; }
.same { color: var(--ok); }
code.hash, code.nowrap { white-space: nowrap; }
table.matrix td:nth-child(2) { min-width: 11em; }
ul.examples { margin: 4px 0 12px; padding-left: 20px; }
ul.examples li { margin: 2px 0; overflow-wrap: break-word; }

figure.chart { margin: 10px 0 16px; }
figure.chart svg { display: block; max-width: 100%; height: auto; font-family: system-ui, "Liberation Sans", Arial, sans-serif; }
svg .grid { stroke: #e3e6ea; stroke-width: 1; }
svg .axis { stroke: #57606a; stroke-width: 1; }
svg .tick { font-size: 11px; fill: #57606a; }
svg .axis-label, svg .legend { font-size: 12px; fill: #1b1f24; }
svg .panel-title { font-size: 13px; font-weight: 600; fill: #1b1f24; }
svg .series { stroke-width: 2; }
svg .dashed { stroke-dasharray: 6 3; }
svg .fault-label { font-size: 11px; font-weight: 700; fill: #8a5a00; }
svg .breach { font-size: 15px; font-weight: 700; }
svg .value { font-size: 10.5px; fill: #1b1f24; }
svg .gate-line { stroke-width: 2; stroke-dasharray: 3 2; }
svg .gate-label { font-size: 10px; fill: #b42318; }

.signers { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; margin-top: 12px; }
.signer { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; break-inside: avoid; }
.signer .field { margin: 18px 0 0; border-bottom: 1px solid #8c959f; font-size: 12px; color: var(--muted); padding-bottom: 2px; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }

@media (max-width: 760px) { ul.controls-missing { columns: 1; } .signers { grid-template-columns: 1fr; } .verdict .word { font-size: 34px; } }

@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 22px; }
  h3 { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  thead { display: table-header-group; }
  tr, figure.chart, .note, .verdict, dl.facts, .keep, table.small { break-inside: avoid; page-break-inside: avoid; }
  /* a table or chart does not start a page alone, leaving its heading and intro behind */
  section > p, section > h3 { break-after: avoid; page-break-after: avoid; }
  .table-wrap, figure.chart { break-before: avoid; page-break-before: avoid; }
  section.signoff { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
}
`
