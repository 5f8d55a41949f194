// "NetCost: Measure Latency (ONNX Runtime, CPU)" and "NetCost: Install ONNX Runtime".
//
// Measuring runs the bundled CLI, `netcost measure FILE --json --progress ndjson`, as a child process
// (VS Code's own Node: process.execPath with ELECTRON_RUN_AS_NODE=1, as the language server runs):
// ONNX Runtime is native code, and a crash of it must take down neither the extension host nor the
// language server, so neither ever loads it. The child's progress lines drive a notification whose
// Cancel kills it; its Measurement goes to the server (`netcost/measurement`, ide/measured.ts) for the
// hovers, its table to the output channel "NetCost Measure".
//
// ONNX Runtime is not in the .vsix (onnxruntime-node is 288 MB unpacked for all platforms). The CLI
// finds it through NETCOST_ONNXRUNTIME, which this sets to, in order: the setting
// `netcost.measure.onnxruntimePath`; the copy "Install ONNX Runtime" put in the extension's global
// storage (`npm install onnxruntime-node@1.30.0 --ignore-scripts`: the CPU binaries ship inside the npm
// package, the install script only fetches CUDA ones); else nothing, and the CLI resolves the module
// normally (a development checkout has it in node_modules). Without it the CLI exits 3 and says how to
// get it; the error message offers the install.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  commands, ProgressLocation, Uri, window, workspace,
  type CancellationToken, type Disposable, type ExtensionContext, type TextDocument,
} from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { listingUri, modelUriOf, ONNX_SCHEME } from '../../server/src/ide/summary';
import { qpsText, timeText } from '../../server/src/ide/hardware-units';
import { MEASUREMENT_NOTIFICATION, type MeasurementParams } from '../../server/src/ide/measured';
import type { Measurement } from '../../server/src/measure/types';
import { measureTable } from '../../server/src/measure/report';
import { ORT_VERSION as RUNTIME_VERSION } from '../../server/src/measure/runtime';

export const MEASURE = 'netcost.measureLatency';
export const INSTALL_RUNTIME = 'netcost.installOnnxRuntime';
const INSTALL_BUTTON = 'Install ONNX Runtime';
/** `netcost measure` exit codes (cli/measure.ts) */
const EXIT = { ok: 0, file: 1, usage: 2, noRuntime: 3, runtimeFailed: 4 };

/** What the measure command resolves to (tests read it; a user sees the notifications). */
export interface MeasureResult {
  status: 'measured' | 'cancelled' | 'failed' | 'refused';
  /** the CLI's exit code, when it ran */
  exitCode?: number | null;
  /** the message shown */
  message?: string;
  measurement?: Measurement;
}

// ---- pure helpers
/** A progress line of the CLI's stderr (`{"progress":{"stage":"timing","done":3,"total":20}}`) as the notification's text; null for any other line. */
export function progressText(line: string): string | null {
  if (!line.startsWith('{')) return null;
  try {
    const p = (JSON.parse(line) as { progress?: { stage?: unknown; done?: unknown; total?: unknown } }).progress;
    if (!p || typeof p.stage !== 'string') return null;
    return typeof p.done === 'number' && typeof p.total === 'number' && p.total > 0 ? `${p.stage} (${p.done}/${p.total})` : p.stage;
  } catch {
    return null;
  }
}

/** `resnet50.net: 12.3 ms median (p90 13.0 ms), 81.3 samples/s at batch 1 with ONNX Runtime 1.30.0 on the CPU; estimate 9.80 ms on host-cpu` */
export function measuredText(name: string, m: Measurement): string {
  return `${name}: ${timeText(m.latency.medianSeconds)} median (p90 ${timeText(m.latency.p90Seconds)}), ${qpsText(m.throughput)} samples/s at batch ${m.batch} ` +
    `with ONNX Runtime ${m.runtime.version} on the CPU; estimate ${timeText(m.estimate.seconds)} on ${m.target.id}`;
}

/** A child's stderr without the progress lines, as one paragraph for a notification. */
const oneParagraph = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join(' ');

/** `~/x` -> the home directory's x */
const expandHome = (p: string) => (p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p);

// ---- the commands
/** the last measurement sent per document, with the text it was measured on: a restarted server gets them again (its state is what the client sends) */
const sent = new Map<string, { params: MeasurementParams; text?: string }>();

/**
 * The client's `didOpen` middleware: after a document is opened on the server (also when a restarted
 * server gets the open documents again), its measurement follows, so hovers keep their measured times.
 */
export async function didOpenThenMeasurement(client: () => LanguageClient | undefined, document: TextDocument, next: (d: TextDocument) => Promise<void>): Promise<void> {
  await next(document);
  const s = sent.get(document.uri.toString());
  if (!s) return;
  // the text it was measured on (an edit since, undone): current as of this version, not "before the last edit"
  const params = s.text !== undefined && s.text === document.getText() ? { ...s.params, version: document.version } : s.params;
  await client()?.sendNotification(MEASUREMENT_NOTIFICATION, params).catch(() => undefined);
}

export function registerMeasure(context: ExtensionContext, client: LanguageClient): Disposable[] {
  const output = window.createOutputChannel('NetCost Measure');
  const storage = path.join(context.globalStorageUri.fsPath, 'onnxruntime');
  const installed = path.join(storage, 'node_modules', 'onnxruntime-node');

  /**
   * NETCOST_ONNXRUNTIME for the CLI (measure/runtime.ts): the setting's directory and nothing else (`none`
   * ends the search: a wrong path is reported, not replaced by another copy), else the installed copy,
   * else unset (normal module resolution).
   */
  function runtimeEnv(scope: Uri): string | undefined {
    const set = workspace.getConfiguration('netcost.measure', scope).get<string>('onnxruntimePath', '').trim();
    if (set) return `${expandHome(set)}${path.delimiter}none`;
    return existsSync(path.join(installed, 'package.json')) ? installed : undefined;
  }

  /** What to measure: the file on disk, the document whose hovers show the result (its version now), or why there is none. */
  async function measuredFile(arg: unknown): Promise<{ file: string; uri: string; doc?: TextDocument } | { refused: string } | null> {
    const given = arg instanceof Uri && arg.scheme === 'file' ? arg : undefined;
    if (given?.path.endsWith('.onnx')) return { file: given.fsPath, uri: listingUri(given.toString()) };
    const doc = given ? workspace.textDocuments.find((d) => d.uri.toString() === given.toString()) : window.activeTextEditor?.document;
    if (given && !doc) return { file: given.fsPath, uri: given.toString() }; // a .net file from the explorer, not open
    if (!doc || doc.languageId !== 'netcost') return { refused: 'NetCost: open a .net file or an ONNX model to measure its latency.' };
    if (doc.uri.scheme === ONNX_SCHEME) {
      const model = modelUriOf(doc.uri.toString());
      return model ? { file: Uri.parse(model).fsPath, uri: doc.uri.toString(), doc } : null;
    }
    if (doc.uri.scheme !== 'file') return { refused: 'NetCost: save the network to a .net file to measure it (ONNX Runtime runs the file on disk).' };
    if (doc.isDirty) {
      // the CLI measures the file on disk: it is saved only when the user says so
      const answer = await window.showWarningMessage(`${path.basename(doc.uri.fsPath)} has unsaved changes. NetCost measures the file on disk.`, { modal: true }, 'Save and measure');
      if (answer !== 'Save and measure' || !(await doc.save())) return null;
    }
    return { file: doc.uri.fsPath, uri: doc.uri.toString(), doc };
  }

  /** Runs `netcost measure` in a child process; resolves with its exit code (null: killed by a signal), stdout and stderr. */
  function runCli(file: string, scope: Uri, report: (message: string) => void, token: CancellationToken) {
    const config = workspace.getConfiguration('netcost.measure', scope);
    const args = [context.asAbsolutePath(path.join('dist', 'cli.js')), 'measure', file, '--json', '--progress', 'ndjson', '--runs', String(config.get<number>('runs', 20))];
    const threads = config.get<number>('threads', 0);
    if (threads > 0) args.push('--threads', String(threads));
    // the batch and the symbolic dims the editor's figures use, so that the measured layers are those the hovers show
    const netcost = workspace.getConfiguration('netcost', scope);
    args.push('--batch', String(netcost.get<number>('batchSize', 1)));
    if (file.endsWith('.onnx')) for (const [dim, n] of Object.entries(netcost.get<Record<string, number>>('onnx.dims', {}))) args.push('--dim', `${dim}=${n}`);
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    const runtime = runtimeEnv(scope);
    if (runtime) env.NETCOST_ONNXRUNTIME = runtime;
    output.appendLine(`\n$ netcost measure ${file}${runtime ? ` (NETCOST_ONNXRUNTIME=${runtime})` : ''}`);
    return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; cancelled: boolean }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: path.dirname(file), env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let partial = '';
      let cancelled = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        const lines = (partial + d).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const p = progressText(line);
          if (p) report(p);
          else stderr += `${line}\n`;
        }
      });
      const cancel = token.onCancellationRequested(() => { cancelled = true; stop(child); });
      child.on('error', (e) => { stderr += `${String(e)}\n`; });
      child.on('close', (code, signal) => {
        cancel.dispose();
        resolve({ code, signal, stdout, stderr: stderr + partial, cancelled });
      });
    });
  }

  async function measureLatency(arg: unknown): Promise<MeasureResult> {
    if (!workspace.isTrusted) {
      const message = 'NetCost: Measure Latency runs ONNX Runtime (native code) on the workspace\'s model, which an untrusted workspace does not allow.';
      void window.showWarningMessage(message);
      return { status: 'refused', message };
    }
    const what = await measuredFile(arg);
    if (!what) return { status: 'cancelled' };
    if ('refused' in what) {
      void window.showInformationMessage(what.refused);
      return { status: 'refused', message: what.refused };
    }
    const name = path.basename(what.file);
    const version = what.doc?.version;
    const text = what.doc?.getText(); // the text measured (saved: the file on disk)
    const scope = Uri.file(what.file);
    const run = await window.withProgress({ location: ProgressLocation.Notification, title: `NetCost: measuring ${name} with ONNX Runtime`, cancellable: true },
      (progress, token) => runCli(what.file, scope, (message) => progress.report({ message }), token));
    if (run.stderr.trim()) output.append(run.stderr);
    if (run.cancelled) {
      output.appendLine('cancelled');
      return { status: 'cancelled', exitCode: run.code };
    }
    if (run.code === EXIT.ok) {
      let m: Measurement;
      try {
        m = JSON.parse(run.stdout) as Measurement;
      } catch {
        return fail(`NetCost: netcost measure printed no measurement for ${name}; see the output "NetCost Measure".`, run.code, run.stdout);
      }
      const params: MeasurementParams = { uri: what.uri, measurement: m, version };
      sent.set(what.uri, { params, text });
      await client.sendNotification(MEASUREMENT_NOTIFICATION, params).catch(() => undefined); // a server restarting meanwhile gets it with the document (didOpenThenMeasurement)
      output.append(measureTable(m));
      const message = `NetCost: ${measuredText(name, m)}. Hover a layer for its measured time.`;
      void window.showInformationMessage(message, 'Show Table').then((b) => b && output.show(true));
      return { status: 'measured', exitCode: run.code, message, measurement: m };
    }
    if (run.code === EXIT.noRuntime) {
      // the CLI says how to get it (measure/runtime.ts INSTALL_HINT); in VS Code the setting stands for NETCOST_ONNXRUNTIME
      const message = `NetCost: ${oneParagraph(run.stderr).replace(/^netcost measure: /, '')} The setting netcost.measure.onnxruntimePath sets NETCOST_ONNXRUNTIME.`;
      void window.showErrorMessage(message, INSTALL_BUTTON, 'Open Settings').then((b) => {
        if (b === INSTALL_BUTTON) void commands.executeCommand(INSTALL_RUNTIME);
        if (b === 'Open Settings') void commands.executeCommand('workbench.action.openSettings', 'netcost.measure.onnxruntimePath');
      });
      return { status: 'failed', exitCode: run.code, message };
    }
    if (run.code === null) {
      return fail(`NetCost: the measurement of ${name} crashed (${run.signal}); the editor and the language server are unaffected. See the output "NetCost Measure".`, null);
    }
    const why = run.code === EXIT.runtimeFailed ? 'ONNX Runtime failed on the model' : run.code === EXIT.file ? `${name} has errors` : `netcost measure exited with ${run.code}`;
    return fail(`NetCost: ${why}: ${oneParagraph(run.stderr).slice(0, 400)}`, run.code);
  }
  function fail(message: string, exitCode: number | null, detail?: string): MeasureResult {
    if (detail) output.append(detail);
    void window.showErrorMessage(message, 'Show Output').then((b) => b && output.show(true));
    return { status: 'failed', exitCode, message };
  }

  /** npm fetches onnxruntime-node into the global storage (never the workspace: no workspace .npmrc applies); measure then uses it. */
  async function installRuntime(): Promise<boolean> {
    mkdirSync(storage, { recursive: true });
    const args = ['install', `onnxruntime-node@${RUNTIME_VERSION}`, '--prefix', storage, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund'];
    const manual = `Install it by hand: \`npm install onnxruntime-node@${RUNTIME_VERSION} --ignore-scripts\` in any folder, then set netcost.measure.onnxruntimePath to the node_modules/onnxruntime-node directory it made.`;
    output.appendLine(`\n$ npm ${args.join(' ')}`);
    const r = await window.withProgress({ location: ProgressLocation.Notification, title: `NetCost: installing ONNX Runtime ${RUNTIME_VERSION} (npm download of about 115 MB)`, cancellable: true },
      (_progress, token) => new Promise<{ code: number | null; error?: NodeJS.ErrnoException; cancelled: boolean }>((resolve) => {
        const windows = process.platform === 'win32'; // npm.cmd runs through the shell there: quote the arguments
        const child = spawn(windows ? 'npm.cmd' : 'npm', windows ? args.map((a) => `"${a}"`) : args, { cwd: storage, shell: windows, stdio: ['ignore', 'pipe', 'pipe'] });
        let cancelled = false;
        let error: NodeJS.ErrnoException | undefined;
        child.stdout.setEncoding('utf8').on('data', (d: string) => output.append(d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => output.append(d));
        const cancel = token.onCancellationRequested(() => { cancelled = true; stop(child); });
        child.on('error', (e) => { error = e; });
        child.on('close', (code) => { cancel.dispose(); resolve({ code, error, cancelled }); });
      }));
    if (r.cancelled) return false;
    if (r.error?.code === 'ENOENT') {
      void window.showErrorMessage(`NetCost: npm is not on the PATH, so ONNX Runtime cannot be installed from here. ${manual}`, 'Open Settings')
        .then((b) => b && commands.executeCommand('workbench.action.openSettings', 'netcost.measure.onnxruntimePath'));
      return false;
    }
    if (r.code !== 0 || !existsSync(path.join(installed, 'package.json'))) {
      void window.showErrorMessage(`NetCost: npm could not install onnxruntime-node (exit ${r.code}${r.error ? `, ${r.error.message}` : ''}). ${manual}`, 'Show Output')
        .then((b) => b && output.show(true));
      return false;
    }
    const setting = workspace.getConfiguration('netcost.measure').get<string>('onnxruntimePath', '').trim();
    void window.showInformationMessage(`NetCost: ONNX Runtime ${RUNTIME_VERSION} is installed in ${installed}. ` +
      (setting ? 'The setting netcost.measure.onnxruntimePath still takes precedence: clear it to use this copy.' : 'Measure Latency uses it.'));
    return true;
  }

  return [
    output,
    workspace.onDidCloseTextDocument((d) => sent.delete(d.uri.toString())), // the server drops it on close too
    commands.registerCommand(MEASURE, measureLatency),
    commands.registerCommand(INSTALL_RUNTIME, installRuntime),
  ];
}

/** Ends a child: SIGTERM (the CLI deletes its temporary export), SIGKILL if it is still there 3 s later. */
function stop(child: ChildProcess): void {
  child.kill('SIGTERM');
  const timer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 3000);
  timer.unref();
  child.once('close', () => clearTimeout(timer));
}
