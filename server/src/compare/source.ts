// The two sides of a comparison as files or `git:REV:path` blobs: read (git through execFileSync, no
// shell) and analysed. Used by `netcost compare` and the editor's "Compare with HEAD".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { analyze, tooLargeFile, type Analysis, type Dtype } from '../analysis/analyze';
import { resolveLimits, type Limits } from '../analysis/limits';
import { analyzeOnnxFile } from '../onnx/analyze';

/** A comparison side that cannot be read: exit 2 in the CLI. */
export class SourceError extends Error {}

export interface SourceSettings { batch?: number; dtype?: Dtype; overrides?: Record<string, number>; limits?: Partial<Limits> }

/** `git:REV:path` -> { rev, path }; anything else is a file name. */
export function parseGitSpec(spec: string): { rev: string; path: string } | null {
  const m = /^git:([^:]+):(.+)$/.exec(spec);
  return m ? { rev: m[1], path: m[2] } : null;
}

/** `git show REV:path` run in `cwd` (git's rules: `path` from the repository root, `./path` from `cwd`). */
/** git reads only: no filesystem monitor or pager a repository's config could name is started, no text conversion */
const GIT_SAFE = ['-c', 'core.fsmonitor=false', '-c', 'core.pager=cat', '--no-pager'];

export function gitShow(rev: string, path: string, cwd: string, maxBytes: number): Buffer {
  if (rev.startsWith('-')) throw new SourceError(`git:${rev}:${path}: a revision cannot start with '-'`);
  try {
    return execFileSync('git', [...GIT_SAFE, 'show', `${rev}:${path}`], { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: maxBytes, windowsHide: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new SourceError(`git:${rev}:${path}: git is not installed (or not on PATH)`);
    if (err.code === 'ENOBUFS') throw new SourceError(`git:${rev}:${path}: larger than ${maxBytes} bytes (the file size limit)`);
    const why = err.stderr?.toString('utf8').trim().split('\n')[0] || err.message.split('\n')[0];
    throw new SourceError(`git:${rev}:${path}: git show ${rev}:${path} failed: ${why}`);
  }
}

const isOnnx = (path: string) => /\.onnx$/i.test(path);

/** Analyse a `.net` text or an ONNX model's bytes; `label` names it in the report. */
export function analyzeSource(label: string, path: string, data: Buffer | string, s: SourceSettings, given: { batch: boolean; dtype: boolean }): Analysis {
  const limits = resolveLimits(s.limits);
  if (isOnnx(path)) {
    const dir = mkdtempSync(join(tmpdir(), 'netcost-compare-'));
    try {
      const tmp = join(dir, 'model.onnx');
      writeFileSync(tmp, data);
      return checkOnnx(label, analyzeOnnxFile(tmp, { batch: given.batch ? s.batch : undefined, dtype: given.dtype ? s.dtype : undefined, limits: s.limits }, label));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const settings = { batch: s.batch ?? 1, dtype: s.dtype ?? 'fp32', overrides: s.overrides ?? {}, limits: s.limits };
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > limits.fileSize) return tooLargeFile(size, settings);
  return analyze(typeof data === 'string' ? data : data.toString('utf8'), settings);
}

function checkOnnx(label: string, a: Analysis): Analysis {
  const io = a.diagnostics.find((d) => d.code === 'onnx-io');
  if (io) throw new SourceError(`${label}: ${io.message}`);
  return a;
}

/** A side given on the command line: a file, or `git:REV:path` read in `cwd`. */
export function loadSource(spec: string, cwd: string, s: SourceSettings, given: { batch: boolean; dtype: boolean }): Analysis {
  const limits = resolveLimits(s.limits);
  const git = parseGitSpec(spec);
  if (git) {
    const max = isOnnx(git.path) ? limits.onnxFileSize : limits.fileSize;
    const data = gitShow(git.rev, git.path, cwd, Math.min(max + 1, 2 ** 31 - 1));
    return analyzeSource(spec, git.path, data, s, given);
  }
  const path = resolve(cwd, spec);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new SourceError(`${spec}: is a directory`);
    size = st.size;
  } catch (e) {
    if (e instanceof SourceError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SourceError(`${spec}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (isOnnx(spec)) {
    return checkOnnx(spec, analyzeOnnxFile(path, { batch: given.batch ? s.batch : undefined, dtype: given.dtype ? s.dtype : undefined, limits: s.limits }, spec));
  }
  const settings = { batch: s.batch ?? 1, dtype: s.dtype ?? 'fp32', overrides: s.overrides ?? {}, limits: s.limits };
  if (size > limits.fileSize) return tooLargeFile(size, settings);
  try {
    return analyze(readFileSync(path, 'utf8'), settings);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new SourceError(`${spec}: ${code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

/** For the editor's "Compare with HEAD" (not wired yet): the file at `rev` (by its path from the repository
 *  root, found with `git rev-parse --show-toplevel` in the file's directory) against `text`, the editor's
 *  contents. Returns both analyses; throws SourceError when the file is not in a repository or not at `rev`. */
export function againstRevision(file: string, text: Buffer | string, s: SourceSettings, rev = 'HEAD'): { old: Analysis; new: Analysis; oldLabel: string } {
  const dir = dirname(file);
  let top: string;
  try {
    top = execFileSync('git', [...GIT_SAFE, 'rev-parse', '--show-toplevel'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true }).toString('utf8').trim();
  } catch {
    throw new SourceError(`${file}: not in a git repository`);
  }
  const rel = relative(realpathSync(top), realpathSync(file)).split(sep).join('/');
  const given = { batch: s.batch !== undefined, dtype: s.dtype !== undefined };
  const limits = resolveLimits(s.limits);
  const data = gitShow(rev, rel, top, Math.min((isOnnx(rel) ? limits.onnxFileSize : limits.fileSize) + 1, 2 ** 31 - 1));
  const oldLabel = `git:${rev}:${rel}`;
  return { old: analyzeSource(oldLabel, rel, data, s, given), new: analyzeSource(file, file, text, s, given), oldLabel };
}
