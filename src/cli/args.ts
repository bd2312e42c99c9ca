import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './main.js';

/** node:util parseArgs with errors turned into one-line usage errors. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}
