/**
 * The Relay `Node` interface: every object with a global `id` implements it, so
 * `node(id)` can refetch it.
 */
import { Field, ID, InterfaceType } from 'type-graphql';

@InterfaceType({ description: 'An object with a globally unique, opaque ID that `node(id:)` refetches.' })
export abstract class Node {
  @Field(() => ID, { description: 'Opaque global ID; pass it to `node(id:)` to refetch this object.' })
  id!: string;
}
