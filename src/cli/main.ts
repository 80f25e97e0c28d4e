#!/usr/bin/env node
// The `emit-optimizer` bin (built to dist/cli.js). The commands live in ./commands.ts.
import { processIo, runCli } from './run.js'

process.exitCode = await runCli(process.argv.slice(2), processIo)
