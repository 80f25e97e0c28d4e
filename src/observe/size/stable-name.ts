/**
 * The name of an output file without its content hash, so `assets/index-BXqL3yKm.js` in one build
 * and `assets/index-C_x-3aZq.js` in the next are recognised as the same file:
 * `assets/index-[hash].js`.
 *
 * Bundlers put the hash after `-` (Vite, Rolldown, Rollup, esbuild) or `.` (webpack, Rspack), as
 * 8 to 64 characters of `[A-Za-z0-9_-]` (base64url, base32 or hex). A token counts as a hash only
 * when it holds a digit or an upper-case letter: `my-component.js` keeps its name. A wrong guess
 * costs little: two files then compare as added and removed, as they would without matching.
 */
const HASH_CHARS = /^[A-Za-z0-9_-]{8,64}$/
const LOOKS_RANDOM = /[0-9A-Z]/

function isHash(token: string): boolean {
  return HASH_CHARS.test(token) && LOOKS_RANDOM.test(token)
}

/** A whole dot-separated part: a `-` inside is a name's (`a-1234567`) unless it is an 8-character base64url hash. */
function isPartHash(token: string): boolean {
  return isHash(token) && (!token.includes('-') || token.length === 8)
}

export const HASH_PLACEHOLDER = '[hash]'

/** The stem's `-<hash>` suffix: the shortest suffix after a `-` that is a hash (hashes may hold `-`). */
function stripDashHash(stem: string): string | undefined {
  for (let i = stem.length - 8; i > 0; i--) {
    if (stem[i - 1] !== '-') continue
    const token = stem.slice(i)
    if (isHash(token)) return `${stem.slice(0, i)}${HASH_PLACEHOLDER}`
    if (token.length > 64) return undefined
  }
  return undefined
}

export function stableName(file: string): string {
  const slash = file.lastIndexOf('/')
  const dir = file.slice(0, slash + 1)
  const parts = file.slice(slash + 1).split('.')
  if (parts.length < 2) return file
  // `name-<hash>.js`, `name-<hash>.js.map`: a suffix of the first part.
  const dashed = stripDashHash(parts[0]!)
  if (dashed !== undefined) {
    parts[0] = dashed
    return dir + parts.join('.')
  }
  // `<hash>.js`, `name.<hash>.js`, `name.<hash>.chunk.js`: a whole dot-separated part before the extension.
  const index = parts.slice(0, -1).findIndex(isPartHash)
  if (index < 0) return file
  parts[index] = HASH_PLACEHOLDER
  return dir + parts.join('.')
}
