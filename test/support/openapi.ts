/**
 * Checks on the OpenAPI document: the validator library for the OpenAPI specification itself, and
 * our own rules on top (every operation documents a success schema and its error responses).
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { ERROR_STATUS, type ErrorCode } from '../../src/platform/errors.js';
import { ERROR_SCHEMA_REF } from '../../src/platform/http/openapi.js';

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  enum?: unknown[];
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: Schema }>;
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, Response> }>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
/** Success answers without a body. */
const BODYLESS = new Set(['204', '205', '304']);

/** The OpenAPI specification's own schema, checked by a library (not by us). */
export async function validateOpenApi(doc: OpenApiDocument): Promise<{ valid: boolean; errors: unknown }> {
  const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
  return { valid: result.valid, errors: result.errors };
}

/** Every operation as `METHOD /path`, with its responses. */
export function operationsOf(doc: OpenApiDocument): Array<[string, Record<string, Response>]> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]): [string, Record<string, Response>] => [
        `${method.toUpperCase()} ${path}`,
        op.responses ?? {},
      ]),
  );
}

const referencesErrorSchema = (schema: Schema | undefined): boolean =>
  schema?.$ref === ERROR_SCHEMA_REF || (schema?.allOf ?? []).some(referencesErrorSchema);

const codesOf = (schema: Schema | undefined): unknown[] => [
  ...(schema?.properties?.error?.properties?.code?.enum ?? []),
  ...(schema?.allOf ?? []).flatMap(codesOf),
];

/** `4XX` covers 400–499; `404` only itself. */
const statusMatches = (documented: string, status: number) =>
  /^[45]XX$/i.test(documented) ? documented[0] === String(status)[0] : documented === String(status);

/**
 * What the document fails to say, one line per problem: an operation without a success response
 * schema (2xx with a body schema, or a bodiless 204/3xx), without an error response, or an error
 * response that does not reference the `Error` schema or lists codes that are not `ErrorCode`s of
 * its status.
 */
export function documentationProblems(doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  const known = new Set<string>(Object.keys(ERROR_STATUS));
  const errorEnum = doc.components?.schemas?.Error?.properties?.error?.properties?.code?.enum ?? [];
  if ([...errorEnum].sort().join() !== [...known].sort().join()) {
    problems.push('components.schemas.Error does not enumerate exactly the ErrorCode union');
  }
  for (const [operation, responses] of operationsOf(doc)) {
    const statuses = Object.keys(responses);
    const successes = statuses.filter((s) => /^[23]/.test(s));
    if (successes.length === 0) problems.push(`${operation}: no success response`);
    for (const status of successes.filter((s) => /^2/.test(s) && !BODYLESS.has(s))) {
      const media = Object.values(responses[status]?.content ?? {});
      if (!media.some((m) => m.schema && Object.keys(m.schema).length > 0)) {
        problems.push(`${operation}: ${status} has no response schema`);
      }
    }
    const errors = statuses.filter((s) => /^[45]/.test(s));
    if (errors.length === 0) problems.push(`${operation}: no error response`);
    for (const status of errors) {
      const schema = responses[status]?.content?.['application/json']?.schema;
      if (!referencesErrorSchema(schema)) {
        problems.push(`${operation}: ${status} does not reference ${ERROR_SCHEMA_REF}`);
      }
      const codes = codesOf(schema);
      if (codes.length === 0) problems.push(`${operation}: ${status} lists no error code`);
      for (const code of codes) {
        if (typeof code !== 'string' || !known.has(code)) {
          problems.push(`${operation}: ${status} lists ${String(code)}, which is no ErrorCode`);
        } else if (!statusMatches(status, ERROR_STATUS[code as ErrorCode])) {
          problems.push(
            `${operation}: ${status} lists ${code}, whose status is ${ERROR_STATUS[code as ErrorCode]}`,
          );
        }
      }
    }
  }
  return problems;
}
