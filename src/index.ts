// The SDK's public surface: re-exports only.
export { KedgeError, InvalidInputError } from './core/errors.js';
export type { Clock, Rng, Sleep } from './core/clock.js';
