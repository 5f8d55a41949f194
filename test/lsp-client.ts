// The JSON-RPC client the language-server tests (test/lsp.test.ts, test/onnx-lsp.test.ts) speak to
// the real process with: bin/netcost-language-server.js --stdio, running the bundled dist/server.js.
// Every session bounds every wait with a timeout (a hang fails the test instead of blocking the
// suite) and kills its process at the end of its test. A plain module: the runner picks up
// test/*.test.ts only.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

export const root = join(__dirname, '..');
const BIN = join(root, 'bin', 'netcost-language-server.js');
/** ms: any single response or notification, unless the session says otherwise (`ClientOptions.wait`) */
export const WAIT = 10_000;

// ---- LSP shapes used by the tests (they speak plain JSON-RPC; these mirror the protocol)
export interface Pos { line: number; character: number }
export interface Range { start: Pos; end: Pos }
export interface Diagnostic { range: Range; severity: number; code: string; codeDescription?: { href: string }; source: string; message: string }
export interface PublishDiagnostics { uri: string; version?: number; diagnostics: Diagnostic[] }
export interface InlayHint { position: Pos; label: string; paddingLeft?: boolean; tooltip?: string }
export interface Hover { contents: { kind: string; value: string }; range?: Range }
/** the answer to `netcost/onnxListing`: a model's listing and the `netcost-onnx:` URI to open it under */
export interface Listing { text: string; uri: string }
export interface Progress { token: string | number; value: { kind: string; title?: string; message?: string } }

/** DiagnosticSeverity */
export const ERROR = 1;
export const WARNING = 2;
export const INFORMATION = 3;

/** dist/ must be current (`before(ensureBuilt)`): build it when dist/server.js or dist/cli.js is missing or older than a source file. */
export function ensureBuilt(): void {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs));
  const src = newest(join(root, 'server', 'src'));
  if (![join(root, 'dist', 'server.js'), join(root, 'dist', 'cli.js')].every((f) => existsSync(f) && statSync(f).mtimeMs >= src)) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `build failed: ${r.stderr}`);
  }
}

/** `p`, or a rejection after `ms`; the timer is registered in `timers` so a finished test can drop it. */
export function within<T>(p: Promise<T>, what: string, timers?: Set<NodeJS.Timeout>, ms = WAIT): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    timers?.add(timer);
  });
  return Promise.race([p, timeout]).finally(() => { clearTimeout(timer); timers?.delete(timer!); });
}

export interface ClientOptions {
  /** declare `workspace.configuration` and answer `workspace/configuration` with this (called per request) */
  configuration?: () => unknown;
  /** declare `workspace.inlayHint.refreshSupport` */
  refreshSupport?: boolean;
  /** declare `window.workDoneProgress` */
  workDoneProgress?: boolean;
  /** ms for any single wait of this session (default WAIT) */
  wait?: number;
}

export class Session {
  readonly conn: MessageConnection;
  readonly proc: ChildProcessWithoutNullStreams;
  readonly published: PublishDiagnostics[] = [];
  readonly logs: { type: number; message: string }[] = [];
  /** every request the server sent to the client, in order */
  readonly serverRequests: { method: string; params: unknown }[] = [];
  /** every `$/progress`, in order */
  readonly progress: Progress[] = [];
  /** requests and progress notifications interleaved, in arrival order */
  readonly events: string[] = [];
  stderr = '';
  private waiters: { uri: string; pred: (p: PublishDiagnostics) => boolean; resolve: (p: PublishDiagnostics) => void }[] = [];
  private refreshWaiters: (() => void)[] = [];
  private exited: Promise<number | null>;
  /** timeouts of the waits under way: a test that fails early leaves waits nobody awaits any more */
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wait: number;

  constructor(private readonly options: ClientOptions) {
    this.wait = options.wait ?? WAIT;
    this.proc = spawn(process.execPath, [BIN, '--stdio'], { cwd: root, stdio: 'pipe' });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout), new StreamMessageWriter(this.proc.stdin));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnostics) => {
      this.published.push(p);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri !== p.uri || !w.pred(p)) return true;
        w.resolve(p);
        return false;
      });
    });
    this.conn.onNotification('window/logMessage', (p: { type: number; message: string }) => { this.logs.push(p); });
    this.conn.onNotification('$/progress', (p: Progress) => {
      this.progress.push(p);
      this.events.push(`progress ${p.value.kind} ${p.token}`);
    });
    this.conn.onRequest((method: string, params: unknown) => {
      this.serverRequests.push({ method, params });
      this.events.push(method === 'window/workDoneProgress/create' ? `create ${(params as { token: string | number }).token}` : method);
      if (method === 'workspace/configuration' && options.configuration) {
        return (params as { items: unknown[] }).items.map(() => options.configuration!());
      }
      if (method === 'workspace/inlayHint/refresh') {
        for (const f of this.refreshWaiters.splice(0)) f();
        return null;
      }
      return null;
    });
    this.conn.listen();
  }

  /** `initialize` with the capabilities of the options, then `initialized`. */
  async initialize(): Promise<{ capabilities: Record<string, unknown>; serverInfo?: { name: string } }> {
    const workspace: Record<string, unknown> = {};
    if (this.options.configuration) workspace.configuration = true;
    if (this.options.refreshSupport) workspace.inlayHint = { refreshSupport: true };
    const window: Record<string, unknown> = {};
    if (this.options.workDoneProgress) window.workDoneProgress = true;
    const result = await this.request<{ capabilities: Record<string, unknown> }>('initialize', {
      processId: process.pid, // the server exits if the test process dies
      rootUri: null,
      workspaceFolders: null,
      capabilities: { workspace, window, textDocument: { inlayHint: {}, hover: { contentFormat: ['markdown'] }, publishDiagnostics: { versionSupport: true } } },
    });
    await this.conn.sendNotification('initialized', {});
    return result;
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return within(this.conn.sendRequest<T>(method, params), `${method} response`, this.timers, this.wait);
  }
  /**
   * A request whose error answer is data: `{ result }` or `{ error: { code, message } }`. With
   * `cancel`, the client sends `$/cancelRequest` for it right after sending it.
   */
  async settle<T>(method: string, params: unknown, cancel = false): Promise<{ result: T } | { error: { code: number; message: string } }> {
    const source = new CancellationTokenSource();
    const sent = this.conn.sendRequest<T>(method, params, source.token);
    if (cancel) source.cancel();
    try {
      return { result: await within(sent, `${method} response`, this.timers, this.wait) };
    } catch (e) {
      if (e instanceof ResponseError) return { error: { code: e.code, message: e.message } };
      throw e;
    } finally {
      source.dispose();
    }
  }
  /** The error messages the server logged (window/logMessage of type Error). */
  errors(): string[] {
    return this.logs.filter((l) => l.type === 1).map((l) => l.message);
  }
  notify(method: string, params: unknown): Promise<void> {
    return this.conn.sendNotification(method, params);
  }

  /** The first diagnostics for `uri` published from now on that satisfy `pred` (call before the trigger). */
  nextDiagnostics(uri: string, pred: (p: PublishDiagnostics) => boolean = () => true): Promise<PublishDiagnostics> {
    return within(new Promise((resolve) => this.waiters.push({ uri, pred, resolve })), `diagnostics for ${uri}`, this.timers, this.wait);
  }
  /** The next workspace/inlayHint/refresh request (call before the trigger). */
  nextRefresh(): Promise<void> {
    return within(new Promise<void>((resolve) => this.refreshWaiters.push(resolve)), 'workspace/inlayHint/refresh', this.timers, this.wait);
  }

  /** Opens a `.net` document; its first diagnostics. */
  async open(uri: string, text: string, version = 1): Promise<PublishDiagnostics> {
    const diagnostics = this.nextDiagnostics(uri, (p) => p.version === version);
    await this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'netcost', version, text } });
    return diagnostics;
  }
  /** Sends `textDocument/didChange` with these content changes. */
  change(uri: string, version: number, contentChanges: unknown[]): Promise<void> {
    return this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }
  hints(uri: string, startLine: number, endLine: number): Promise<InlayHint[]> {
    return this.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri }, range: { start: { line: startLine, character: 0 }, end: { line: endLine, character: 0 } },
    });
  }
  hover(uri: string, position: Pos): Promise<Hover | null> {
    return this.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
  }
  /** A model's listing (`netcost/onnxListing` for the model's file URI). */
  listing(fileUri: string): Promise<Listing | null> {
    return this.request<Listing | null>('netcost/onnxListing', { uri: fileUri });
  }
  /** Asks for the model's listing and opens it under the URI the server gave; its first diagnostics. */
  async openModel(path: string): Promise<{ listing: Listing; opened: PublishDiagnostics }> {
    const listing = await this.listing(pathToFileURL(path).href);
    assert.ok(listing, `a listing for ${path}`);
    return { listing, opened: await this.open(listing.uri, listing.text) };
  }

  /** Polls `cond` until it holds (bounded by the wait timeout). */
  until(cond: () => boolean, what: string): Promise<void> {
    return within((async () => { while (!cond()) await new Promise((r) => setTimeout(r, 10)); })(), what, this.timers, this.wait);
  }
  /** Always called at the end of a test: the process is gone afterwards, whatever happened. */
  async kill(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.conn.dispose();
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await within(this.exited, 'the server process to exit', undefined, this.wait);
  }
  /** A clean shutdown as the protocol asks: `shutdown` then `exit`; the process exits with 0. */
  async shutdown(): Promise<number | null> {
    assert.equal(await this.request('shutdown', null), null);
    await this.notify('exit', null);
    return within(this.exited, 'the server process to exit after `exit`', this.timers, this.wait);
  }
}

/** A new session for test `t`, killed when the test ends. */
export async function session(t: TestContext, options: ClientOptions = {}): Promise<Session> {
  const s = new Session(options);
  t.after(() => s.kill());
  return s;
}
