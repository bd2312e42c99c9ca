import type { DeletionMatch } from './types.js';

/** A job's match as the API and certificates show it: only the fields given, times in ISO 8601. */
export function matchToWire(m: DeletionMatch) {
  return {
    ...(m.addresses && { addresses: m.addresses }),
    ...(m.handlingAgentId !== undefined && { handlingAgentId: m.handlingAgentId }),
    ...(m.start !== undefined && { start: new Date(m.start).toISOString() }),
    ...(m.end !== undefined && { end: new Date(m.end).toISOString() }),
    ...(m.direction && { direction: m.direction }),
    ...(m.contentTypes && { contentTypes: m.contentTypes }),
  };
}
