// The `webppo` subcommands: one entry each, in the order --help lists them.
import type { Command } from '../command.js';
import { evalCommand } from './eval.js';
import { trainCommand } from './train.js';

export const COMMANDS: Readonly<Record<string, Command>> = {
  train: trainCommand,
  eval: evalCommand,
};
