import { AppError, badRequest } from '../core/errors.js';

// The export API's errors; the HTTP error handler maps each to its status and {"message","code"}.

export const invalidField = (field: string, problem: string, code = 'invalid_request') =>
  badRequest(`Invalid field '${field}': ${problem}`, code);

export const storageNotFound = (id: string) =>
  new AppError({
    status: 404,
    code: 'external_storage_not_found',
    message: `External storage item '${id}' was not found`,
  });

export const exportJobNotFound = (id: string) =>
  new AppError({ status: 404, code: 'job_not_found', message: `Job '${id}' was not found` });

export const storageInUse = (jobIds: string[]) =>
  new AppError({
    status: 409,
    code: 'external_storage_in_use',
    message: `Can't delete external storage, it's referenced by unfinished job(s): ${jobIds.join(', ')}. Cancel them first (DELETE /interaction-content-export/interactions/jobs/{jobId}).`,
  });

export const storageTestFailed = (bucket: string, reason: string) =>
  badRequest(`The test write to bucket '${bucket}' failed: ${reason}`, 'storage_test_failed');
