// Hovers: the cost model's worked example (fixtures/worked.net, line 5: `conv 128 k=3 p=1 bias=false
// from img` on 64 x 112 x 112) shows its formula with the numbers substituted in.
const assert = require('assert');
const vscode = require('vscode');
const { open, hoverText, waitFor, span } = require('./helpers');

module.exports = [
  ['hover on a conv layer shows the formula with its numbers, params, MACs and FLOPs', async () => {
    const doc = await open('fixtures/worked.net');
    const md = await hoverText(doc, 4, 2);
    assert.ok(md.startsWith('**conv_2** · `conv`\n'), md);
    const missing = [ // whole lines of the markdown
      'output 1 x 128 x 112 x 112 from `img` 1 x 64 x 112 x 112',
      'K_h x K_w x C_in/g x H_out x W_out x C_out = 3 x 3 x 64 x 112 x 112 x 128 = 924,844,032 MACs',
      '- **params** 73,728',
      '- **MACs** 924,844,032',
      '- **FLOPs** 1,849,688,064 (2*MACs convention)',
      '- **memory access** 9,928,704 bytes (fp32, batch 1) = input 3,211,264 + output 6,422,528 + weights 294,912',
    ].filter((line) => !md.split('\n').includes(line));
    assert.deepStrictEqual(missing, [], `the hover lacks these lines:\n${md}`);
  }],
  ['the hover covers the layer: its range is the op and its arguments, without `from`', async () => {
    const doc = await open('fixtures/worked.net');
    const [h] = await waitFor('a hover', () => vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, new vscode.Position(4, 20)).then((hs) => hs.length && hs));
    assert.deepStrictEqual(span(h.range), [4, 0, 4, 27]);
  }],
];
