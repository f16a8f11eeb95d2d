/** The SMS-Activate-compatible API's public surface (`/stubs/handler_api.php`). */
export { type SmsActivateRoutesDeps, registerSmsActivateRoutes } from './routes.js';
export { type SmsActivateDeps, type SmsActivateService, createSmsActivateService } from './service.js';
