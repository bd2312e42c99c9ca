import { readFileSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import Fastify from 'fastify';

// The metadata yardstick: a bare Fastify route on the same path answering the same JSON from memory,
// with no auth, no schema and no database. Usage: bare.ts <json-file> <port>
// With `<sqlite-file> <account> <guid>` it is the floor instead: each request first reads that
// interaction and its content rows from the ICS database (read-only, one plain better-sqlite3
// statement), so the difference to the yardstick is what one database read costs by itself.

const [file, port, dbFile, account, guid] = process.argv.slice(2);
const body = JSON.parse(readFileSync(file, 'utf8')) as unknown;
const read = dbFile
  ? new Sqlite(dbFile, { readonly: true }).prepare(
      'select i.*, c.* from interactions i left join contents c on c.account = i.account and c.guid = i.guid where i.account = ? and i.guid = ?',
    )
  : undefined;
const app = Fastify({ logger: false });
app.get('/interaction-content/interactions/:guid', async () => {
  if (read && read.all(account, guid).length === 0) throw new Error('the floor read found no rows');
  return body;
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(port) });
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
