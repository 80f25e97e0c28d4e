import fs from 'node:fs/promises'
import { renderMarkdown, type MarkdownInput } from './markdown.js'

/**
 * GitHub Actions shows `$GITHUB_STEP_SUMMARY` on the run's page: each build appends its Markdown
 * size summary there. Returns whether it did.
 */
export async function appendStepSummary(input: MarkdownInput, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = env.GITHUB_STEP_SUMMARY
  if (!file) return false
  await fs.appendFile(file, `${renderMarkdown(input)}\n`)
  return true
}
