import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { formatTime } from '../../core/time.js';
import { CONTENT_TYPES } from '../../core/types.js';
import type { Explanation, Preview } from '../../retention/retention-service.js';
import type { PolicyView, RetentionRule } from '../../retention/types.js';
import { optionalTimeParam } from '../params.js';
import { commonErrors, GuidParams } from '../schemas.js';
import type { AppServices } from '../services.js';

// Retention [ext] (docs/retention.md). The body's shape is checked here; its rules (ranges, known
// content types, unique names, at most 100 rules) by the service, which names the field at fault.

const admin = { scope: 'interaction-content:admin' as const, versioned: true };
const read = { scope: 'interaction-content:read' as const, versioned: true };
const errors = commonErrors;
const time = Type.String({ format: 'date-time' });
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const RuleIn = Type.Object(
  {
    id: Type.Optional(
      Type.String({ description: 'Keeps the identity of a rule of this policy; absent = new' }),
    ),
    name: Type.String({ description: '1–128 characters, unique in the policy' }),
    keepDays: Type.Integer({ description: 'Days kept after the interaction’s start, 1–36500' }),
    contentTypes: Type.Optional(
      nullable(
        Type.Array(Type.String(), {
          description: `A non-empty subset of ${CONTENT_TYPES.join(', ')}; absent = every type`,
        }),
      ),
    ),
    direction: Type.Optional(nullable(Type.String({ description: 'inbound or outbound; absent = both' }))),
  },
  { additionalProperties: false },
);

const PolicyBody = Type.Object(
  {
    status: Type.String({ description: "'on' or 'paused'" }),
    rules: Type.Array(RuleIn, { description: 'At most 100 rules' }),
  },
  { additionalProperties: false },
);

const Rule = Type.Object({
  id: Type.String(),
  name: Type.String(),
  contentTypes: nullable(Type.Array(Type.String())),
  direction: nullable(Type.String()),
  keepDays: Type.Integer(),
});

const PolicyOut = Type.Object({
  status: Type.String({ enum: ['on', 'paused', 'pending'] }),
  pendingUntil: nullable(time),
  rules: Type.Array(Rule),
  pendingRules: nullable(Type.Array(Rule)),
  lastSweep: nullable(Type.Object({ at: time, deleted: Type.Integer() })),
});

const PreviewOut = Type.Object({
  at: time,
  total: Type.Integer(),
  byRule: Type.Array(Type.Object({ ruleId: Type.String(), count: Type.Integer() })),
  byType: Type.Record(Type.String(), Type.Integer()),
  sample: Type.Array(
    Type.Object({
      guid: Type.String(),
      contentKey: Type.String(),
      type: Type.String(),
      deleteAfter: time,
      ruleId: Type.String(),
    }),
  ),
});

const ExplanationOut = Type.Object({
  guid: Type.String(),
  legalHold: nullable(
    Type.Object({
      reason: Type.Optional(Type.String()),
      caseId: Type.Optional(nullable(Type.String())),
      placedAt: time,
      placedBy: Type.Optional(Type.String()),
    }),
  ),
  content: Type.Array(
    Type.Object({
      contentKey: Type.String(),
      type: Type.String(),
      deleteAfter: nullable(time),
      ruleId: nullable(Type.String()),
    }),
  ),
});

const rule = (r: RetentionRule) => ({ ...r });

function policyView(p: PolicyView) {
  return {
    status: p.status,
    pendingUntil: p.pendingUntil === null ? null : formatTime(p.pendingUntil),
    rules: p.rules.map(rule),
    pendingRules: p.pendingRules?.map(rule) ?? null,
    lastSweep: p.lastSweep && { at: formatTime(p.lastSweep.at), deleted: p.lastSweep.deleted },
  };
}

function previewView(p: Preview) {
  return {
    at: formatTime(p.at),
    total: p.total,
    byRule: p.byRule,
    byType: p.byType,
    sample: p.sample.map((s) => ({ ...s, deleteAfter: formatTime(s.deleteAfter) })),
  };
}

function explanationView(e: Explanation) {
  const h = e.legalHold;
  return {
    guid: e.guid,
    legalHold: h && { ...h, placedAt: formatTime(h.placedAt) },
    content: e.content.map((c) => ({
      ...c,
      deleteAfter: c.deleteAfter === null ? null : formatTime(c.deleteAfter),
    })),
  };
}

export const retentionRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/retention',
      {
        config: admin,
        schema: {
          operationId: 'getRetentionPolicy',
          summary: "The account's retention policy, with a pending change and the last sweep [ext]",
          response: { 200: PolicyOut, ...errors },
        },
      },
      async (request) => policyView(await services.retention.get(request.ctx)),
    );

    app.put(
      '/retention',
      {
        config: admin,
        schema: {
          operationId: 'putRetentionPolicy',
          summary: 'Replace the retention policy; a change waits out the grace period in pendingRules [ext]',
          body: PolicyBody,
          response: { 200: PolicyOut, ...errors },
        },
      },
      async (request) => policyView(await services.retention.put(request.ctx, request.body)),
    );

    app.get(
      '/retention/preview',
      {
        config: admin,
        schema: {
          operationId: 'previewRetention',
          summary: 'What the rules in force at `at` (default now) would have deleted by then [ext]',
          querystring: Type.Object(
            { at: Type.Optional(Type.String({ description: 'ISO 8601 date-time' })) },
            { additionalProperties: false },
          ),
          response: { 200: PreviewOut, ...errors },
        },
      },
      async (request) =>
        previewView(await services.retention.preview(request.ctx, optionalTimeParam('at', request.query.at))),
    );

    app.post(
      '/retention/sweep',
      {
        config: admin,
        schema: {
          operationId: 'sweepRetention',
          summary: "Run a sweep of this account's retention now [ext]",
          response: { 202: Type.Object({ requested: Type.Boolean() }), ...errors },
        },
      },
      async (request, reply) => reply.code(202).send(await services.retention.requestSweep(request.ctx)),
    );

    app.get(
      '/interactions/:guid/retention',
      {
        config: read,
        schema: {
          operationId: 'explainRetention',
          summary: 'When each content item of an interaction is deleted by retention, and why [ext]',
          params: GuidParams,
          response: { 200: ExplanationOut, ...errors },
        },
      },
      async (request) => explanationView(await services.retention.explain(request.ctx, request.params.guid)),
    );
  };
