import type { FastifyInstance } from 'fastify';
import type { Config } from '../../platform/config.js';
import { registerMfaRoutes } from './routes/mfa-routes.js';
import { registerPasswordRoutes } from './routes/password-routes.js';
import { registerRegistrationRoutes } from './routes/registration-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import type { AccountsService } from './service.js';

/** The routes of SPEC §13 "auth": sign-up, sign-in, tokens, sessions, MFA, captcha, me. */
export interface AccountsRoutesDeps {
  config: Pick<Config, 'isProduction'>;
  accounts: AccountsService;
}

export function registerAccountsRoutes(app: FastifyInstance, deps: AccountsRoutesDeps): void {
  const { accounts } = deps;
  registerRegistrationRoutes(app, accounts);
  registerSessionRoutes(app, accounts, deps.config.isProduction);
  registerPasswordRoutes(app, accounts);
  registerMfaRoutes(app, accounts);
}
