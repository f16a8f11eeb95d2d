/**
 * Stand-in types for `@seriousme/openapi-schema-validator` (2.x) until it is a devDependency:
 * delete this file once it is installed (these declarations would otherwise shadow its own types).
 */
declare module '@seriousme/openapi-schema-validator' {
  export class Validator {
    constructor(options?: Record<string, unknown>);
    validate(
      schema: Record<string, unknown> | string,
    ): Promise<{ valid: boolean; errors?: Array<Record<string, unknown>> | string }>;
  }
}
