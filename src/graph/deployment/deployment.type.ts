/**
 * `Deployment`: one USM Anywhere deployment, as USM Central describes it and as the
 * facade reaches it. A federation entity keyed by `id`.
 */
import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { DateTime } from '../scalar/date-time.scalar.js';
import { Node } from '../node/node.type.js';
import { encodeGlobalId } from '../node/global.id.js';
import type { DeploymentInfo } from '../../upstream/upstream.registry.js';

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: 'A USM Anywhere deployment (a subdomain such as acme-east.alienvault.cloud).',
})
@Directive('@key(fields: "id")')
export class Deployment extends Node {
  @Field({ description: 'Short name, the subdomain: `acme-east`.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Name shown in USM Central; null without Central.' })
  displayName!: string | null;

  @Field(() => String, { nullable: true, description: 'Host name, e.g. `acme-east.alienvault.cloud`.' })
  fqdn!: string | null;

  @Field(() => String, { nullable: true, description: 'Product type as USM Central reports it (`USM Anywhere`).' })
  type!: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When the deployment joined USM Central.' })
  joinedSince!: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'Connection status as USM Central reports it (`connected`, `disconnected`).',
  })
  connectionStatus!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether USM Central is authorized on this deployment.' })
  authorized!: boolean | null;

  @Field({ description: 'Whether the facade holds API credentials for this deployment, so its alarms are readable.' })
  hasCredentials!: boolean;

  static from(record: DeploymentInfo): Deployment {
    return Object.assign(new Deployment(), {
      id: encodeGlobalId('Deployment', record.name),
      name: record.name,
      displayName: record.displayName ?? null,
      fqdn: record.fqdn ?? null,
      type: record.type ?? null,
      joinedSince: record.joinedSince === undefined ? null : new Date(record.joinedSince),
      connectionStatus: record.connectionStatus ?? null,
      authorized: record.authorized ?? null,
      hasCredentials: record.hasCredentials,
    });
  }
}
