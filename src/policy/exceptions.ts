import type { Policy, PolicyException } from './policy.types.js';

/**
 * The exception in force for name@version on `today`: one naming that exact version first, else
 * one naming the package. Exact names only, never globs, so an exception cannot grow silently.
 */
export function findException(policy: Policy, name: string, version: string, today: Date): PolicyException | undefined {
  const inForce = policy.exceptions.filter((exception) => exception.name === name && !isExpired(exception, today));
  return inForce.find((exception) => exception.version === version) ?? inForce.find((exception) => exception.version === undefined);
}

/** One line per expired exception; each is a violation of its own (exceptions must expire, and then fail the run). */
export function expiredExceptions(policy: Policy, today: Date): string[] {
  return policy.exceptions.filter((exception) => isExpired(exception, today)).map(describeExpired);
}

/** An exception stops applying at the start (00:00 UTC) of its `expires` day. */
export function isExpired(exception: PolicyException, today: Date): boolean {
  return today.getTime() >= exception.expires.getTime();
}

export function describeExpired(exception: PolicyException): string {
  return `exception for ${exceptionSpec(exception)} expired on ${formatDay(exception.expires)}: ${exception.reason.replace(/\s+/g, ' ')}`;
}

export function exceptionSpec(exception: Pick<PolicyException, 'name' | 'version'>): string {
  return exception.version === undefined ? exception.name : `${exception.name}@${exception.version}`;
}

/** `name` or `name@version` (the `@` of a scope is not a separator). */
export function parseExceptionPackage(spec: string): { name: string; version?: string } {
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), version: spec.slice(at + 1) } : { name: spec };
}

/** `YYYY-MM-DD` as UTC midnight; undefined unless it is a real calendar day. */
export function parseDay(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : undefined;
}

export function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
