/** The cost directives an SDL carries, by schema coordinate, as printed: what tests compare. */
import { Kind, parse, print, type ConstDirectiveNode } from 'graphql';

/**
 * `Type` (an object type), `Type.field` (an object's field or an input's field) and
 * `Type.field(argument)` → its `@cost` and `@listSize`, in order, each with its arguments
 * in alphabetical order (composers reorder them), e.g. `'Query.alarms' → '@cost(weight: 4)
 * @listSize(assumedSize: 20, ...)'`; only those that carry one.
 */
export function costDirectivesOf(sdl: string): Record<string, string> {
  const found: Record<string, string> = {};
  const note = (coordinate: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    const printed = (directives ?? [])
      .filter((d) => d.name.value === 'cost' || d.name.value === 'listSize')
      .map((d) => print({ ...d, arguments: [...(d.arguments ?? [])].sort((a, b) => a.name.value.localeCompare(b.name.value)) }))
      .join(' ');
    if (printed !== '') found[coordinate] = printed;
  };
  for (const definition of parse(sdl).definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) {
      const type = definition.name.value;
      note(type, definition.directives);
      for (const field of definition.fields ?? []) {
        note(`${type}.${field.name.value}`, field.directives);
        for (const argument of field.arguments ?? []) note(`${type}.${field.name.value}(${argument.name.value})`, argument.directives);
      }
    } else if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      for (const field of definition.fields ?? []) note(`${definition.name.value}.${field.name.value}`, field.directives);
    }
  }
  return found;
}
