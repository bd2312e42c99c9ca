import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Sqlite from 'better-sqlite3';

// The ingest and delete yardstick: the least a durable store of files plus rows must do, over plain
// node:http, with the pragmas ICS's SQLite store uses (WAL, synchronous=FULL, secure_delete).
//   PUT    /f/<name>  write the body to <dir>/<name> with fsync, fsync <dir>, INSERT one row
//   DELETE /f/<name>  unlink <dir>/<name>, fsync <dir>, DELETE one row (its own transaction)
// With a serve root it is also the "bare Node" download floor: what node:http and a file stream
// deliver without auth, database or framework, with ICS's read sizes.
//   GET    /b/<path>  <serve-root>/<path>, whole or one `Range: bytes=a-b`
// Usage: plain-store.ts <dir> <port> [serve-root]

const [dir, port, serveRoot] = process.argv.slice(2);
const db = new Sqlite(join(dir, 'plain.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma('secure_delete = ON');
db.exec(
  'create table if not exists files (account text not null, name text not null, length integer not null, primary key (account, name))',
);
const insert = db.prepare('insert into files (account, name, length) values (?, ?, ?)');
const remove = db.prepare('delete from files where account = ? and name = ?');
const files = join(dir, 'files');
mkdirSync(files, { recursive: true });

async function syncDir(path: string) {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** As FsBlobStore: up to 1 MiB in one read, larger files in 256 KiB reads. */
const readSize = (bytes: number) => (bytes <= 1024 * 1024 ? Math.max(bytes, 1) : 256 * 1024);

async function serveFile(req: IncomingMessage, res: ServerResponse, relative: string) {
  if (!serveRoot || relative.split('/').some((part) => part === '..' || part === '')) {
    res.statusCode = 404;
    return res.end();
  }
  const path = join(serveRoot, relative);
  const { size } = await stat(path);
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m ? Math.min(Number(m[2]), size - 1) : size - 1;
  res.writeHead(m ? 206 : 200, {
    'content-type': 'application/octet-stream',
    'content-length': end - start + 1,
    ...(m && { 'content-range': `bytes ${start}-${end}/${size}` }),
  });
  await pipeline(createReadStream(path, { start, end, highWaterMark: readSize(end - start + 1) }), res);
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  if (req.method === 'GET' && req.url?.startsWith('/b/')) return serveFile(req, res, req.url.slice(3));
  const name = /^\/f\/([A-Za-z0-9-]{1,64})$/.exec(req.url ?? '')?.[1];
  if (req.url === '/healthz') return res.end('ok');
  if (!name) {
    res.statusCode = 404;
    return res.end();
  }
  const path = join(files, name);
  if (req.method === 'PUT') {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    await pipeline(req, createWriteStream(path, { flags: 'wx', flush: true }));
    await syncDir(files);
    insert.run('default', name, length);
    res.statusCode = 201;
    return res.end();
  }
  if (req.method === 'DELETE') {
    await unlink(path);
    await syncDir(files);
    const { changes } = remove.run('default', name);
    res.statusCode = changes === 1 ? 204 : 404;
    return res.end();
  }
  res.statusCode = 405;
  res.end();
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: Error) => {
    if (res.headersSent) return res.destroy();
    res.statusCode = 500;
    res.end(err.message);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1');
const stop = () =>
  server.close(() => {
    db.close();
    process.exit(0);
  });
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
