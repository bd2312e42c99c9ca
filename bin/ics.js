#!/usr/bin/env node
// The `ics` command. Runs the compiled CLI (built by `npm install` through the prepare script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ics: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
