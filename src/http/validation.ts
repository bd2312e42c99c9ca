import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

// Request validation with two Ajv instances. Query strings, path parameters and headers arrive as
// text, so they are coerced to the schema's types ("limit=5" is a number). Bodies are JSON and
// already typed: they are never coerced, so {"guids": "<one guid>"} is a 400 instead of quietly
// becoming a one-element array (which coerceTypes: 'array' would make of it).

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>;
type BuildValidator = NonNullable<NonNullable<SchemaController['compilersFactory']>['buildValidator']>;

const OPTIONS = { removeAdditional: false, allErrors: false } as const;

export function strictBodyValidators(): SchemaController {
  const pool = AjvCompiler();
  const buildValidator: BuildValidator = (externalSchemas, ajvOptions) => {
    const options = (coerceTypes: boolean) =>
      ({
        ...ajvOptions,
        customOptions: { ...ajvOptions?.customOptions, ...OPTIONS, coerceTypes },
      }) as Parameters<typeof pool>[1];
    const text = pool(externalSchemas, options(true));
    const json = pool(externalSchemas, options(false));
    return (route) => (route.httpPart === 'body' ? json(route) : text(route));
  };
  return { compilersFactory: { buildValidator } };
}
