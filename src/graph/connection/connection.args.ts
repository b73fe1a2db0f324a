/**
 * Relay paging arguments, shared by every connection field: the GraphQL form of the
 * plain `ConnectionArgs` in src/pagination, which validates them (`normaliseConnectionArgs`).
 */
import { ArgsType, Field, Int } from 'type-graphql';
import type { ConnectionArgs } from '../../pagination/connection.args.js';

@ArgsType()
export class ConnectionArgsType implements ConnectionArgs {
  @Field(() => Int, { nullable: true, description: 'Items after `after`, 0–100 (default 20 when neither first nor last is given).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor from this connection: return items after it.' })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: 'Items before `before`, 0–100. Not together with `first`.' })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor from this connection: return items before it.' })
  before?: string | null;
}
