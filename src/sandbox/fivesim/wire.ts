/** The 5sim JSON shapes (contract §B.2), written here apart from the client's parser on purpose. */
import type { SandboxOrder, SandboxSms } from './state.js';

export const API = '/v1';

/** Account-currency units from cents (the sandbox account is in dollars). */
export const units = (cents: number) => Math.round(cents) / 100;

export const smsJson = (sms: SandboxSms) => ({
  id: sms.id,
  created_at: sms.createdAt.toISOString(),
  date: sms.createdAt.toISOString(),
  sender: sms.sender,
  text: sms.text,
  code: sms.code,
});

export const orderJson = (order: SandboxOrder) => ({
  id: order.id,
  phone: order.phone,
  operator: order.operator,
  product: order.product,
  price: units(order.priceCents),
  status: order.status,
  expires: order.expires.toISOString(),
  sms: order.sms.length ? order.sms.map(smsJson) : null,
  created_at: order.createdAt.toISOString(),
  forwarding: false,
  forwarding_number: '',
  country: order.country,
});
