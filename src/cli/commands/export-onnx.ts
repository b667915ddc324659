// `webppo export-onnx <checkpoint>`: the checkpoint's policy as an ONNX file (src/interop/onnx).
import { readFile } from 'node:fs/promises';
import { noExtraPositionals, positionalArg } from '../args.js';
import type { Command } from '../command.js';
import { openOutput } from '../output.js';

export const exportOnnxCommand: Command = {
  usage: '<checkpoint> [--out file.onnx]',
  summary:
    'Writes the checkpoint\'s policy as ONNX: observation normalization, logits or action means, the\n' +
    'deterministic action and the value, with a dynamic batch dimension (default <checkpoint>.onnx).',
  flags: {
    out: { value: 'file', help: 'where to write the model (default: the checkpoint\'s name with .onnx)' },
  },
  async run(args, io) {
    const file = positionalArg(args, 1, 'the checkpoint file (export-onnx <checkpoint>)');
    noExtraPositionals(args, 2);
    const out = args.flags.get('out') ?? `${file.replace(/\.safetensors$/, '')}.onnx`;
    const output = await openOutput('--out', out);
    try {
      // Loaded here so that the other commands never load protobufjs.
      const { exportOnnx } = await import('../../interop/onnx/export.js');
      const model = await exportOnnx(new Uint8Array(await readFile(file)));
      await output.commit(model);
      io.out(`webppo: wrote ${out} (${model.length} bytes)`);
    } catch (error) {
      await output.discard();
      throw error;
    }
  },
};
