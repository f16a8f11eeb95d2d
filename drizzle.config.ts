import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations from the module schemas; they are applied at start by the runtime migrator.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/modules/*/schema.ts',
  out: './drizzle',
});
