#!/usr/bin/env node
// The `dockfence` executable: runs the compiled CLI from dist/ (built by `npm install`'s prepare step).
import { runCli } from '../dist/cli/main.js';

const code = await runCli(process.argv.slice(2));
process.exit(code);
