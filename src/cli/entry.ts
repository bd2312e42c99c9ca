// Process entry of the `ics` command (bin/ics.js loads the compiled copy; tests run this file with tsx).
import { main } from './main.js';

// Whatever the caller's umask: files this process creates (the database, blobs, credentials) are
// for its own user only. Stores also pass explicit modes; this covers what libraries create.
process.umask(0o077);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ics: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
