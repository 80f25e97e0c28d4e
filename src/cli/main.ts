#!/usr/bin/env node
// The `emit-optimizer` bin (built to dist/cli.js). The verbs live in ./verbs/, one file each.
import { processIo, runCli } from './run.js'

process.exitCode = await runCli(process.argv.slice(2), processIo)
