#!/usr/bin/env node
// The `ics` command: runs the compiled CLI, which `npm install` builds through the prepare script.
import '../dist/cli/entry.js';
