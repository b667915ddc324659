// Every public export of src/index.ts carries TSDoc, and so does every member of the exported classes and
// interfaces (and of the object types their properties and type aliases spell out inline): the API reference
// is generated from these comments, so an undocumented export would be a hole in it.
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

const entries = { index: `${root}src/index.ts`, fixture: `${root}test/docs/fixtures/undocumented.ts` };
// Only declarations are walked, nothing is type-checked: no ambient types are needed, which keeps this fast.
const program = ts.createProgram(Object.values(entries), { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [], noLib: true, noEmit: true });
const checker = program.getTypeChecker();

/** `Agent.act (src/agent.ts:212)`: each public declaration without a doc comment, and where it is. */
function undocumentedExports(entry: string): string[] {
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`cannot read ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);
  const missing = new Map<string, string>();
  const report = (name: string, node: ts.Node) => {
    const file = node.getSourceFile();
    const { line } = file.getLineAndCharacterOfPosition(node.getStart());
    missing.set(name, `${file.fileName.slice(root.length)}:${line + 1}`);
  };
  const seen = new Set<ts.Node>();

  const hasDoc = (node: ts.Node): boolean => {
    // A variable's comment sits on its statement; a property's or a method's on the member itself.
    const target = ts.isVariableDeclaration(node) ? node.parent.parent : node;
    return ts.getJSDocCommentsAndTags(target).some((doc) => ts.isJSDoc(doc) && (doc.comment !== undefined || (doc.tags?.length ?? 0) > 0));
  };
  const isOwn = (node: ts.Node) => !program.isSourceFileFromExternalLibrary(node.getSourceFile()) && !node.getSourceFile().isDeclarationFile;
  const isPublicMember = (node: ts.Node): boolean => {
    const flags = ts.getCombinedModifierFlags(node as ts.Declaration);
    if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
    const name = (node as ts.NamedDeclaration).name;
    return !(name && ts.isPrivateIdentifier(name));
  };

  /** Walks the members an inline object type spells out (`{ rhoClip: number; cClip: number }`), unions included. */
  const walkTypeNode = (type: ts.TypeNode | undefined, path: string): void => {
    if (!type) return;
    if (ts.isTypeLiteralNode(type)) type.members.forEach((m) => walkMember(m, path));
    else if (ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type)) type.types.forEach((t) => walkTypeNode(t, path));
    else if (ts.isParenthesizedTypeNode(type)) walkTypeNode(type.type, path);
    else if (ts.isArrayTypeNode(type)) walkTypeNode(type.elementType, path);
    else if (ts.isTypeReferenceNode(type)) type.typeArguments?.forEach((t) => walkTypeNode(t, path)); // Promise<{ ... }>
  };

  const walkMember = (member: ts.Node, owner: string): void => {
    if (seen.has(member) || !isOwn(member) || !isPublicMember(member)) return;
    seen.add(member);
    if (ts.isIndexSignatureDeclaration(member) || ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member)) return;
    const name = ts.isConstructorDeclaration(member) ? 'constructor' : ((member as ts.NamedDeclaration).name?.getText() ?? '(anonymous)');
    const path = `${owner}.${name}`;
    // A private constructor (or a parameter-less one) is not API.
    if (ts.isConstructorDeclaration(member) && member.parameters.length === 0) return;
    if (!hasDoc(member) && !documentedByOwner(member, name)) report(path, member);
    if (ts.isConstructorDeclaration(member)) {
      // `constructor(readonly field: string)` declares public properties: each needs its own @param or doc.
      for (const p of member.parameters) {
        const isProperty = ts.getCombinedModifierFlags(p) & (ts.ModifierFlags.Public | ts.ModifierFlags.Readonly);
        if (isProperty && isPublicMember(p) && !hasParamDoc(member, p)) report(`${owner}.${p.name.getText()}`, p);
      }
    }
    if (ts.isPropertySignature(member) || ts.isPropertyDeclaration(member) || ts.isMethodSignature(member) || ts.isMethodDeclaration(member)) {
      walkTypeNode(member.type, path);
    }
  };

  /**
   * Members that share a line (`{ rhoClip: number; cClip: number }`) cannot each carry a comment; the
   * declaration that owns them documents them instead with `@property name text` (docs/typedoc-plugin.mjs
   * gives TypeDoc the same rule).
   */
  const documentedByOwner = (member: ts.Node, name: string): boolean => {
    let owner: ts.Node = member.parent;
    while (ts.isTypeLiteralNode(owner) || ts.isUnionTypeNode(owner) || ts.isIntersectionTypeNode(owner) || ts.isParenthesizedTypeNode(owner) || ts.isArrayTypeNode(owner) || ts.isTypeReferenceNode(owner)) {
      owner = owner.parent;
    }
    return ts.getJSDocTags(owner).some((tag) => {
      if (tag.tagName.text !== 'property' && tag.tagName.text !== 'prop') return false;
      const named = ts.isJSDocPropertyTag(tag) ? tag.name.getText() : String(ts.getTextOfJSDocComment(tag.comment) ?? '').split(/\s/)[0];
      return named === name;
    });
  };

  const hasParamDoc = (ctor: ts.ConstructorDeclaration, p: ts.ParameterDeclaration): boolean =>
    hasDoc(p) || ts.getJSDocParameterTags(p).some((tag) => tag.comment !== undefined) || ts.getJSDocTags(ctor).some((t) => ts.isJSDocParameterTag(t) && t.name.getText() === p.name.getText());

  const walkDeclaration = (decl: ts.Declaration, name: string): void => {
    if (seen.has(decl) || !isOwn(decl)) return;
    seen.add(decl);
    if (!hasDoc(decl)) report(name, decl);
    if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) decl.members.forEach((m) => walkMember(m, name));
    if (ts.isTypeAliasDeclaration(decl) || ts.isFunctionDeclaration(decl)) walkTypeNode(decl.type, name);
  };

  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.declarations ?? [];
    // With overloads, the implementation's signature is not part of the API; each overload is.
    const overloaded = declarations.filter(ts.isFunctionDeclaration).length > 1;
    for (const decl of declarations) {
      if (!(overloaded && ts.isFunctionDeclaration(decl) && decl.body)) walkDeclaration(decl, exported.name);
    }
  }
  return [...missing].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, at]) => `${name} (${at})`);
}

describe('TSDoc', () => {
  it('covers every public export of src/index.ts and every member of its classes and interfaces', () => {
    const missing = undocumentedExports(entries.index);
    expect(missing, `exports without a doc comment:\n  ${missing.join('\n  ')}`).toEqual([]);
  });

  it('notices a missing comment (the check can fail)', () => {
    expect(undocumentedExports(entries.fixture)).toEqual([
      'Documented.bare (test/docs/fixtures/undocumented.ts:7)',
      'Shape.inner.x (test/docs/fixtures/undocumented.ts:14)',
      'bare (test/docs/fixtures/undocumented.ts:17)',
      'returnsLiteral.a (test/docs/fixtures/undocumented.ts:35)',
      'returnsLiteral.b (test/docs/fixtures/undocumented.ts:35)',
      'sometimes (test/docs/fixtures/undocumented.ts:21)',
    ]);
  });
});
