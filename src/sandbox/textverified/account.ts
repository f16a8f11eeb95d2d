/**
 * The sandbox's TextVerified account: the service catalogue with its stock and prices, and the
 * balance. Verifications (state.ts) are bought against it.
 */
import {
  AREA_CODE_SURCHARGE_CENTS,
  CARRIER_SURCHARGE_CENTS,
  MOCK_PRICE_CENTS,
  MOCK_SCENARIOS,
  defaultServices,
  type SandboxService,
} from './catalog.js';

/** A refusal in the provider's own terms: HTTP status + `Error` body. */
export class SandboxApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | null,
    readonly errorDescription: string,
  ) {
    super(errorDescription);
    this.name = 'SandboxApiError';
  }
}

export const bad = (description: string, code: string | null = null) =>
  new SandboxApiError(400, code, description);

const CAPABILITIES = new Set(['sms', 'voice', 'smsAndVoiceCombo']);
const NUMBER_TYPES = new Set(['mobile', 'voip', 'landline']);

export class SandboxAccount {
  readonly services = new Map<string, SandboxService>();

  constructor(public balanceCents: number) {
    for (const service of defaultServices()) this.services.set(service.serviceName, service);
  }

  service(name: unknown): SandboxService {
    if (typeof name !== 'string' || name.trim() === '') throw bad('serviceName is required.');
    const service = this.services.get(name.trim().toLowerCase());
    if (!service) throw bad(`Service '${name}' is not offered for verifications.`, 'InvalidServiceName');
    return service;
  }

  checkCapability(service: SandboxService, capability: unknown): string {
    if (typeof capability !== 'string' || !CAPABILITIES.has(capability)) {
      throw bad('capability must be one of sms, voice, smsAndVoiceCombo.');
    }
    if (capability !== 'sms' && service.capability !== 'smsAndVoiceCombo') {
      throw bad(`Service '${service.serviceName}' does not support ${capability}.`, 'InvalidCapability');
    }
    return capability;
  }

  checkCapabilityValue(capability: unknown): void {
    if (typeof capability !== 'string' || !CAPABILITIES.has(capability)) {
      throw bad('capability must be one of sms, voice, smsAndVoiceCombo.');
    }
  }

  /** `POST /pricing/verifications`. */
  price(body: Record<string, unknown>): { serviceName: string; priceCents: number; mock: boolean } {
    const name = typeof body.serviceName === 'string' ? body.serviceName.trim().toLowerCase() : '';
    for (const field of ['areaCode', 'carrier'] as const) {
      if (typeof body[field] !== 'boolean') throw bad(`${field} is a required boolean.`);
    }
    if (typeof body.numberType !== 'string' || !NUMBER_TYPES.has(body.numberType))
      throw bad('numberType is required.');
    if (MOCK_SCENARIOS.has(name)) {
      this.checkCapabilityValue(body.capability);
      return { serviceName: name, priceCents: MOCK_PRICE_CENTS, mock: true };
    }
    const service = this.service(name);
    this.checkCapability(service, body.capability);
    if (body.numberType === 'landline') throw bad('Landline numbers are not offered for verifications.');
    const priceCents =
      service.priceCents +
      (body.areaCode === true ? AREA_CODE_SURCHARGE_CENTS : 0) +
      (body.carrier === true ? CARRIER_SURCHARGE_CENTS : 0);
    return { serviceName: service.serviceName, priceCents, mock: false };
  }

  /** `POST /inventory/verifications`. */
  inventory(body: Record<string, unknown>): { availableQuantity: number; mock: boolean } {
    const name = typeof body.serviceName === 'string' ? body.serviceName.trim().toLowerCase() : '';
    if (MOCK_SCENARIOS.has(name))
      return { availableQuantity: name === 'test_no_numbers' ? 0 : 9000, mock: true };
    const service = this.service(name);
    this.checkCapability(service, body.capability ?? 'sms');
    return { availableQuantity: Math.min(9000, Math.max(0, service.stock)), mock: false };
  }

  setStock(serviceName: string, stock: number): void {
    const service = this.services.get(serviceName.toLowerCase());
    if (!service) throw new SandboxApiError(404, 'NotFound', `Unknown service '${serviceName}'.`);
    service.stock = Math.max(0, Math.floor(stock));
  }
}
