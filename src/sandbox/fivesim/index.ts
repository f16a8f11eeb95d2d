export { startFiveSimSandbox } from './server.js';
export type { FiveSimSandbox, FiveSimSandboxOptions } from './server.js';
export type { FiveSimSandboxControl } from './control.js';
export type { FaultMode, FaultSpec, RequestLogEntry } from './faults.js';
export type { SandboxOrder, SandboxSms } from './state.js';
