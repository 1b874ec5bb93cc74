// The generated client types (schema.ts) must be what openapi-typescript makes of the
// document the server serves (api/openapi.json, compiled into the binary). Regenerate with
// `npm run gen:api` when this fails.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('generated API types', () => {
  it('match api/openapi.json', () => {
    const web = path.resolve(__dirname, '../..');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pc-schema-')), 'schema.ts');
    execFileSync(path.join(web, 'node_modules/.bin/openapi-typescript'), [path.join(web, '../api/openapi.json'), '-o', out], {
      stdio: 'pipe',
    });
    const fresh = fs.readFileSync(out, 'utf8');
    const committed = fs.readFileSync(path.join(web, 'src/api/schema.ts'), 'utf8');
    expect(committed === fresh, 'web/src/api/schema.ts is stale: run `npm run gen:api` in web/').toBe(true);
  }, 30000);
});
