import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GraphContext } from '../../src/graph/context.js';
import { deploymentNamed } from '../../src/graph/deployment/deployment.resolver.js';
import { Deployment } from '../../src/graph/deployment/deployment.type.js';
import type { DeploymentInfo } from '../../src/upstream/upstream.registry.js';

const EAST: DeploymentInfo = { name: 'acme-east', displayName: 'Acme East', hasCredentials: true };

/** A request context whose loaders know the deployment list at once, or only after a load. */
function contextWith(list: DeploymentInfo[], known: boolean): { ctx: GraphContext; loads: () => number } {
  let loads = 0;
  let settled = known;
  const loaders = {
    deploymentsNow: () => (settled ? list : undefined),
    deployments: async () => {
      loads += 1;
      settled = true;
      return list;
    },
  };
  return { ctx: { loaders } as unknown as GraphContext, loads: () => loads };
}

describe('deploymentNamed', () => {
  it('answers at once, not with a promise, when the deployment list is at hand, once per request', () => {
    const { ctx, loads } = contextWith([EAST], true);
    const first = deploymentNamed(ctx, 'acme-east');
    assert.ok(first instanceof Deployment);
    assert.equal(first.name, 'acme-east');
    assert.equal(deploymentNamed(ctx, 'acme-east'), first);
    const unlisted = deploymentNamed(ctx, 'acme-lab');
    assert.ok(unlisted instanceof Deployment && unlisted.hasCredentials === false, 'a name no list mentions is still a Deployment');
    assert.equal(loads(), 0);
  });

  it('loads the list once otherwise, and answers at once after that', async () => {
    const { ctx, loads } = contextWith([EAST], false);
    const pending = deploymentNamed(ctx, 'acme-east');
    assert.ok(pending instanceof Promise);
    assert.equal(deploymentNamed(ctx, 'acme-east'), pending, 'callers before the load share it');
    const found = await pending;
    assert.equal(deploymentNamed(ctx, 'acme-east'), found);
    assert.equal(loads(), 1);
  });
});
