// Helpers for the browser tests: real partnercloud processes on free ports, a tiny step runner,
// an HTTP client for the API, axe-core checks and screenshots.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Waits until `fn` returns a truthy value (polled), or throws after `ms` with `what`. */
export async function waitFor(what, fn, ms = 30000, every = 200) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** A partnercloud process (sandbox or demo) listening on a free port, with its output kept. */
export class Proc {
  constructor(name, binary, args, dir) {
    this.name = name;
    this.portFile = path.join(dir, `${name}.port`);
    fs.rmSync(this.portFile, { force: true });
    this.log = fs.openSync(path.join(dir, `${name}.log`), 'a');
    this.logPath = path.join(dir, `${name}.log`);
    this.child = spawn(binary, [...args, '--port', '0', '--port-file', this.portFile], {
      stdio: ['ignore', this.log, this.log],
      env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0' },
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, sig) => resolve(code ?? sig)));
  }
  async ready() {
    const port = await waitFor(`${this.name} to listen`, async () => {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited: ${fs.readFileSync(this.logPath, 'utf8').slice(-2000)}`);
      const t = fs.existsSync(this.portFile) ? fs.readFileSync(this.portFile, 'utf8').trim() : '';
      return /^\d+$/.test(t) ? Number(t) : null;
    }, 60000);
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(20000).then(() => 'timeout')]);
    if (code === 'timeout') this.child.kill('SIGKILL');
    fs.closeSync(this.log);
    return code;
  }
}

/** A minimal API client with a bearer token (the browser uses the cookie; tests set up data). */
export class Api {
  constructor(base) {
    this.base = base;
    this.token = null;
  }
  async call(method, p, body) {
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, text, json };
  }
  async login(email, password = 'demo') {
    const r = await this.call('POST', '/api/v1/session', { email, password });
    if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${r.text}`);
    this.token = r.json.token;
    return this;
  }
}

/** Steps run in order; a failed step fails the run, later steps that need it are skipped. */
export class Steps {
  constructor() {
    this.results = [];
    this.failedNames = new Set();
  }
  async run(name, fn, { needs = [] } = {}) {
    const missing = needs.filter((n) => this.failedNames.has(n));
    if (missing.length) {
      this.results.push({ name, ok: false, skipped: true });
      this.failedNames.add(name);
      console.log(`SKIP ${name} (needs ${missing.join(', ')})`);
      return;
    }
    const t0 = Date.now();
    try {
      await fn();
      this.results.push({ name, ok: true });
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      this.results.push({ name, ok: false });
      this.failedNames.add(name);
      console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n     ')}`);
    }
  }
  summary() {
    const passed = this.results.filter((r) => r.ok).length;
    const failed = this.results.length - passed;
    console.log(`${passed} passed, ${failed} failed`);
    return failed === 0;
  }
}

/** Runs axe-core on the page; throws listing serious and critical violations. */
export async function checkA11y(page, label) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) throw new Error(`axe on ${label}: ${JSON.stringify(bad, null, 1)}`);
  return result;
}
