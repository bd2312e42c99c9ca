import { type Logger, pino } from 'pino';

// One JSON log for the whole process: the HTTP server's request lines, the job runner, the purger,
// recovery, and Node's own warnings all go through this pino instance, at ICS_LOG_LEVEL, with ISO
// timestamps. Nothing else writes plain text to stdout (the bootstrap banner goes to stderr).

export type { Logger };

export function createLogger(opts: {
  level: string /** 1: stdout (the server), 2: stderr (CLI). */;
  fd?: 1 | 2;
}): Logger {
  return pino(
    {
      level: opts.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: ['req.headers.authorization'],
    },
    pino.destination({ fd: opts.fd ?? 1, sync: true }),
  );
}

/**
 * Node prints process warnings (the AWS SDK's Node-version notice, deprecations) as plain text on
 * stderr; from here on they are warn lines of the JSON log instead.
 */
export function logProcessWarnings(log: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    log.warn({ warning: { name: warning.name, code: (warning as { code?: string }).code } }, warning.message);
  });
}
