export { createFiveSimClient } from './client.js';
export type { FiveSimClient, FiveSimClientOptions } from './client.js';
export { FiveSimError, isFiveSimError } from './errors.js';
export type { FiveSimErrorKind } from './errors.js';
export type * from './types.js';
