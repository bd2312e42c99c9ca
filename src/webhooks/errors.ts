import { AppError, badRequest } from '../core/errors.js';

// The Webhooks API's errors; the HTTP error handler maps each to its status and {"message","code"}.

export const invalidField = (field: string, problem: string) =>
  badRequest(`Invalid field '${field}': ${problem}`, 'invalid_field');

export const subscriptionNotFound = (id: string) =>
  new AppError({
    status: 404,
    code: 'subscription_not_found',
    message: `Subscription '${id}' was not found`,
  });

export const subscriptionNameTaken = (name: string) =>
  new AppError({
    status: 409,
    code: 'subscription_name_taken',
    message: `Invalid field 'name': the account already has a subscription named '${name}'`,
  });
