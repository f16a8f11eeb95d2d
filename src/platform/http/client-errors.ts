import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../errors.js';
import { SECURITY_HEADERS } from './security-headers.js';

/**
 * Node's HTTP parser refuses some requests (a non-numeric Content-Length, Content-Length with
 * chunked encoding, a malformed header, not HTTP at all) before Fastify builds a request, so no hook
 * runs and Fastify's default writes a bare 400. Answer like every other refusal instead: the API's
 * error shape and the security headers, then close the connection (its framing cannot be trusted).
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request_timeout', 'The request took too long to arrive.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ['headers_too_large', 'The request headers are too large.']
        : ['bad_request', 'The request could not be parsed.'];
  const status = ERROR_STATUS[code];
  this.log.debug({ code: error.code }, 'unparseable request refused');
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
  }
  socket.destroy(error);
}
