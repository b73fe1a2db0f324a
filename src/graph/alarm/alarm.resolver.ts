/**
 * Alarm queries, label mutations and the fields of `Alarm` that need more than its
 * document: its deployment and its events as a connection.
 */
import { Arg, Args, Ctx, Directive, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { rateLimitSdl } from '../../protection/rate-limit.directive.js';
import { FacadeError } from '../../errors/facade.error.js';
import type { AlarmDocument } from '../../upstream/anywhere/anywhere.schemas.js';
import type { GraphContext } from '../context.js';
import { ConnectionArgsType } from '../connection/connection.args.js';
import type { ConnectionShape } from '../connection/connection.type.js';
import { itemsConnection } from '../connection/feed.connection.js';
import { Deployment } from '../deployment/deployment.type.js';
import { deploymentNamed } from '../deployment/deployment.resolver.js';
import { EventConnection } from '../event/event.connection.js';
import type { Event } from '../event/event.type.js';
import { decodeGlobalId } from '../node/global.id.js';
import { AlarmConnection, alarmConnection } from './alarm.connection.js';
import { AlarmFilter, AlarmOrder } from './alarm.inputs.js';
import { toAlarm, toEvent } from './alarm.mapper.js';
import { Alarm } from './alarm.type.js';

const LABEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function checkLabelId(labelId: string): void {
  if (!LABEL_ID.test(labelId)) {
    throw new FacadeError(
      'BAD_USER_INPUT',
      `labelId "${labelId.slice(0, 40)}" is not a label ID: use 1–128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
      { details: { argument: 'labelId' } },
    );
  }
}

/** Checks the arguments before any upstream call, then writes the label and maps the alarm read back. */
async function changeLabel(
  alarmId: string,
  labelId: string,
  write: (deployment: string, uuid: string, labelId: string) => Promise<AlarmDocument>,
): Promise<Alarm> {
  checkLabelId(labelId);
  const [deployment, uuid] = decodeGlobalId(alarmId, ['Alarm']).parts as [string, string];
  return toAlarm(await write(deployment, uuid, labelId));
}

/** An alarm by global ID, or null when its deployment does not know it. */
export async function loadAlarm(ctx: GraphContext, id: string): Promise<Alarm | null> {
  const [deployment, uuid] = decodeGlobalId(id, ['Alarm']).parts as [string, string];
  const doc = await ctx.loaders.alarm(deployment, uuid);
  return doc === null ? null : toAlarm(doc);
}

@Resolver(() => Alarm)
export class AlarmResolver {
  @Query(() => AlarmConnection, {
    description:
      'Alarms of one deployment, or one feed over every readable deployment when `deployment` is omitted, ' +
      'in the requested order (default newest occurred first). Cursors resume exactly where a page ended, ' +
      'also while new alarms arrive.',
  })
  alarms(
    @Arg('deployment', () => String, { nullable: true, description: 'A deployment name; omit for all.' })
    deployment: string | null,
    @Args(() => ConnectionArgsType) args: ConnectionArgsType,
    @Arg('filter', () => AlarmFilter, { nullable: true }) filter: AlarmFilter | null,
    @Arg('orderBy', () => AlarmOrder, { nullable: true }) orderBy: AlarmOrder | null,
    @Ctx() ctx: GraphContext,
  ): Promise<ConnectionShape<Alarm>> {
    return alarmConnection(ctx, { deployment: deployment ?? undefined, args, filter, orderBy });
  }

  // No @rateLimit: one batched, cached lookup (which fields are limited, and why: rate-limit.directive.ts).
  @Query(() => Alarm, { nullable: true, description: 'One alarm by its ID; null when its deployment does not know it.' })
  alarm(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphContext): Promise<Alarm | null> {
    return loadAlarm(ctx, id);
  }

  @Mutation(() => Alarm, { description: 'Puts a label on an alarm (idempotent) and returns the alarm as it now is.' })
  @Directive(rateLimitSdl('labelWrites'))
  async addAlarmLabel(
    @Arg('alarmId', () => ID) alarmId: string,
    @Arg('labelId', () => String) labelId: string,
    @Ctx() ctx: GraphContext,
  ): Promise<Alarm> {
    return changeLabel(alarmId, labelId, ctx.loaders.addAlarmLabel);
  }

  @Mutation(() => Alarm, { description: 'Takes a label off an alarm (idempotent) and returns the alarm as it now is.' })
  @Directive(rateLimitSdl('labelWrites'))
  async removeAlarmLabel(
    @Arg('alarmId', () => ID) alarmId: string,
    @Arg('labelId', () => String) labelId: string,
    @Ctx() ctx: GraphContext,
  ): Promise<Alarm> {
    return changeLabel(alarmId, labelId, ctx.loaders.removeAlarmLabel);
  }

  @FieldResolver(() => Deployment, { description: 'The deployment that raised the alarm.' })
  deployment(@Root() alarm: Alarm, @Ctx() ctx: GraphContext): Deployment | Promise<Deployment> {
    return deploymentNamed(ctx, alarm.deploymentName);
  }

  @FieldResolver(() => EventConnection, {
    description: 'The events the alarm correlates, oldest first, from the alarm’s own document (no extra call).',
  })
  events(@Root() alarm: Alarm, @Args(() => ConnectionArgsType) args: ConnectionArgsType): ConnectionShape<Event> {
    const fallbackKey = alarm.document.timestampOccurred ?? 0;
    const items = alarm.document.events.map((doc) => ({
      key: doc.timestampOccurred ?? fallbackKey,
      deployment: doc.deployment,
      id: doc.uuid,
      doc,
    }));
    return itemsConnection({
      args,
      definition: { feed: 'alarm-events', alarm: alarm.id },
      order: 'asc',
      deployment: alarm.deploymentName,
      items,
      toNode: (item) => toEvent(item.doc),
    });
  }
}
