import type { SourceMap } from 'magic-string'
import { applyEdits as applyCoreEdits, type Edit } from '../core/edits.js'

export interface EditResult {
  /** The file's content after the edits. */
  code: string
  /** Maps `code` back to the content before the edits (source = the file itself). */
  map: SourceMap
  /** Whether the edits changed the content at all. */
  changed: boolean
}

/** The engine's edit rules (src/core/edits.ts), plus the source map the writer returns. */
export function applyEdits(rel: string, original: string, edits: readonly Edit[]): EditResult {
  const result = applyCoreEdits(rel, original, edits)
  return { code: result.code, changed: result.changed, map: result.map() }
}
