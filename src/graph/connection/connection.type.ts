/**
 * The one generic Relay connection: `Connection(Alarm)` gives `AlarmConnection` with
 * `edges { cursor node }`, `pageInfo` and `totalCount`, per the Relay connection spec.
 * Every paginated field uses it; no connection is written by hand.
 */
import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { Connection as PlainConnection, PageInfo } from '../../pagination/connection.types.js';

/** The GraphQL form of the plain `PageInfo` in src/pagination. */
@ObjectType('PageInfo', { simpleResolvers: true, description: 'Where a page of a connection starts and ends, per the Relay connection spec.' })
export class PageInfoType implements PageInfo {
  @Field({ description: 'More items follow `endCursor` (query again with `after: endCursor`).' })
  hasNextPage!: boolean;

  @Field({ description: 'Items precede `startCursor` (query again with `before: startCursor`).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge; null on an empty page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; null on an empty page.' })
  endCursor!: string | null;
}

/** What a resolver returns for a connection field. */
export interface ConnectionShape<TNode> extends PlainConnection<TNode> {
  /** Called only when `totalCount` is selected: counting may cost an upstream call per deployment. */
  countTotal: () => Promise<number>;
}

export interface ConnectionOptions {
  /** A sentence appended to the description of `totalCount`, for a limit of that type's count. Default none. */
  totalCountNote?: string;
}

export function Connection<TNode extends object>(nodeType: ClassType<TNode>, options: ConnectionOptions = {}) {
  const name = nodeType.name;

  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `One ${name} in a connection, with the cursor that resumes after it.` })
  class Edge {
    @Field({ description: 'Opaque cursor: pass it to `after` or `before` to page from this edge.' })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${name}.` })
    node!: TNode;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A page of ${name} items, per the Relay connection spec.` })
  class ConnectionType {
    @Field(() => [Edge], { description: 'The items of this page, in the requested order.' })
    edges!: Edge[];

    @Field(() => PageInfoType, { description: 'Cursors and whether more items exist on either side.' })
    pageInfo!: PageInfoType;

    @Field(() => Int, {
      description: `How many items match the filter in all, ignoring first/last/after/before.${
        options.totalCountNote === undefined ? '' : ` ${options.totalCountNote}`
      }`,
    })
    totalCount(this: ConnectionShape<TNode>): Promise<number> {
      return this.countTotal();
    }
  }

  return ConnectionType;
}
