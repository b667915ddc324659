// The `webppo` subcommands: one entry each, in the order --help lists them.
import type { Command } from '../command.js';
import { evalCommand } from './eval.js';
import { exportOnnxCommand } from './export-onnx.js';
import { serveEnvCommand } from './serve-env.js';
import { trainCommand } from './train.js';

export const COMMANDS: Readonly<Record<string, Command>> = {
  train: trainCommand,
  eval: evalCommand,
  'export-onnx': exportOnnxCommand,
  'serve-env': serveEnvCommand,
};
