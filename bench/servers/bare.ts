import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

// The metadata yardstick: a bare Fastify route on the same path answering the same JSON from memory,
// with no auth, no schema and no database. Usage: bare.ts <json-file> <port>

const [file, port] = process.argv.slice(2);
const body = JSON.parse(readFileSync(file, 'utf8')) as unknown;
const app = Fastify({ logger: false });
app.get('/interaction-content/interactions/:guid', async () => body);
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(port) });
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
