// `netcost FILE --format sarif` (issue 9): a SARIF 2.1.0 log of every diagnostic the editor shows,
// engine and lint, validated offline against the SARIF 2.1.0 JSON schema shipped in test/fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, tempFiles } from './cli-run';
import { sarifLog } from '../server/src/cli/sarif';
import { analyzeDocument } from '../server/src/ide/document';
import { DEFAULT_EDITOR_SETTINGS } from '../server/src/ide/settings';
import { RULE_CODES } from '../server/src/lint/lint';
import { LIMIT_DEFAULTS } from '../server/src/analysis/limits';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Ajv2020 = require('ajv/dist/2020').default;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addFormats = require('ajv-formats').default;

const root = join(__dirname, '..');
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'test/fixtures/sarif/sarif-2.1.0.json'), 'utf8')));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const { dir, file } = tempFiles('netcost-sarif-');
/* eslint-disable @typescript-eslint/no-explicit-any */
function sarif(...argv: string[]): { code: number; log: any; run: any; err: string } {
  const r = run(...argv, '--format', 'sarif');
  const log = JSON.parse(r.out);
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  return { code: r.code, log, run: log.runs[0], err: r.err };
}
const rel = (p: string) => relative(process.cwd(), p).split('\\').join('/');
const RULES_MD = 'https://github.com/netcost/netcost/blob/main/docs/rules.md';

const BROKEN = file('broken.net', `input x: 3 x 32 x 32
a: conv 16 k=3 p=1
b: cnov 8
c: conv 32 k=3 😀
d: add from a, x
e: relu from zzz
`);

test('the schema validator rejects an invalid log (the validation below means something)', () => {
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), false);
  assert.equal(validate({ version: '2.0.0', runs: [] }), false);
});

test('examples/resnet50.net: a valid log with the tool, the schema, one run and its lint findings', () => {
  const s = sarif(join(root, 'examples/resnet50.net'));
  assert.equal(s.code, 0);
  assert.equal(s.log.version, '2.1.0');
  assert.equal(s.log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.equal(s.log.runs.length, 1);
  const d = s.run.tool.driver;
  assert.equal(d.name, 'NetCost');
  assert.equal(d.version, version);
  assert.equal(d.informationUri, 'https://github.com/netcost/netcost');
  assert.equal(s.run.columnKind, 'utf16CodeUnits');
  // one descriptor per code that occurs, each result pointing at its own
  assert.deepEqual(d.rules.map((r: any) => r.id), [...new Set(s.run.results.map((r: any) => r.ruleId))]);
  for (const r of s.run.results) assert.equal(d.rules[r.ruleIndex].id, r.ruleId);
  // exactly the editor's diagnostics (default settings, target t4), in its order
  const editor = analyzeDocument(readFileSync(join(root, 'examples/resnet50.net'), 'utf8'), DEFAULT_EDITOR_SETTINGS).diagnostics;
  assert.ok(editor.length > 0);
  assert.deepEqual(s.run.results.map((r: any) => [r.ruleId, r.message.text]), editor.map((e) => [e.code, e.message]));
});

test('a broken file: every error kind with its level, rule, help link and exact 1-based UTF-16 region; exit 1', () => {
  const s = sarif(BROKEN);
  assert.equal(s.code, 1);
  assert.deepEqual(s.run.results.map((r: any) => [r.ruleId, r.level]), [
    ['unknown-op', 'error'], ['bad-character', 'error'], ['shape-mismatch', 'error'], ['unknown-name', 'error'],
  ]);
  const region = (i: number) => s.run.results[i].locations[0].physicalLocation.region;
  assert.deepEqual(region(0), { startLine: 3, startColumn: 4, endLine: 3, endColumn: 8 }); // `cnov`
  assert.deepEqual(region(1), { startLine: 4, startColumn: 16, endLine: 4, endColumn: 18 }); // the emoji: 2 UTF-16 units
  assert.deepEqual(region(3), { startLine: 6, startColumn: 14, endLine: 6, endColumn: 17 }); // `zzz`
  assert.equal(s.run.results[0].message.text, 'unknown layer kind `cnov`');
  const rule = s.run.tool.driver.rules[s.run.results[0].ruleIndex];
  assert.deepEqual(rule, {
    id: 'unknown-op', shortDescription: { text: 'A layer kind that does not exist and is no block' },
    helpUri: `${RULES_MD}#unknown-op`, defaultConfiguration: { level: 'error' },
  });
  // a file outside the current directory: an absolute file URI
  assert.deepEqual(s.run.results[0].locations[0].physicalLocation.artifactLocation, { uri: pathToFileURL(BROKEN).href });
});

test('lint findings appear in SARIF (not in --json or the table), judged for --target; notes for info', () => {
  const f = join(root, 'examples/shufflenet_v2.net');
  const t4 = sarif(f);
  const codes = (s: any) => new Set(s.run.results.map((r: any) => r.ruleId));
  assert.ok(codes(t4).has('channel-multiple'));
  assert.ok(!codes(t4).has('shuffle-unsupported'), 't4 runs a channel shuffle');
  const cm = t4.run.results.find((r: any) => r.ruleId === 'channel-multiple');
  assert.equal(cm.level, 'note');
  const rule = t4.run.tool.driver.rules[cm.ruleIndex];
  assert.equal(rule.helpUri, `${RULES_MD}#channel-multiple`);
  assert.deepEqual(rule.defaultConfiguration, { level: 'note' });
  const loc = cm.locations[0].physicalLocation;
  assert.deepEqual(loc.artifactLocation, { uri: 'examples/shufflenet_v2.net', uriBaseId: '%SRCROOT%' });
  assert.equal(t4.run.originalUriBaseIds['%SRCROOT%'].uri, pathToFileURL(process.cwd()).href.replace(/\/?$/, '/'));
  // the region is the diagnostic's range, 1-based
  const editor = analyzeDocument(readFileSync(f, 'utf8'), DEFAULT_EDITOR_SETTINGS).diagnostics.find((d) => d.code === 'channel-multiple')!;
  assert.deepEqual(loc.region, { startLine: editor.range.start.line + 1, startColumn: editor.range.start.character + 1, endLine: editor.range.end.line + 1, endColumn: editor.range.end.character + 1 });

  const nnie = sarif(f, '--target', 'nnie');
  const sh = nnie.run.results.find((r: any) => r.ruleId === 'shuffle-unsupported');
  assert.ok(sh, 'nnie has no channel shuffle');
  assert.equal(sh.level, 'warning');
  assert.equal(nnie.run.tool.driver.rules[sh.ruleIndex].helpUri, `${RULES_MD}#shuffle-unsupported`);

  // the contracts of --json and the table stay as they were: engine diagnostics only
  assert.deepEqual(JSON.parse(run(f, '--json').out).diagnostics, []);
  assert.equal(run(f).err, '');
  assert.equal(run(f, '--json').out, run(f, '--format', 'json').out);
  assert.equal(run(f).out, run(f, '--format', 'table').out);
});

test('--set, --batch and --dtype reach the SARIF analysis', () => {
  const f = file('vars.net', 'width = 64\ninput x: 3 x 32 x 32\nconv width k=3 p=1\n');
  const plain = sarif(f);
  assert.ok(!plain.run.results.some((r: any) => r.ruleId === 'channel-multiple'));
  const odd = sarif(f, '--set', 'width=60');
  assert.ok(odd.run.results.some((r: any) => r.ruleId === 'channel-multiple'), JSON.stringify(odd.run.results));
  assert.equal(sarif(f, '--batch', '4', '--dtype', 'fp16').code, 0);
});

test('an exceeded budget is a budget-exceeded warning on the input line, and exits 1', () => {
  const s = sarif(join(root, 'examples/resnet50.net'), '--budget', 'macs=1G');
  assert.equal(s.code, 1);
  const b = s.run.results.filter((r: any) => r.ruleId === 'budget-exceeded');
  assert.equal(b.length, 1);
  assert.equal(b[0].level, 'warning');
  assert.match(b[0].message.text, /macs/);
  assert.equal(b[0].locations[0].physicalLocation.region.startLine, 6); // `input image: ...`
  assert.equal(s.run.tool.driver.rules[b[0].ruleIndex].helpUri, `${RULES_MD}#budget-exceeded`);
  assert.equal(sarif(join(root, 'examples/resnet50.net'), '--budget', 'macs=5G').code, 0);
});

test('an ONNX model: a model-wide warning has the file and no region; a node finding names the node', () => {
  const bert = join(root, 'test/fixtures/onnx/bert_encoder-opset11.onnx');
  const s = sarif(bert);
  assert.equal(s.code, 0);
  const w = s.run.results.find((r: any) => r.ruleId === 'onnx-unbound-dim');
  assert.ok(w);
  assert.equal(w.level, 'warning');
  assert.match(w.message.text, /seq/);
  assert.deepEqual(w.locations[0], { physicalLocation: { artifactLocation: { uri: rel(bert), uriBaseId: '%SRCROOT%' } } });
  assert.deepEqual(s.run.tool.driver.rules[w.ruleIndex], {
    id: 'onnx-unbound-dim', shortDescription: { text: 'Symbolic dimensions that nothing bound, each taken as 1' },
    helpUri: `${RULES_MD}#onnx-unbound-dim`, defaultConfiguration: { level: 'warning' },
  });
  // bound: the warning is gone
  assert.ok(!sarif(bert, '--dim', 'seq=128').run.results.some((r: any) => r.ruleId === 'onnx-unbound-dim'));

  const mobile = sarif(join(root, 'test/fixtures/onnx/mobilenet_v2-opset13.onnx'));
  const lint = mobile.run.results.filter((r: any) => RULE_CODES.includes(r.ruleId));
  assert.ok(lint.length > 0, 'the lint rules run on the listing');
  for (const r of lint) {
    const l = r.locations[0];
    assert.equal(l.physicalLocation.region, undefined);
    assert.equal(l.logicalLocations.length, 1);
    assert.equal(l.logicalLocations[0].kind, 'function');
    assert.match(l.logicalLocations[0].fullyQualifiedName, /^\/features\/.*\/(Conv|Gemm|MatMul|Add|Clip|Relu)/);
  }
});

test('sarifLog: relative URIs with forward slashes and percent-encoding under the current directory', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'netcost-sarif-cwd-'));
  mkdirSync(join(cwd, 'my models'));
  const d = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'info' as const, code: 'budget-something', message: 'm' };
  const log = sarifLog(join(cwd, 'my models', 'a#1.net'), [d, d], undefined, cwd);
  assert.ok(validate(log), JSON.stringify(validate.errors));
  const r = log.runs[0];
  assert.deepEqual(r.results[0].locations[0], {
    physicalLocation: { artifactLocation: { uri: 'my%20models/a%231.net', uriBaseId: '%SRCROOT%' }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 } },
  });
  // a code without a description of its own still gets a descriptor, once
  assert.equal(r.tool.driver.rules.length, 1);
  assert.deepEqual(r.results.map((x) => [x.ruleIndex, x.level]), [[0, 'note'], [0, 'note']]);
});

test('--format: bad values and --json with another format are usage errors (exit 2); the help lists it', () => {
  assert.equal(run(BROKEN, '--format', 'xml').code, 2);
  assert.match(run(BROKEN, '--format', 'xml').err, /--format: expected one of table, json, sarif/);
  assert.equal(run(BROKEN, '--json', '--format', 'sarif').code, 2);
  assert.equal(run(BROKEN, '--json', '--format', 'json').code, 1);
  assert.match(run('--help').out, /--format F +table \| json \| sarif/);
  assert.equal(run(join(dir, 'missing.net'), '--format', 'sarif').code, 2);
});

test('every engine code documented in docs/rules.md has its own SARIF description', () => {
  // the sections of the engine's codes (the limits' names are no codes)
  const doc = readFileSync(join(root, 'docs/rules.md'), 'utf8');
  const engine = doc.slice(doc.indexOf('## Syntax'), doc.indexOf('## Hardware lint rules'));
  // a row: `| <a name="code"></a>`code` | ...` (the anchor the help links point to)
  const codes = [...engine.matchAll(/^\| (?:<a name="[a-z0-9-]+"><\/a>)?`([a-z0-9-]+)` \|/gm)].map((m) => m[1]).filter((c) => !(c in LIMIT_DEFAULTS));
  assert.ok(codes.length > 40);
  const d = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, severity: 'error' as const, message: 'm' };
  const log = sarifLog('x.net', codes.map((code) => ({ ...d, code })), undefined, process.cwd());
  const generic = log.runs[0].tool.driver.rules.filter((r: any) => /^NetCost diagnostic /.test(r.shortDescription.text)).map((r: any) => r.id);
  assert.deepEqual(generic, []);
});
