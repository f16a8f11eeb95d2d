/** The accounts' public surface: users, sessions, sign-in, and who is calling (authentication). */
export {
  type ApiKeyAuthentication,
  type AuthenticationDeps,
  createApiKeyAuthentication,
  registerAuthentication,
} from './authentication.js';
export { type AccountsJobsDeps, PRUNE_ACCOUNTS, defineAccountsJobs } from './jobs.js';
export { SEND_ACCOUNT_MAIL } from './mail.js';
export { type AccountsRoutesDeps, registerAccountsRoutes } from './routes.js';
export {
  type AppSecrets,
  type Sealer,
  createSealer,
  deriveKey,
  hashToken,
  newOpaqueToken,
  openSecret,
  sealSecret,
} from './secrets.js';
export {
  type AccountsDeps,
  type AccountsService,
  type PublicUser,
  type User,
  createAccountsService,
} from './service.js';
export { SEALED_MFA_SECRETS } from './schema.js';
