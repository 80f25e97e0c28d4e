/**
 * Running a test fixture as another user (e.g. `nobody`, to provoke a real EPERM): that user must
 * be able to read what it runs, and the repository may sit in a private directory (a clone in
 * `mktemp -d` or a home directory, mode 0700). So the fixture is bundled with esbuild (it and
 * everything it imports, into one file) into a fresh world-readable temp directory, and run from
 * there with plain `node`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildSync } from 'esbuild'

export type Staged = { ok: true; script: string; dir: string; dispose(): void } | { ok: false; reason: string }

/** The first directory on the way to `target` that users other than the owner cannot enter, if any. */
function closedAncestor(target: string): string | undefined {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return dir
    if (path.dirname(dir) === dir) return undefined
  }
}

/**
 * Bundles `fixture` into `<tmpdir>/eo-other-user-XXXX/child.mjs` (directory 0755, file 0644).
 * `ok: false` with the reason when another user still could not run it: the temp dir or the node
 * binary sits behind a directory closed to others.
 */
export function stageForOtherUser(fixture: string): Staged {
  const node = fs.realpathSync(process.execPath)
  const closedNode = closedAncestor(node)
  if (closedNode !== undefined || (fs.statSync(node).mode & 0o005) !== 0o005) return { ok: false, reason: `other users cannot run ${node} (${closedNode ?? node} is closed to them)` }
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-other-user-')))
  const closedTmp = closedAncestor(dir)
  if (closedTmp !== undefined) {
    fs.rmSync(dir, { recursive: true, force: true })
    return { ok: false, reason: `other users cannot enter ${closedTmp}, where the temp dir ${dir} is (set TMPDIR to a directory they can enter)` }
  }
  fs.chmodSync(dir, 0o755)
  const script = path.join(dir, 'child.mjs')
  // A require() shim: bundled CommonJS dependencies may require node builtins.
  buildSync({ entryPoints: [fixture], outfile: script, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', banner: { js: "import { createRequire as __eoCreateRequire } from 'node:module'; const require = __eoCreateRequire(import.meta.url);" } })
  fs.chmodSync(script, 0o644)
  return { ok: true, script, dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) }
}
