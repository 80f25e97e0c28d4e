import path from 'node:path'
import MagicString, { type SourceMap } from 'magic-string'
import { EmitOptimizerError } from '../errors.js'
import type { Edit } from '../core/transaction.js'

export interface EditResult {
  /** The file's content after the edits. */
  code: string
  /** Maps `code` back to the content before the edits (source = the file itself). */
  map: SourceMap
  /** Whether the edits changed the content at all. */
  changed: boolean
}

/**
 * Applies edits with magic-string, with the engine's rules (offsets refer to the original
 * content; a range outside it or a search without a match is EO_EDIT_FAILED), and keeps the
 * MagicString so the source map can be generated from the same edits.
 */
export function applyEdits(rel: string, original: string, edits: readonly Edit[]): EditResult {
  const s = new MagicString(original)
  const fail = (what: string): never => {
    throw new EmitOptimizerError('EO_EDIT_FAILED', `cannot edit "${rel}": ${what}. Check the edit against the file's current content.`, { path: rel })
  }
  for (const edit of edits) {
    if ('search' in edit) {
      const found = typeof edit.search === 'string' ? original.includes(edit.search) : new RegExp(edit.search.source, edit.search.flags.replace('g', '')).test(original)
      if (!found) fail(`${String(edit.search)} does not occur`)
      s.replace(edit.search, edit.replace)
    } else {
      if (!(Number.isInteger(edit.start) && Number.isInteger(edit.end) && edit.start >= 0 && edit.start <= edit.end && edit.end <= original.length)) {
        fail(`range [${edit.start}, ${edit.end}) is outside the file (length ${original.length})`)
      }
      if (edit.start === edit.end) s.appendLeft(edit.start, edit.content)
      else s.overwrite(edit.start, edit.end, edit.content)
    }
  }
  const code = s.toString()
  const name = path.posix.basename(rel)
  return { code, map: s.generateMap({ hires: true, source: name, file: name, includeContent: true }), changed: code !== original }
}
