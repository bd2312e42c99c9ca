import { startS3 } from '../../test/helpers/s3.js';

// s3rver in a process of its own, so that neither side of the export figure shares an event loop
// with the storage it writes to. Usage: s3-target.ts <port> <bucket>. Stops (and removes its
// directory) on SIGTERM.

const [port, bucket] = process.argv.slice(2);
const s3 = await startS3({ port: Number(port), bucket });
process.once('SIGTERM', () => {
  void s3.stop().finally(() => process.exit(0));
});
