/** The catalogue's public surface: services, countries, prices and quotes. */
export { CAPABILITIES, type Capability } from './domain.js';
export { type CatalogRoutesDeps, registerCatalogRoutes } from './routes.js';
export {
  type CatalogDeps,
  type CatalogService,
  type CatalogSettings,
  type DeliveryFiguresSource,
  type Offer,
  type Quote,
  createCatalogService,
} from './service.js';
export { type DeliveryView, deliveryView } from './views.js';
