#!/usr/bin/env node
// One build as a user runs it: a fresh Node process that imports the bundler (and, for the plugin
// variant, `unplugin-emit-optimizer/<bundler>` by name), builds, and exits. bench/bundlers.mjs times
// the whole process from spawn to exit.
//
//   node bench/build-once.mjs <bundler> <native|plugin> <appDir> <outDir> <stateDir>
//
// Prints `RESULT <json>` (the plugin report's status and counts) on stdout.
import { BUILDS } from './bundler-builds.mjs'

const [name, variant, appDir, outDir, stateDir] = process.argv.slice(2)
const spec = BUILDS[name]
if (!spec || !['native', 'plugin'].includes(variant) || !appDir || !outDir || !stateDir) {
  throw new Error('usage: build-once.mjs <bundler> <native|plugin> <appDir> <outDir> <stateDir>')
}
let report
const plugin = variant === 'plugin' ? (await import(`unplugin-emit-optimizer/${name}`)).default({ summary: false, stateDir, onReport: (r) => void (report = r) }) : undefined
await spec.build(appDir, outDir, plugin)
const stats = report?.result?.stats
process.stdout.write(`RESULT ${JSON.stringify(variant === 'plugin' ? { status: report?.status ?? 'none', written: stats?.written ?? null, unchanged: stats?.unchanged ?? null, deleted: stats?.deleted ?? null, commitMs: stats?.durationMs ?? null } : {})}\n`)
