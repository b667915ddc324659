// TypeDoc plugin: `@property name text` on a declaration documents the members of the object types it spells
// out inline (`vtrace: { rhoClip: number; cClip: number }`, union members, array elements, `Promise<{ ... }>`
// return types). TypeDoc itself applies @property only to a reflection's direct children; members that share
// a line cannot each carry a comment, so their owner documents them (test/docs/tsdoc.test.ts checks both).
import { ArrayType, Comment, Converter, IntersectionType, ReferenceType, ReflectionType, UnionType } from 'typedoc';

/** The type-literal declarations a type spells out, however nested. */
function literals(type, out = []) {
  if (type instanceof ReflectionType) out.push(type.declaration);
  else if (type instanceof UnionType || type instanceof IntersectionType) type.types.forEach((t) => literals(t, out));
  else if (type instanceof ArrayType) literals(type.elementType, out);
  else if (type instanceof ReferenceType) (type.typeArguments ?? []).forEach((t) => literals(t, out));
  return out;
}

function apply(comment, type) {
  const tags = comment?.blockTags.filter((tag) => (tag.tag === '@property' || tag.tag === '@prop') && tag.name) ?? [];
  if (tags.length === 0) return;
  for (const declaration of literals(type)) {
    for (const child of declaration.children ?? []) {
      const tag = tags.find((t) => t.name === child.name);
      if (tag && !child.comment) child.comment = new Comment(Comment.cloneDisplayParts(tag.content));
    }
  }
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const reflection of Object.values(context.project.reflections)) {
      apply(reflection.comment, reflection.type);
      for (const signature of reflection.signatures ?? []) apply(signature.comment ?? reflection.comment, signature.type);
    }
  });
}
