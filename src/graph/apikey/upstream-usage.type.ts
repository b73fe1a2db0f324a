/**
 * What an API key drew from the upstream quota in the last minute, for operators: how
 * many calls, what share of the quota, and how long they waited for it. Counted by the
 * replica that answers (each replica counts the calls it sent).
 */
import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { UpstreamUsageReport } from '../../upstream/upstream.registry.js';

@ObjectType({ simpleResolvers: true, description: 'One upstream’s calls for a key in the last minute.' })
export class UpstreamUsageEntry {
  @Field({ description: 'The deployment, or `central`.' })
  upstream!: string;

  @Field(() => Int, { description: 'GET requests sent.' })
  gets!: number;

  @Field(() => Int, { description: 'POST, PUT and DELETE requests sent (USM counts them against the 50 per second).' })
  writes!: number;

  @Field(() => Float, {
    description:
      'Share of the quota the facade may use that these calls took, 0 to 1: the larger of GETs over the GET ' +
      'allowance and writes over the write allowance, per minute.',
  })
  quotaShare!: number;

  @Field(() => Float, { description: 'Time these calls waited for the rate budget, in milliseconds.' })
  waitedMs!: number;

  @Field(() => Float, { description: 'Longest single wait, in milliseconds.' })
  maxWaitMs!: number;

  static from(report: UpstreamUsageReport): UpstreamUsageEntry {
    const { usage, allowancePerMinute } = report;
    return Object.assign(new UpstreamUsageEntry(), {
      upstream: report.upstream,
      gets: usage.calls.get,
      writes: usage.calls.post,
      quotaShare: Math.max(usage.calls.get / allowancePerMinute.get, usage.calls.post / allowancePerMinute.post),
      waitedMs: usage.waitedMs,
      maxWaitMs: usage.maxWaitMs,
    });
  }
}

@ObjectType({ simpleResolvers: true, description: 'A key’s draw on the upstream quota in the last minute, as this replica counted it.' })
export class UpstreamUsage {
  @Field(() => Int, { description: 'Upstream requests sent for the key, every upstream together.' })
  calls!: number;

  @Field(() => Float, { description: 'Time those requests waited for the rate budget, in milliseconds.' })
  waitedMs!: number;

  @Field(() => Float, { description: 'Longest single wait, in milliseconds.' })
  maxWaitMs!: number;

  @Field(() => Int, {
    description:
      'Upstream requests of the key’s operations over HTTP that served an answer: the operation answered without error.',
  })
  servedCalls!: number;

  @Field(() => Int, {
    description:
      'Upstream requests of the key’s operations over HTTP that were wasted: the operation failed after sending them ' +
      '(under overload the facade turns work away before its first call instead).',
  })
  wastedCalls!: number;

  @Field(() => [UpstreamUsageEntry], { description: 'Per upstream it called, by name.' })
  upstreams!: UpstreamUsageEntry[];

  static from(reports: readonly UpstreamUsageReport[], answers: { servedCalls: number; wastedCalls: number }): UpstreamUsage {
    const upstreams = reports
      .filter((report) => report.usage.calls.get + report.usage.calls.post > 0)
      .map((report) => UpstreamUsageEntry.from(report));
    return Object.assign(new UpstreamUsage(), {
      calls: upstreams.reduce((sum, entry) => sum + entry.gets + entry.writes, 0),
      waitedMs: upstreams.reduce((sum, entry) => sum + entry.waitedMs, 0),
      maxWaitMs: upstreams.reduce((max, entry) => Math.max(max, entry.maxWaitMs), 0),
      servedCalls: answers.servedCalls,
      wastedCalls: answers.wastedCalls,
      upstreams,
    });
  }
}
