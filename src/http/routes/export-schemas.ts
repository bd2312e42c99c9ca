import { Type } from 'typebox';
import { formatTime } from '../../core/time.js';
import { CONTENT_TYPES } from '../../core/types.js';
import type { ExportJobView } from '../../export/export-service.js';
import type { StorageItem } from '../../export/types.js';

// Wire schemas and shapes of the Interaction Content Export API (/interaction-content-export).

const text = (max: number, description?: string) =>
  Type.String({ minLength: 1, maxLength: max, description });

export const StorageCredentials = Type.Object(
  {
    bucketName: text(63),
    region: text(32, 'e.g. us-east-1'),
    roleArn: Type.Optional(text(2048, 'VCC field; refused here (see docs/export.md)')),
    accessKeyId: Type.Optional(text(128)),
    secretAccessKey: Type.Optional(text(256, 'Stored sealed; never returned')),
    endpoint: Type.Optional(text(2048, '[ext] an S3-compatible endpoint, e.g. https://minio.example:9000')),
    forcePathStyle: Type.Optional(Type.Boolean({ description: '[ext] path-style addressing (MinIO, Ceph)' })),
    prefix: Type.Optional(Type.String({ maxLength: 512, description: '[ext] key prefix, e.g. ics-export/' })),
  },
  { additionalProperties: false },
);

export const NewStorageBody = Type.Object(
  {
    name: text(200),
    storageProvider: Type.String({ description: 'AWS_S3' }),
    credentials: StorageCredentials,
  },
  { additionalProperties: false },
);

export const StorageView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    storageProvider: Type.String({ enum: ['AWS_S3'] }),
    credentials: Type.Object({
      bucketName: Type.String(),
      region: Type.String(),
      endpoint: Type.Optional(Type.String()),
      forcePathStyle: Type.Boolean(),
      prefix: Type.String(),
      accessKeyId: Type.Union([Type.String(), Type.Null()], {
        description: 'Masked: only the last four characters',
      }),
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'ExternalStorage' },
);

const Filters = Type.Object(
  {
    contentTypes: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), {
        maxItems: 50,
        description: `Any of ${CONTENT_TYPES.join(', ')}; empty = all`,
      }),
    ),
    initialDirection: Type.Optional(
      Type.Array(Type.String({ maxLength: 16 }), {
        maxItems: 10,
        description: 'inbound, outbound; empty = both',
      }),
    ),
  },
  { additionalProperties: false },
);

export const BatchBody = Type.Object(
  {
    startDate: Type.String({ description: 'ISO 8601; interactions that start at or after it' }),
    endDate: Type.String({ description: 'ISO 8601; inclusive' }),
    filters: Type.Optional(Filters),
    externalStorageId: Type.String(),
  },
  { additionalProperties: false },
);

export const RecurringBody = Type.Object(
  {
    startDate: Type.String({ description: 'ISO 8601; interactions that start at or after it' }),
    filters: Type.Optional(Filters),
    externalStorageId: Type.String(),
  },
  { additionalProperties: false },
);

export const JobView = Type.Object(
  {
    jobId: Type.String({ format: 'uuid' }),
    type: Type.String({ enum: ['export-batch', 'export-recurring'] }),
    startDate: Type.String({ format: 'date-time' }),
    endDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    status: Type.String({ enum: ['Scheduled', 'Running', 'Completed', 'Cancelled', 'Failed'] }),
    exported: Type.Integer({ description: 'Content files in the target, skipped ones included' }),
    failed: Type.Integer({ description: 'Content files that could not be exported' }),
    skipped: Type.Integer({ description: '[ext] files that were already in place' }),
    filters: Type.Object({
      contentTypes: Type.Array(Type.String()),
      initialDirection: Type.Array(Type.String()),
    }),
    externalStorageId: Type.String({ format: 'uuid' }),
    createdAt: Type.String({ format: 'date-time', description: '[ext]' }),
    exportedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: '[ext] recurring: content modified before this time has been exported',
    }),
    error: Type.Union([Type.String(), Type.Null()], { description: '[ext] why the last run failed' }),
  },
  { $id: 'ExportJob' },
);

export const JobsQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const JobsPage = Type.Object({
  jobs: Type.Array(Type.Unsafe({ $ref: 'ExportJob#' })),
  page: Type.Integer(),
  count: Type.Integer(),
  pageCount: Type.Integer(),
  totalCount: Type.Integer(),
});

export function storageView(s: StorageItem) {
  return {
    id: s.id,
    name: s.name,
    storageProvider: s.provider,
    credentials: {
      bucketName: s.bucket,
      region: s.region,
      ...(s.endpoint !== undefined && { endpoint: s.endpoint }),
      forcePathStyle: s.forcePathStyle,
      prefix: s.prefix,
      accessKeyId: s.accessKeyHint === null ? null : `…${s.accessKeyHint}`,
    },
    createdAt: formatTime(s.createdAt),
  };
}

export function jobView(j: ExportJobView) {
  return {
    ...j,
    startDate: formatTime(j.startDate),
    endDate: j.endDate === null ? null : formatTime(j.endDate),
    createdAt: formatTime(j.createdAt),
    exportedUntil: j.exportedUntil === null ? null : formatTime(j.exportedUntil),
  };
}
