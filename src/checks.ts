/**
 * The checks every module makes of what it is passed, and the one voice of
 * their messages: "<option>: expected …, got …. <what to do>". A check that
 * fails throws an `SSEOptionError` before anything is set up.
 *
 * Internal: below the wire layer, imported by every other.
 *
 * @module
 */
import { SSEOptionError } from './errors.ts';

/**
 * @internal The longest delay a timer takes, in milliseconds: 2^31-1, about
 * 24.8 days. Timers in browsers, Node, Deno, Bun and workerd take a 32-bit
 * signed delay: a longer one fires after 1 ms instead.
 */
export const MAX_DELAY = 2_147_483_647;

const DEFAULT = 'Leave it out for the default.';

/**
 * @internal Throws an `SSEOptionError` that reads "`option`: expected
 * `expected`, got <value>. `advice`", unless `ok`.
 */
export function need(
  ok: unknown,
  option: string,
  expected: string,
  value: unknown,
  advice = DEFAULT,
): asserts ok {
  if (!ok) {
    throw new SSEOptionError(`${option}: expected ${expected}, got ${describe(value)}. ${advice}`);
  }
}

/**
 * @internal The `SSEOptionError` of {@link need}, `got` said by the caller:
 * where {@link describe} would not say enough, or a small entry does
 * without it.
 */
export function refuse(
  option: string,
  expected: string,
  got: string | number,
  advice = DEFAULT,
): never {
  throw new SSEOptionError(`${option}: expected ${expected}, got ${got}. ${advice}`);
}

/** @internal A function, or an `SSEOptionError`. */
export function needFunction(option: string, value: unknown, advice?: string): void {
  need(typeof value === 'function', option, 'a function', value, advice);
}

/** @internal A whole number above 0 (a count, a size in bytes), or an `SSEOptionError`. */
export function needCount(option: string, value: unknown, advice?: string): void {
  need(isCount(value), option, 'a whole number above 0', value, advice);
}

/** @internal What {@link needDelay} expects, in its messages. */
export const DELAY = 'a number of milliseconds above 0, at most 2147483647';

/** @internal A delay a timer can wait (see {@link isDelay}), or an `SSEOptionError`. */
export function needDelay(option: string, value: unknown, advice?: string): void {
  need(isDelay(value), option, DELAY, value, advice);
}

/**
 * @internal A timeout option in milliseconds: `fallback` when left out, 0
 * (none) for `false` or 0, else a number above 0, clamped to
 * {@link MAX_DELAY} (a longer one would fire at once), or an `SSEOptionError`.
 */
export function timeoutOption(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === false || value === 0) return 0;
  need(
    typeof value === 'number' && value > 0,
    option,
    'milliseconds above 0, or false to turn it off',
    value,
  );
  return Math.min(value as number, MAX_DELAY);
}

/** @internal An object (not null); arrays and functions count. */
export function isObject(value: unknown): value is Record<PropertyKey, any> {
  return typeof value === 'object' && value !== null;
}

/** @internal An object literal's kind: its prototype `Object.prototype` or none. */
export function isPlainObject(value: unknown): value is Record<PropertyKey, any> {
  if (!isObject(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** @internal A promise, or anything `await` would wait on. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown>)?.then === 'function';
}

/** @internal A whole number above 0. */
export function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

/** @internal A number of milliseconds above 0 that a timer can wait ({@link MAX_DELAY} at most). */
export function isDelay(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_DELAY;
}

/** @internal A short description of a bad value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  }
  if (typeof value === 'bigint') return value + 'n';
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
