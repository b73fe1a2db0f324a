/**
 * Upstream client credentials: see them, and replace them without an outage. The
 * rules (verify then swap, leaves before the root, stop at the first failure, encrypt
 * at rest, one rotation per upstream across replicas, every step audited) live in
 * `src/upstream/auth/credential.rotator.ts`; this layer passes the caller's key as the actor.
 */
import { Arg, Ctx, Directive, Mutation, Query, Resolver } from 'type-graphql';
import { rateLimitSdl } from '../../protection/rate-limit.directive.js';
import type { GraphContext } from '../context.js';
import {
  CredentialRotationReport,
  CredentialRotationResult,
  UpstreamCredential,
  UpstreamCredentialInput,
} from './credential.type.js';

@Resolver()
export class CredentialResolver {
  @Query(() => [UpstreamCredential], { description: 'The API client in use for each deployment and for USM Central.' })
  upstreamCredentials(@Ctx() ctx: GraphContext): UpstreamCredential[] {
    return ctx.credentials.credentials().map((status) => UpstreamCredential.from(status));
  }

  @Mutation(() => CredentialRotationReport, {
    description:
      'Replaces upstream API clients: each new one is verified with a token request, then used for new calls while ' +
      'calls in flight finish. Every Anywhere deployment goes before Central; the first failure stops the run and ' +
      'leaves the old client in use. Refused as a whole with ROTATION_IN_PROGRESS while a rotation of one of the same ' +
      'deployments runs on any replica. Each step is in auditEvents. Delete the old clients in USM afterwards.',
  })
  @Directive(rateLimitSdl('credentials'))
  async rotateUpstreamCredentials(
    @Arg('input', () => [UpstreamCredentialInput]) input: UpstreamCredentialInput[],
    @Ctx() ctx: GraphContext,
  ): Promise<CredentialRotationReport> {
    const report = await ctx.credentials.rotateCredentials(
      input.map(({ deployment, clientId, clientSecret }) => ({ deployment, clientId, clientSecret })),
      { kind: 'KEY', keyId: ctx.apiKey.id, keyName: ctx.apiKey.name },
    );
    return Object.assign(new CredentialRotationReport(), {
      entries: report.entries.map((entry) => CredentialRotationResult.from(entry)),
    });
  }
}
