import os from 'node:os'
import path from 'node:path'
import { EmitOptimizerError, errnoCode } from '../errors.js'
import { type EngineFs, lstatOrUndefined, nodeFs } from './fs.js'

/** NAME_MAX of ext4, APFS, NTFS (in UTF-16 units, but bytes are the stricter bound). */
const MAX_COMPONENT_BYTES = 255
/** PATH_MAX on Linux. */
const MAX_PATH_BYTES = 4096
/** Linux gives up after 40 links (MAXSYMLINKS); following dangling links by hand stops there too. */
const MAX_LINKS = 40

// `/x`, `//x`, `\x`, `\\server\x` and drive paths; `C:x` too, which is drive-relative on Windows.
const ABSOLUTE = /^(?:[/\\]|[A-Za-z]:)/
// NUL truncates the name in C APIs; the other C0 characters (newline, ESC, …) corrupt logs and terminals.
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f]/
// Slashes, plus the slash look-alikes NFKC leaves alone: ⁄ U+2044, ∕ U+2215, ⧵ U+29F5, ⧸ U+29F8, ⧹ U+29F9.
const SEPARATOR = /[/\\\u2044\u2215\u29f5\u29f8\u29f9]/

// What bundlers emit almost always: ASCII name characters and single slashes. Such a path is
// already normal unless it has a `.`/`..` segment or an over-long one; checking that with three
// regexes instead of the full walk below matters at thousands of files per build.
const PLAIN = /^[\w.@+~=,$-]+(?:\/[\w.@+~=,$-]+)*$/
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/
const LONG_SEGMENT = /[^/]{256}/

/** Normalises an output path given by a bundler/user to a POSIX path relative to outDir, or throws EO_PATH_ESCAPE. */
export function normalizeOutputPath(input: string, outDir: string): string {
  if (input.length <= MAX_PATH_BYTES && PLAIN.test(input) && !DOT_SEGMENT.test(input) && !LONG_SEGMENT.test(input)) return input
  // JSON.stringify makes NUL, newlines and lone surrogates visible in the message.
  const where = `${JSON.stringify(input)} (outDir: ${outDir})`
  const escape = (fix: string) => new EmitOptimizerError('EO_PATH_ESCAPE', `path escapes outDir: ${where}. ${fix}`, { path: input })
  const tooLong = (what: string) =>
    new EmitOptimizerError('EO_NAME_TOO_LONG', `output path too long: ${where}. ${what}; shorten the file name or the directory depth.`, { path: input })

  if (input === '') throw escape('Emit a file name relative to outDir, e.g. "assets/index.js".')
  if (CONTROL.test(input)) throw escape('Remove the control character (NUL, newline, …) from the file name.')
  if (ABSOLUTE.test(input)) throw escape('Emit a path relative to outDir, e.g. "assets/index.js", not an absolute one.')
  // Legal in POSIX names, but `..\x` escapes on Windows and no bundler emits a backslash.
  if (input.includes('\\')) throw escape('Use "/" as the separator; backslashes are rejected.')
  if (input.endsWith('/')) throw escape('Name a file, not a directory: drop the trailing "/".')

  const parts = input.split('/').filter((part) => part !== '' && part !== '.')
  // Even `a/../b`, which stays inside: bundlers never produce it and one simple rule is easier to trust.
  if (parts.includes('..')) throw escape('Remove the ".." segment; output paths must stay inside outDir.')
  if (parts.length === 0) throw escape('Name a file inside outDir, not outDir itself.')

  for (const part of parts) {
    // Tools that NFKC-normalise names (some archivers, servers, URL handlers) would turn these into
    // path operators, and the rest fool a human reading a listing.
    const folded = part.normalize('NFKC')
    if (folded === '.' || folded === '..' || SEPARATOR.test(folded)) {
      throw escape(`Rename the segment ${JSON.stringify(part)}: it is a look-alike of ".", ".." or a slash (NFKC form ${JSON.stringify(folded)}).`)
    }
    const bytes = Buffer.byteLength(part)
    if (bytes > MAX_COMPONENT_BYTES) throw tooLong(`The segment ${JSON.stringify(part)} is ${bytes} bytes (UTF-8), the limit is ${MAX_COMPONENT_BYTES}`)
  }

  const result = parts.join('/')
  const bytes = Buffer.byteLength(result)
  if (bytes > MAX_PATH_BYTES) throw tooLong(`It is ${bytes} bytes (UTF-8), the limit is ${MAX_PATH_BYTES}`)
  return result
}

/**
 * Throws EO_DANGEROUS_OUTDIR when outDir is unsafe to delete from / swap: the filesystem root,
 * os.homedir() (or an ancestor of it), the project root, an ancestor of the project root, or a
 * directory that directly contains a `.git` entry. `allowDangerous` skips the check.
 *
 * outDir is resolved like the engine uses it (`path.resolve`), then through real paths so a
 * symlink (even a dangling one) can't hide where it points.
 */
export async function assertSafeOutDir(outDir: string, options: { root: string; allowDangerous: boolean; fs?: EngineFs }): Promise<void> {
  if (options.allowDangerous) return
  const efs = options.fs ?? nodeFs
  const [real, root, home] = await Promise.all([
    realpathLenient(efs, path.resolve(outDir)),
    realpathLenient(efs, path.resolve(options.root)),
    realpathLenient(efs, os.homedir()),
  ])
  const reason = await dangerReason(efs, real, root, home)
  if (reason === undefined) return
  throw new EmitOptimizerError(
    'EO_DANGEROUS_OUTDIR',
    `dangerous outDir: ${JSON.stringify(outDir)} (${reason}; resolves to ${real}). Emptying or swapping it would destroy files that are not build output. ` +
      `Pick a subdirectory such as ${JSON.stringify(path.join(path.resolve(options.root), 'dist'))}, ` +
        `or set allowDangerousOutDir: true if this is really intended.`,
    { path: outDir },
  )
}

async function dangerReason(efs: EngineFs, real: string, root: string, home: string): Promise<string | undefined> {
  // Over-refusing on a case-sensitive APFS volume is harmless; missing `/Users/Me` vs `/users/me` is not.
  const key = process.platform === 'win32' || process.platform === 'darwin' ? (p: string) => p.toLowerCase() : (p: string) => p
  const [out, rootKey, homeKey] = [key(real), key(root), key(home)]
  if (real === path.parse(real).root) return 'it is the filesystem root'
  if (out === homeKey) return 'it is the home directory'
  if (isInside(homeKey, out)) return `it contains the home directory ${home}`
  if (out === rootKey) return 'it is the project root'
  if (isInside(rootKey, out)) return `it contains the project root ${root}`
  if (await lstatOrUndefined(efs, path.join(real, '.git'))) return 'it is a repository root: it contains .git'
  return undefined
}

/**
 * For a set of normalised relative paths, checks that no existing directory component inside
 * outDir is a symlink whose target resolves outside realOutDir; throws EO_PATH_ESCAPE naming the
 * offending file and the link. Missing components are fine (they will be created); the final
 * component is not followed (it is replaced by rename).
 */
export async function assertConfined(realOutDir: string, relPaths: Iterable<string>, efs: EngineFs = nodeFs): Promise<void> {
  // levels[d] maps each distinct directory of depth d + 1 to the first file written under it, so
  // thousands of files cost one lstat per directory and a missing parent spares its whole subtree.
  const levels: Array<Map<string, string>> = []
  for (const file of relPaths) {
    const parts = file.split('/')
    // Deepest first: once a directory is known, so are all its ancestors.
    for (let depth = parts.length - 1; depth >= 1; depth--) {
      const level = (levels[depth - 1] ??= new Map())
      const dir = parts.slice(0, depth).join('/')
      if (level.has(dir)) break
      level.set(dir, file)
    }
  }

  let missing = new Set<string>()
  for (const level of levels) {
    const missingHere = new Set<string>()
    const escapes = await Promise.all(
      [...level].map(async ([dir, file]) => {
        const slash = dir.lastIndexOf('/')
        const stats = slash !== -1 && missing.has(dir.slice(0, slash)) ? undefined : await lstatOrUndefined(efs, path.join(realOutDir, dir))
        if (stats === undefined) {
          missingHere.add(dir)
          return undefined
        }
        if (!stats.isSymbolicLink()) return undefined
        const target = await realpathLenient(efs, path.join(realOutDir, dir))
        return isInside(target, realOutDir) ? undefined : { dir, file, target }
      }),
    )
    // The first file in input order wins, so the message does not depend on lstat timing.
    const escape = escapes.find((entry) => entry !== undefined)
    if (escape) {
      throw new EmitOptimizerError(
        'EO_PATH_ESCAPE',
        `path escapes outDir: ${JSON.stringify(escape.file)} (outDir: ${realOutDir}; ${JSON.stringify(escape.dir)} is a symlink to ${escape.target}). ` +
          `Replace the symlink ${path.join(realOutDir, escape.dir)} with a real directory, or point it inside outDir.`,
        { path: escape.file },
      )
    }
    missing = missingHere
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

/**
 * realpath of the deepest existing ancestor plus the rest. A dangling symlink on the way is
 * followed by its target: it points at a directory that does not exist yet, and mkdir -p would
 * create that directory, wherever it is.
 */
async function realpathLenient(efs: EngineFs, p: string, links = 0): Promise<string> {
  try {
    return await efs.realpath(p)
  } catch (error) {
    const code = errnoCode(error)
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
  }
  const parent = path.dirname(p)
  if (parent === p) return p
  // Joined onto a real parent, `..` is physically right, so link targets below are not normalised first.
  const candidate = path.join(await realpathLenient(efs, parent, links), path.basename(p))
  if (!(await lstatOrUndefined(efs, candidate))?.isSymbolicLink()) return candidate
  if (links >= MAX_LINKS) throw Object.assign(new Error(`too many symbolic links while resolving ${p}`), { code: 'ELOOP' })
  const target = await efs.readlink(candidate)
  return realpathLenient(efs, path.isAbsolute(target) ? target : `${path.dirname(candidate)}${path.sep}${target}`, links + 1)
}

/**
 * A directory the engine owns inside the state dir (builds/, history/, reports/) must be a real
 * directory: through a symlink, files would be created, and "unreferenced" ones deleted, wherever
 * it points.
 */
export async function assertOwnDir(efs: EngineFs, dir: string, what: string, outDir: string): Promise<void> {
  if (!(await lstatOrUndefined(efs, dir))?.isSymbolicLink()) return
  const target = await efs.readlink(dir)
  throw new EmitOptimizerError(
    'EO_PATH_ESCAPE',
    `the state dir's ${what} is a symlink (to "${target}"): "${dir}" (outDir: ${outDir}). Nothing was changed; replace the symlink with a real directory.`,
    { path: dir },
  )
}
