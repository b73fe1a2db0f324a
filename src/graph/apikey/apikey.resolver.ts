/**
 * API-key management over GraphQL. Every rule (formats, policies, who may grant what,
 * the default key) lives in the key domain (`src/keys`); this layer maps types and
 * passes the caller as the actor. Who may call what is decided in `permissions.ts`.
 * `auditEvents` reads the one audit trail, which upstream credential rotations write to
 * as well (`main.ts` hands the key service's log to the rotator).
 */
import { Arg, Args, ArgsType, Ctx, Directive, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { rateLimitSdl } from '../../protection/rate-limit.directive.js';
import { Topic, type ApiKeyRotatedPayload } from '../../live/pubsub.js';
import { filterSubscription } from '../../live/subscription.queue.js';
import { parseIsoDuration } from '../../keys/rotation.policy.js';
import type { GraphContext } from '../context.js';
import type { ConnectionShape } from '../connection/connection.type.js';
import { ApiKeyBudgetInput, CreateApiKeyInput, RotationPolicyInput } from './apikey.inputs.js';
import { ApiKey, ApiKeyRotation, ApiKeyRotationChange, CreatedApiKey } from './apikey.type.js';
import { AuditEvent, AuditEventConnection } from './audit.type.js';
import { UpstreamUsage } from './upstream-usage.type.js';

@ArgsType()
class AuditPageArgs {
  @Field(() => Int, { nullable: true, description: '1–100, default 20.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;
}

const created = (result: { key: Parameters<typeof ApiKey.from>[0]; secret: string; warnings: string[] }) =>
  Object.assign(new CreatedApiKey(), { key: ApiKey.from(result.key), secret: result.secret, warnings: result.warnings });

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @FieldResolver(() => UpstreamUsage, {
    description:
      'Upstream calls made for this key in the last minute, their share of the quota and their wait for it, as the ' +
      'replica answering counted them. Needs `keys:manage`, even on `viewer`.',
  })
  upstreamUsage(@Root() key: ApiKey, @Ctx() ctx: GraphContext): UpstreamUsage {
    ctx.keys.authorize(ctx.apiKey, 'keys:manage');
    return UpstreamUsage.from(ctx.usage.usageOf(key.id), ctx.usage.answersOf(key.id));
  }

  @Query(() => ApiKey, { description: 'The API key this request authenticated with.' })
  viewer(@Ctx() ctx: GraphContext): ApiKey {
    return ApiKey.from(ctx.apiKey);
  }

  @Query(() => [ApiKey], { description: 'Every API key of this facade, revoked ones included.' })
  async apiKeys(@Ctx() ctx: GraphContext): Promise<ApiKey[]> {
    return (await ctx.keys.list()).map((key) => ApiKey.from(key));
  }

  @Query(() => AuditEventConnection, {
    description: 'The audit trail, newest first: changes to API keys, and each step of every upstream credential rotation (refused ones included).',
  })
  async auditEvents(@Args(() => AuditPageArgs) args: AuditPageArgs, @Ctx() ctx: GraphContext): Promise<ConnectionShape<AuditEvent>> {
    const page = await ctx.keys.audit.list({ first: args.first ?? undefined, after: args.after ?? undefined });
    return {
      edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: AuditEvent.from(edge.node) })),
      pageInfo: page.pageInfo,
      countTotal: () => ctx.keys.audit.count(),
    };
  }

  @Mutation(() => CreatedApiKey, { description: 'Makes a key; its secret is in this answer only.' })
  @Directive(rateLimitSdl('keyManagement'))
  async createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: GraphContext): Promise<CreatedApiKey> {
    return created(
      await ctx.keys.create(
        {
          name: input.name,
          permissions: input.permissions ?? undefined,
          rotation: input.rotation ?? undefined,
          trustedDocumentsOnly: input.trustedDocumentsOnly ?? undefined,
          budget: input.budget == null ? undefined : { maximum: input.budget.maximum, restoreRate: input.budget.restoreRate },
        },
        ctx.apiKey,
      ),
    );
  }

  @Mutation(() => CreatedApiKey, {
    description: 'A new secret now; the previous one keeps working for the grace period (default: the key’s policy, else one day).',
  })
  @Directive(rateLimitSdl('keyManagement'))
  async rotateApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('gracePeriod', () => String, { nullable: true, description: 'ISO 8601 duration, e.g. `P15D`; `PT0S` ends the old secret now.' })
    gracePeriod: string | null | undefined,
    @Ctx() ctx: GraphContext,
  ): Promise<CreatedApiKey> {
    // An omitted argument arrives as undefined, an explicit null as null: both mean the default.
    const gracePeriodMs = gracePeriod == null ? undefined : parseIsoDuration(gracePeriod, 'gracePeriod');
    return created(await ctx.keys.rotate(id, { gracePeriodMs }, ctx.apiKey));
  }

  @Mutation(() => CreatedApiKey, { description: 'A new secret now; the old one stops working at once.' })
  @Directive(rateLimitSdl('keyManagement'))
  async resetApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphContext): Promise<CreatedApiKey> {
    return created(await ctx.keys.reset(id, ctx.apiKey));
  }

  @Mutation(() => ApiKeyRotationChange, { description: 'Sets (or with null, removes) the key’s rotation schedule.' })
  @Directive(rateLimitSdl('keyManagement'))
  async setApiKeyRotation(
    @Arg('id', () => ID) id: string,
    @Arg('rotation', () => RotationPolicyInput, { nullable: true }) rotation: RotationPolicyInput | null | undefined,
    @Ctx() ctx: GraphContext,
  ): Promise<ApiKeyRotationChange> {
    // Omitted (undefined) is null: no policy.
    const result = await ctx.keys.setRotation(id, rotation ?? null, ctx.apiKey);
    return Object.assign(new ApiKeyRotationChange(), { key: ApiKey.from(result.key), warnings: result.warnings });
  }

  @Mutation(() => ApiKey, {
    description:
      "Gives the key a budget of its own (with null, back to the default `KEY_BUDGET_*`): larger for a frontend's backend or a dashboard wall, " +
      'smaller for a batch job. Applies on every replica within seconds; audited.',
  })
  @Directive(rateLimitSdl('keyManagement'))
  async setApiKeyBudget(
    @Arg('id', () => ID) id: string,
    @Arg('budget', () => ApiKeyBudgetInput, { nullable: true }) budget: ApiKeyBudgetInput | null | undefined,
    @Ctx() ctx: GraphContext,
  ): Promise<ApiKey> {
    // Omitted (undefined) is null: the defaults.
    const own = budget == null ? null : { maximum: budget.maximum, restoreRate: budget.restoreRate };
    return ApiKey.from(await ctx.keys.setBudget(id, own, ctx.apiKey));
  }

  @Mutation(() => ApiKey, { description: 'Stops the key working at once, on every replica; it stays listed.' })
  @Directive(rateLimitSdl('keyManagement'))
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphContext): Promise<ApiKey> {
    return ApiKey.from(await ctx.keys.revoke(id, ctx.apiKey));
  }

  @Mutation(() => ApiKey, { description: 'Removes the key; the default key cannot be deleted.' })
  @Directive(rateLimitSdl('keyManagement'))
  async deleteApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphContext): Promise<ApiKey> {
    return ApiKey.from(await ctx.keys.delete(id, ctx.apiKey));
  }

  @Subscription(() => ApiKeyRotation, {
    description:
      'The new secret of the key this connection authenticated with, each time it rotates, so a long-running client ' +
      'keeps working without a restart. Not after a reset: that ends every earlier secret, so the new one goes only ' +
      'to whoever reset the key.',
    // The routing key comes from the connection's own key, never from arguments: only its holders hear its secret.
    // A reset answers a leaked secret: a connection opened with it must not learn the replacement (the server
    // closes such connections once the old secret is refused).
    // Answered once the pubsub listens (Redis confirms asynchronously), so a failed subscribe reaches the client.
    subscribe: async ({ context }) => {
      const { pubsub, apiKey } = context as GraphContext;
      const subscription = pubsub.subscribe(Topic.ApiKeyRotated, apiKey.id);
      try {
        await subscription.ready;
      } catch (error) {
        await subscription.return();
        throw error;
      }
      return filterSubscription(subscription, (payload) => payload.trigger !== 'RESET');
    },
  })
  apiKeyRotated(@Root() payload: ApiKeyRotatedPayload): ApiKeyRotation {
    return Object.assign(new ApiKeyRotation(), {
      keyId: payload.keyId,
      secret: payload.secret,
      previousSecretValidUntil: payload.previousValidUntil === null ? null : new Date(payload.previousValidUntil),
      rotatedAt: new Date(payload.rotatedAt),
      trigger: payload.trigger,
    });
  }
}
