// Diagnostics as VS Code shows them, with exact codes, ranges, severities and messages: lint findings
// and a syntax error (fixtures/lint.net), and the lint of a block body reported once per body line.
const assert = require('assert');
const vscode = require('vscode');
const { open, diagnostics, span } = require('./helpers');

const S = vscode.DiagnosticSeverity;
const plain = (d) => [d.code.value, d.severity, span(d.range), d.message];

module.exports = [
  ['lint findings and a syntax error at their exact ranges', async () => {
    const doc = await open('fixtures/lint.net');
    const diags = await diagnostics(doc);
    assert.deepStrictEqual(diags.map(plain), [
      ['missing-value', S.Error, [4, 10, 4, 10], 'expected a value for `k=`, found the end of the line'],
      ['g1-unbalanced-pointwise', S.Information, [2, 0, 2, 23],
        '1x1 conv 64 -> 256 on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements)'],
      // the default target, NVIDIA T4, computes in multiples of 8 channels
      ['channel-multiple', S.Information, [3, 0, 3, 15], '20 output channels, not a multiple of 8: hardware pads to 24, 16.7% of the lanes idle'],
    ]);
    for (const d of diags) { // each code links to its section of docs/rules.md (on GitHub or shipped)
      assert.strictEqual(d.source, 'netcost');
      assert.match(d.code.target.path, /\/docs\/rules\.md$/);
      assert.strictEqual(d.code.target.fragment, d.code.value);
    }
  }],
  ['ResNet-50: no error or warning; its bottleneck body gets one g1 note per 1x1 conv line, its 7x7 stem a large-kernel note', async () => {
    const doc = await open('resnet50.net');
    const diags = await diagnostics(doc);
    const g1 = '1x1 conv %s on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements)';
    assert.deepStrictEqual(diags.map(plain), [
      ['g1-unbalanced-pointwise', S.Information, [10, 2, 10, 16], `${g1.replace('%s', '256 -> 64')} (in 10 of 16 uses; worst: layer1.1.conv_1)`],
      ['g1-unbalanced-pointwise', S.Information, [12, 8, 12, 26], `${g1.replace('%s', '64 -> 256')} (in 13 of 16 uses; worst: layer1.0.main.conv)`],
      ['g1-unbalanced-pointwise', S.Information, [14, 48, 14, 70], `${g1.replace('%s', '64 -> 256')} (in 1 of 4 uses)`],
      ['large-kernel', S.Information, [20, 7, 20, 26],
        '7x7 conv 3 -> 64: NVIDIA T4 computes 7x7 kernels at 25% of the density of 3x3 ones (118,013,952 MACs); 3 stacked 3x3 convs cover the same 7x7 receptive field'],
    ]);
  }],
];
