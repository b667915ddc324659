// Type-checks a consumer's code against the installed package the way `tsc --noEmit` does (strict, no
// skipLibCheck: every .d.ts in node_modules is checked, webppo's included), for several module resolutions
// and type environments, in one process. Declaration files are parsed once and shared between the checks,
// and TypeScript's own lib files are not re-checked (skipDefaultLibCheck), which keeps six checks fast.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TS from 'typescript';
import { REPO } from './tarball.js';

const ts = createRequire(join(REPO, 'package.json'))('typescript') as typeof TS;

export interface Variant {
  moduleResolution: 'bundler' | 'node16' | 'nodenext';
  /** The libs (TypeScript 6's `dom` declares WebGPU; without it a Node project has no WebGPU types). */
  lib: string[];
  /** Type packages from the consumer's node_modules (`node`, `@webgpu/types`). */
  types: string[];
}

const declarationCache = new Map<string, TS.SourceFile>();

/** Diagnostics (file: message) of `files` in `consumer` under `variant`. */
export function typecheck(consumer: string, files: string[], variant: Variant): string[] {
  const options: TS.CompilerOptions = {
    strict: true,
    skipLibCheck: false,
    skipDefaultLibCheck: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: { bundler: ts.ModuleKind.ESNext, node16: ts.ModuleKind.Node16, nodenext: ts.ModuleKind.NodeNext }[variant.moduleResolution],
    moduleResolution: { bundler: ts.ModuleResolutionKind.Bundler, node16: ts.ModuleResolutionKind.Node16, nodenext: ts.ModuleResolutionKind.NodeNext }[variant.moduleResolution],
    lib: variant.lib.map((l) => `lib.${l}.d.ts`),
    types: variant.types,
    typeRoots: [join(consumer, 'node_modules/@types'), join(consumer, 'node_modules')],
  };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError, fresh) => {
    if (!fileName.endsWith('.d.ts')) return getSourceFile(fileName, language, onError, fresh);
    const format = typeof language === 'object' ? language.impliedNodeFormat : undefined;
    const key = `${fileName}\0${format}`;
    let file = declarationCache.get(key);
    if (!file) {
      file = getSourceFile(fileName, language, onError, fresh);
      if (file) declarationCache.set(key, file);
    }
    return file;
  };
  const program = ts.createProgram(files.map((f) => join(consumer, f)), options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName.slice(d.file.fileName.indexOf('node_modules') >= 0 ? d.file.fileName.indexOf('node_modules') : 0)}: ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
