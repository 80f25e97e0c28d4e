import type { ResolvedWriterOptions } from './writer-options.js'

export type Eol = '\n' | '\r\n'

/** The line ending of the first line break in `bytes`, or undefined when there is none. */
export function detectEol(bytes: Uint8Array): Eol | undefined {
  const lf = bytes.indexOf(0x0a)
  if (lf === -1) return undefined
  return lf > 0 && bytes[lf - 1] === 0x0d ? '\r\n' : '\n'
}

/**
 * Applies the `eol` and `finalNewline` options to string content. `existingEol` is the style
 * of the file on disk, used by `eol: 'auto'` (LF when the file is new or has no line break).
 */
export function normalizeText(text: string, options: Pick<ResolvedWriterOptions, 'eol' | 'finalNewline'>, existingEol: Eol | undefined): string {
  const eol: Eol | undefined = options.eol === 'lf' ? '\n' : options.eol === 'crlf' ? '\r\n' : options.eol === 'auto' ? (existingEol ?? '\n') : undefined
  let out = eol === undefined ? text : text.replace(/\r?\n/g, eol)
  if (options.finalNewline !== 'keep') {
    let end = out.length
    while (end > 0 && (out[end - 1] === '\n' || out[end - 1] === '\r')) end--
    out = out.slice(0, end)
    if (options.finalNewline === 'ensure') out += eol ?? (text.includes('\r\n') ? '\r\n' : '\n')
  }
  return out
}
