/** What the plugin recorded about a framework build: its last report and its history, read as a user would. */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { BuildSummary } from '../../../src/observe/report-json.js'
import { REPO } from './install.js'

/**
 * The report of the last build, `<stateDir>/reports/latest.json`. `stateDir` (relative to the
 * project, as configured): by default the one state dir holding a report under the project's
 * `node_modules/.cache/emit-optimizer`.
 */
export function latestReport(project: string, stateDir?: string): BuildSummary {
  const read = (dir: string): BuildSummary => JSON.parse(fs.readFileSync(path.join(dir, 'reports', 'latest.json'), 'utf8')) as BuildSummary
  if (stateDir) return read(path.resolve(project, stateDir))
  const states = path.join(project, 'node_modules', '.cache', 'emit-optimizer')
  const dirs = fs.readdirSync(states).filter((name) => fs.existsSync(path.join(states, name, 'reports', 'latest.json')))
  if (dirs.length !== 1) throw new Error(`expected one state dir with a report in ${states}, found ${dirs.join(', ') || 'none'}`)
  return read(path.join(states, dirs[0]!))
}

export interface HistoryList {
  versions: Array<{ id: string; bundler: string; files: number }>
}

/** `emit-optimizer history list --json`, as a user would run it (this repo's built CLI; stdout only, the JSON). */
export function historyList(root: string, outDir: string, stateDir: string): Promise<HistoryList> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'dist', 'cli.js'), 'history', 'list', '--root', root, '--out', outDir, '--state-dir', stateDir, '--json'],
      (error, stdout, stderr) => {
        if (error) reject(new Error(`history list failed: ${stderr || error.message}`))
        else resolve(JSON.parse(stdout) as HistoryList)
      },
    )
  })
}
