/**
 * The upstream OAuth client credentials as the schema shows them: which client each
 * deployment (and Central) uses and whether it works. Never a secret.
 */
import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DateTime } from '../scalar/date-time.scalar.js';
import type { CredentialStatus, RotationEntryResult } from '../../upstream/auth/credential.rotator.js';

export enum UpstreamApi {
  ANYWHERE = 'anywhere',
  CENTRAL = 'central',
}
registerEnumType(UpstreamApi, { name: 'UpstreamApi', description: 'USM Anywhere 2.0 or USM Central 1.1.' });

export enum CredentialState {
  WORKING = 'WORKING',
  FAILING = 'FAILING',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(CredentialState, {
  name: 'CredentialState',
  description: 'What the latest token request or call with the credential showed; UNKNOWN before the first.',
});

export enum CredentialRotationStatus {
  ROTATED = 'ROTATED',
  FAILED = 'FAILED',
  NOT_ATTEMPTED = 'NOT_ATTEMPTED',
}
registerEnumType(CredentialRotationStatus, { name: 'CredentialRotationStatus' });

@ObjectType({ simpleResolvers: true, description: 'The API client the facade uses for one deployment or for USM Central.' })
export class UpstreamCredential {
  @Field(() => UpstreamApi)
  api!: UpstreamApi;

  @Field({ description: 'Deployment name, or `central`.' })
  deployment!: string;

  @Field()
  clientId!: string;

  @Field(() => CredentialState)
  state!: CredentialState;

  @Field(() => String, { nullable: true, description: 'Code of the last failure, e.g. `UPSTREAM_AUTH_FAILED`.' })
  lastErrorCode!: string | null;

  @Field(() => DateTime, { nullable: true })
  lastErrorAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the current access token expires.' })
  tokenExpiresAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  lastRotatedAt!: Date | null;

  static from(status: CredentialStatus): UpstreamCredential {
    return Object.assign(new UpstreamCredential(), {
      api: status.api as UpstreamApi,
      deployment: status.deployment,
      clientId: status.clientId,
      state: status.state as CredentialState,
      lastErrorCode: status.lastErrorCode ?? null,
      lastErrorAt: status.lastErrorAt ?? null,
      tokenExpiresAt: status.tokenExpiresAt ?? null,
      lastRotatedAt: status.lastRotatedAt ?? null,
    });
  }
}

@InputType({ description: 'A new API client for one deployment (or `central`), created in USM beforehand.' })
export class UpstreamCredentialInput {
  @Field({ description: 'Deployment name, or `central`.' })
  deployment!: string;

  @Field()
  clientId!: string;

  @Field({ description: 'Verified with a token request, then stored encrypted; never shown again.' })
  clientSecret!: string;
}

@ObjectType({ simpleResolvers: true, description: 'What happened to one entry of a credential rotation.' })
export class CredentialRotationResult {
  @Field()
  deployment!: string;

  @Field(() => UpstreamApi, { nullable: true, description: 'Null for a deployment the facade does not know.' })
  api!: UpstreamApi | null;

  @Field({ description: 'The new client ID asked for.' })
  clientId!: string;

  @Field(() => CredentialRotationStatus)
  status!: CredentialRotationStatus;

  @Field(() => String, { nullable: true })
  errorCode!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it failed or was not attempted.' })
  message!: string | null;

  @Field(() => String, { nullable: true, description: 'The client it replaced: now safe to delete in USM.' })
  previousClientId!: string | null;

  @Field(() => DateTime, { nullable: true })
  rotatedAt!: Date | null;

  static from(entry: RotationEntryResult): CredentialRotationResult {
    return Object.assign(new CredentialRotationResult(), {
      deployment: entry.deployment,
      api: (entry.api as UpstreamApi | undefined) ?? null,
      clientId: entry.clientId,
      status: entry.status as CredentialRotationStatus,
      errorCode: entry.errorCode ?? null,
      message: entry.message ?? null,
      previousClientId: entry.previousClientId ?? null,
      rotatedAt: entry.rotatedAt ?? null,
    });
  }
}

@ObjectType({ simpleResolvers: true, description: 'A credential rotation, entry by entry, in the order applied (deployments before Central).' })
export class CredentialRotationReport {
  @Field(() => [CredentialRotationResult])
  entries!: CredentialRotationResult[];
}
