/** Inputs of the API-key mutations. Durations are ISO 8601 (`P30D`), checked by the key domain. */
import { Field, InputType, Int } from 'type-graphql';
import { Permission } from './apikey.type.js';

@InputType({ description: 'A rotation schedule: `P30D` interval with `P15D` grace is what the docs advise.' })
export class RotationPolicyInput {
  @Field({ description: 'ISO 8601 duration between rotations, at least `P1D` (one day is accepted with a warning).' })
  interval!: string;

  @Field({ description: 'ISO 8601 duration the previous secret keeps working; shorter than the interval.' })
  gracePeriod!: string;
}

@InputType({ description: "A key's own budget in points: an operation costs its upstream calls plus a small base (`KEY_BUDGET_BASE_POINTS`)." })
export class ApiKeyBudgetInput {
  @Field(() => Int, { description: 'Points the key can spend at once, 1–1000000 (default `KEY_BUDGET_MAXIMUM`).' })
  maximum!: number;

  @Field(() => Int, { description: 'Points restored a second, 1–100000 (default `KEY_BUDGET_RESTORE_RATE`).' })
  restoreRate!: number;
}

@InputType()
export class CreateApiKeyInput {
  @Field({ description: 'Unique name, 1–100 characters.' })
  name!: string;

  @Field(() => [Permission], { nullable: true, description: 'Default `[ALARMS_READ]`. You can grant only what your key holds.' })
  permissions?: Permission[] | null;

  @Field(() => RotationPolicyInput, { nullable: true, description: 'Default none: the key never rotates on its own.' })
  rotation?: RotationPolicyInput | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Default false. True: the key runs only the trusted documents (`client/generated/persisted-documents.json`), by hash or as text; anything else is PERSISTED_QUERY_NOT_ALLOWED.',
  })
  trustedDocumentsOnly?: boolean | null;

  @Field(() => ApiKeyBudgetInput, { nullable: true, description: 'Default none: the key draws on the default budget (`KEY_BUDGET_*`).' })
  budget?: ApiKeyBudgetInput | null;
}
