import { AppError, badRequest } from '../core/errors.js';

// The deletion-job API's errors; the HTTP error handler maps each to its status and {"message","code"}.

export const invalidField = (field: string, problem: string) =>
  badRequest(`Invalid field '${field}': ${problem}`, 'invalid_request');

export const deletionJobNotFound = (id: string) =>
  new AppError({
    status: 404,
    code: 'deletion_job_not_found',
    message: `Deletion job '${id}' was not found`,
  });

export const jobFinished = (id: string, status: string) =>
  new AppError({
    status: 409,
    code: 'deletion_job_finished',
    message: `Deletion job '${id}' is ${status}; only queued, running or waiting jobs can be cancelled`,
  });

export const certificateNotReady = (id: string, status: string) =>
  new AppError({
    status: 409,
    code: 'deletion_job_not_finished',
    message: `Deletion job '${id}' is ${status}; its certificate exists once it has finished`,
  });

export const noCertificateForDryRun = (id: string) =>
  new AppError({
    status: 404,
    code: 'certificate_not_found',
    message: `Deletion job '${id}' is a dry run: it deleted nothing, so it has no erasure certificate`,
  });
