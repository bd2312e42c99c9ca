// Process entry of the `ics` command (bin/ics.js loads the compiled copy; tests run this file with tsx).
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ics: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
