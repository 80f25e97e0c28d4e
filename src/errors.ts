/**
 * Stable error codes. Tools and CI may match on them; never rename one.
 */
export type EmitOptimizerErrorCode =
  /** An output path is absolute, contains `..`, NUL or a backslash, or passes through a symlink leaving outDir. */
  | 'EO_PATH_ESCAPE'
  /** outDir is the filesystem root, the home directory, the project root or a repository root. */
  | 'EO_DANGEROUS_OUTDIR'
  /** outDir exists but is not a directory (or is a symlink and the strategy does not manage it). */
  | 'EO_OUTDIR_INVALID'
  /** Another process holds the outDir lock longer than the wait allows. */
  | 'EO_LOCKED'
  /** Not enough free space for the new output (preflight or ENOSPC/EDQUOT during the commit). */
  | 'EO_NO_SPACE'
  /** The filesystem refused access (EACCES, EPERM, EROFS). */
  | 'EO_PERMISSION'
  /** A path component or the whole path is longer than the filesystem allows. */
  | 'EO_NAME_TOO_LONG'
  /** The process ran out of file descriptors even at concurrency 1. */
  | 'EO_TOO_MANY_FILES'
  /** A rename crossed filesystems although stateDir was checked; stateDir must share outDir's filesystem. */
  | 'EO_CROSS_DEVICE'
  /** Any other I/O failure (EIO, …); the cause is attached. */
  | 'EO_IO'
  /** The write-ahead journal cannot be parsed. */
  | 'EO_JOURNAL_CORRUPT'
  /** The manifest of the last commit cannot be parsed. */
  | 'EO_MANIFEST_CORRUPT'
  /** No such version in the build history (unknown id, nothing before the current one, history off). */
  | 'EO_HISTORY_NOT_FOUND'
  /** A version record or a stored file of the build history is missing, unreadable or altered. */
  | 'EO_HISTORY_CORRUPT'
  /** An edit targets a missing file or a range outside it. */
  | 'EO_EDIT_FAILED'
  /** The transaction was already committed or rolled back. */
  | 'EO_TX_CLOSED'
  /** An option has a value the engine cannot use. */
  | 'EO_INVALID_OPTION'
  /** A writer's `expect` check failed: the file changed since it was read (onConflict: 'error'). */
  | 'EO_CONFLICT'
  /** A template passed to `render` has a syntax error or uses a value the data does not have. */
  | 'EO_TEMPLATE'
  /** A writer stream was destroyed before it ended; nothing was published. */
  | 'EO_ABORTED'
  /** Pushing metrics to the Pushgateway failed and `metrics.push.required` is set. */
  | 'EO_PUSH_FAILED'
  /** The `/metrics` endpoint could not listen on the configured host and port. */
  | 'EO_SERVE_FAILED'
  /** An alert fired and `failOnAlert` is set: the output is committed, the build fails. */
  | 'EO_ALERT'
  /** The command of `emit-optimizer run` failed, could not start or was interrupted: nothing was published. */
  | 'EO_COMMAND_FAILED'

export interface EmitOptimizerErrorDetails {
  /** The file or directory the error is about. */
  path?: string
  cause?: unknown
  /** The previous output could not be restored; the journal is kept for `recover`. */
  recoveryPending?: boolean
}

/**
 * The one error class of the package. Messages follow
 * `[emit-optimizer] <what happened>: "<value>" (<context>). <what to do>.`
 */
export class EmitOptimizerError extends Error {
  override readonly name = 'EmitOptimizerError'
  readonly code: EmitOptimizerErrorCode
  readonly path: string | undefined
  /** True when a commit failed and restoring the previous output failed too (run `recover`). */
  readonly recoveryPending: boolean

  constructor(code: EmitOptimizerErrorCode, message: string, details: EmitOptimizerErrorDetails = {}) {
    super(`[emit-optimizer] ${message}`, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.path = details.path
    this.recoveryPending = details.recoveryPending ?? false
  }
}

export function isEmitOptimizerError(error: unknown): error is EmitOptimizerError {
  return error instanceof EmitOptimizerError
}

/** The `code` of a Node.js system error, if any. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined
}

/**
 * Turns a system error raised while committing into an `EmitOptimizerError` that names the
 * file and the fix. Errors that already are ours pass through.
 */
export function toEmitOptimizerError(error: unknown, file: string, outDir: string): EmitOptimizerError {
  if (error instanceof EmitOptimizerError) return error
  const code = errnoCode(error)
  const where = `"${file}" (outDir: ${outDir})`
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new EmitOptimizerError(
        'EO_NO_SPACE',
        `no space left on device while writing ${where}. Free disk space or lower the output size; the previous output was kept.`,
        { path: file, cause: error },
      )
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new EmitOptimizerError(
        'EO_PERMISSION',
        `permission denied (${code}) on ${where}. Check the owner and mode of the directory, ` +
          `or whether the filesystem is read-only; the previous output was kept.`,
        { path: file, cause: error },
      )
    case 'ENAMETOOLONG':
      return new EmitOptimizerError('EO_NAME_TOO_LONG', `file name too long: ${where}. Shorten the output file name or directory depth.`, {
        path: file,
        cause: error,
      })
    case 'EMFILE':
    case 'ENFILE':
      return new EmitOptimizerError(
        'EO_TOO_MANY_FILES',
        `too many open files (${code}) even at concurrency 1 while writing ${where}. Raise the file descriptor limit (ulimit -n).`,
        { path: file, cause: error },
      )
    case 'EXDEV':
      return new EmitOptimizerError(
        'EO_CROSS_DEVICE',
        `cannot rename across filesystems at ${where}. Put stateDir on the same filesystem as outDir (or leave it unset).`,
        { path: file, cause: error },
      )
    default:
      return new EmitOptimizerError(
        'EO_IO',
        `I/O error${code ? ` (${code})` : ''} on ${where}: ${error instanceof Error ? error.message : String(error)}. ` +
          `The previous output was kept; retry, or run "emit-optimizer verify --out ${outDir}".`,
        { path: file, cause: error },
      )
  }
}
