import { OUT_FLAG, UsageError } from '../args.js'
import { displayPath, formatTime, plural } from '../format.js'
import { engineOptions, LOCK_TIMEOUT_FLAG, lockTimeout, outDir, printJson, warnings, type CommandContext, type Verb } from '../verb.js'
import { diffVersions, gcHistory, listHistory, rebuildHistory, showVersion } from '../../history/history-api.js'
import { checkHistory } from '../../history/check.js'
import { repairHistory } from '../../history/repair.js'
import { damageLines } from '../history-damage.js'
import { formatBytes } from '../../observe/format-bytes.js'
import type { VersionSummary } from '../../history/versions.js'

function git(version: Pick<VersionSummary, 'git'>): string {
  return version.git ? `${version.git.commit.slice(0, 10)}${version.git.branch ? ` (${version.git.branch})` : ''}` : '-'
}

/** `history <subcommand>`: each takes exactly these positionals after its name. */
const SUBCOMMANDS: Record<string, { args: string[]; run(ctx: CommandContext, args: string[]): Promise<number> }> = {
  list: {
    args: [],
    async run(ctx) {
      const view = await listHistory(outDir(ctx), engineOptions(ctx))
      const check = await checkHistory(outDir(ctx), engineOptions(ctx))
      const code = check.ok ? 0 : 1
      if (ctx.flags.boolean('json')) {
        printJson(ctx.io, { ...view, check })
        return code
      }
      const dir = displayPath(view.outDir, ctx.cwd)
      if (view.versions.length === 0) {
        ctx.io.out(`${dir}: no build history recorded yet`)
        return 0
      }
      const rows = [...view.versions]
        .reverse()
        .map((v) => [
          v.id === view.current ? '*' : ' ',
          v.id,
          formatTime(v.committedAt),
          v.bundler ?? '-',
          git(v),
          plural(v.files, 'file'),
          formatBytes(v.bytes),
        ])
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
      ctx.io.out(`${dir}: ${plural(view.versions.length, 'version')}, newest first; * = what outDir holds`)
      for (const row of rows) ctx.io.out(row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '))
      if (view.current !== null && !view.versions.some((v) => v.id === view.current))
        ctx.io.out(`outDir holds version ${view.current}, which is no longer kept`)
      for (const line of damageLines(ctx, check)) ctx.io.out(line)
      return code
    },
  },
  show: {
    args: ['<id>'],
    async run(ctx, [ref]) {
      const version = await showVersion(outDir(ctx), ref!, engineOptions(ctx))
      if (ctx.flags.boolean('json')) {
        printJson(ctx.io, version)
        return 0
      }
      const files = Object.entries(version.files)
      ctx.io.out(`version ${version.id}${version.current ? ' (what outDir holds)' : ''}`)
      ctx.io.out(`committed  ${formatTime(version.committedAt)}`)
      ctx.io.out(`bundler    ${version.bundler ?? '-'}`)
      ctx.io.out(`git        ${git(version)}`)
      ctx.io.out(`files      ${files.length}, ${formatBytes(files.reduce((sum, [, file]) => sum + file.size, 0))}`)
      for (const [rel, file] of files)
        ctx.io.out(`${file.mode.toString(8).padStart(4, '0')}  ${String(file.size).padStart(10)}  ${file.sha256.slice(0, 12)}  ${rel}`)
      return 0
    },
  },
  diff: {
    args: ['<a>', '<b>'],
    async run(ctx, [a, b]) {
      const diff = await diffVersions(outDir(ctx), a!, b!, engineOptions(ctx))
      if (ctx.flags.boolean('json')) {
        printJson(ctx.io, diff)
        return 0
      }
      const sign = diff.bytesDelta >= 0 ? '+' : '-'
      ctx.io.out(
        `${diff.from} → ${diff.to}: ${diff.added.length} added, ${diff.changed.length} changed, ` +
          `${diff.removed.length} removed, ${diff.unchanged} unchanged; ${sign}${formatBytes(Math.abs(diff.bytesDelta))}`,
      )
      for (const file of diff.added) ctx.io.out(`A ${file.path} (${formatBytes(file.size)})`)
      for (const file of diff.changed)
        ctx.io.out(
          `M ${file.path} (${formatBytes(file.from.size)} → ` +
            `${formatBytes(file.to.size)}${file.from.mode !== file.to.mode ? `, mode ${file.from.mode.toString(8)} → ${file.to.mode.toString(8)}` : ''})`,
        )
      for (const file of diff.removed) ctx.io.out(`D ${file.path}`)
      return 0
    },
  },
  gc: {
    args: [],
    async run(ctx) {
      const result = await gcHistory(outDir(ctx), { ...engineOptions(ctx), ...lockTimeout(ctx), ...warnings(ctx) })
      if (ctx.flags.boolean('json')) {
        printJson(ctx.io, result)
        return 0
      }
      ctx.io.out(
        `gc: ${plural(result.objectsRemoved, 'unreferenced object')} (${formatBytes(result.bytesFreed)} freed), ` +
          `${plural(result.versionsRemoved, 'unlisted version record')} and ${plural(result.tempsRemoved, 'temp file')} removed`,
      )
      return 0
    },
  },
  repair: {
    args: [],
    async run(ctx) {
      const result = await repairHistory(outDir(ctx), { ...engineOptions(ctx), ...lockTimeout(ctx), ...warnings(ctx) })
      if (ctx.flags.boolean('json')) {
        printJson(ctx.io, result)
        return 0
      }
      ctx.io.out(
        `repair: ${plural(result.objectsRestored, 'stored file')} restored from outDir, ${plural(result.linksBroken, 'hard-linked object')} copied, ` +
          `${plural(result.versionsDropped.length, 'unrestorable version')} dropped; ${plural(result.versionsKept, 'version')} kept, all restorable`,
      )
      for (const id of result.versionsDropped) ctx.io.out(`dropped ${id}`)
      return 0
    },
  },
  rebuild: {
    args: [],
    async run(ctx) {
      const result = await rebuildHistory(outDir(ctx), { ...engineOptions(ctx), ...lockTimeout(ctx), ...warnings(ctx) })
      if (ctx.flags.boolean('json')) printJson(ctx.io, result)
      else ctx.io.out(`history index rebuilt from ${plural(result.versions, 'version record')}`)
      return 0
    },
  },
}

export const historyVerb: Verb = {
  name: 'history',
  summary: 'list, show or diff the recorded versions of outDir; gc, repair or rebuild the store',
  positionals: 'list | show <id> | diff <a> <b> | gc | repair | rebuild',
  flags: { out: OUT_FLAG, 'lock-timeout': LOCK_TIMEOUT_FLAG },
  details: [
    'A version is named by its id, a unique prefix of it (4+ characters), latest, current (what outDir holds) or previous.',
    'list: newest first, * marks what outDir holds; ! a version whose stored files are missing, altered (size) or hard-linked.',
    'show: mode, size, sha256 prefix and path of each file.',
    'diff: A added, M changed (content or mode), D removed, from <a> to <b>.',
    'gc: remove stored files no kept version uses (also done as versions expire). rebuild: recreate the index from the version records.',
    'repair: re-hash every stored file; store a missing or altered one again from outDir when a file there still has its content,',
    '  copy hard-linked ones, drop the versions still not restorable.',
    'Exit codes: 0 done; 1 (list) a kept version cannot be restored;',
    '  2 unknown version (EO_HISTORY_NOT_FOUND), damaged store (EO_HISTORY_CORRUPT), usage or engine error.',
  ].join('\n'),
  async run(ctx) {
    const [name = 'list', ...args] = ctx.flags.positionals
    const sub = SUBCOMMANDS[name]
    if (!sub) throw new UsageError(`unknown history command "${name}"; use one of: ${Object.keys(SUBCOMMANDS).join(', ')}`)
    if (args.length !== sub.args.length)
      throw new UsageError(
        `history ${name} takes ${sub.args.length === 0 ? 'no arguments' : sub.args.join(' ')}, ` +
          `got ${args.length === 0 ? 'none' : args.map((arg) => `'${arg}'`).join(' ')}`,
      )
    return sub.run(ctx, args)
  },
}
