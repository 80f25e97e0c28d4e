import path from 'node:path'

/**
 * A staging directory that Vite/Rolldown write into instead of outDir; its content is captured
 * and committed to outDir afterwards.
 *
 * It is a sibling of outDir (`<parent>/.<name>.eo-staging-<pid>`): the same depth keeps every
 * relative path the bundler computes from the output location (sourcemap `sources`, relative
 * imports of files outside the output) byte-identical to a direct build; the pid keeps two
 * processes building the same outDir apart.
 */
const MARK = '.eo-staging-'

export function stagingDirFor(outDir: string): string {
  return path.join(path.dirname(outDir), `.${path.basename(outDir)}${MARK}${process.pid}`)
}

export function isStagingDir(dir: string): boolean {
  return path.basename(dir).includes(MARK)
}

/** Set by `emit-optimizer run --in-place` for its command: the outDir whose transaction `run` owns. */
export const IN_PLACE_ENV = 'EMIT_OPTIMIZER_RUN_IN_PLACE'

/**
 * Whether an output directory (absolute) is already inside a transaction of
 * `emit-optimizer run`: its staging dir, or the outDir of an in-place run (whose lock `run`
 * holds). A bundler plugin in the command then leaves the directory to the bundler.
 */
export function ownedByRun(dir: string): boolean {
  const inPlace = process.env[IN_PLACE_ENV]
  return isStagingDir(dir) || (inPlace !== undefined && inPlace !== '' && path.resolve(inPlace) === path.resolve(dir))
}

/**
 * Of the entries `names` of outDir's parent, the staging dirs of `outDir` whose process is gone
 * (the bundler adapters sweep them before a build, `recover()` through the engine's fs).
 */
export function staleStagingNames(outDir: string, names: readonly string[]): string[] {
  const prefix = `.${path.basename(outDir)}${MARK}`
  return names.filter((name) => {
    if (!name.startsWith(prefix)) return false
    const pid = Number(name.slice(prefix.length))
    return Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)
  })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
