import { hash } from 'node:crypto'

/** Content hash stored in the manifest (sha256, hex). */
export function hashContents(contents: Uint8Array): string {
  return hash('sha256', contents, 'hex')
}
