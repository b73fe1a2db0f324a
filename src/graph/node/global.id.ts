/**
 * Opaque global IDs for `Node` types.
 *
 * Contract: `encodeGlobalId(type, ...parts)` gives a URL-safe string that names a
 * type and the parts that find the object upstream (for an alarm: deployment and
 * uuid). `decodeGlobalId` accepts only what `encodeGlobalId` made, for the types it is
 * told to expect, and otherwise throws BAD_USER_INPUT saying what an ID looks like;
 * it never throws anything else. Clients must treat IDs as opaque.
 */
import { FacadeError } from '../../errors/facade.error.js';

export const NODE_TYPES = ['Alarm', 'Event', 'Deployment'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export interface DecodedGlobalId {
  type: NodeType;
  parts: string[];
}

/** How many parts each type carries after its name. */
const ARITY: Record<NodeType, number> = { Alarm: 2, Event: 2, Deployment: 1 };

export function encodeGlobalId(type: NodeType, ...parts: string[]): string {
  if (parts.length !== ARITY[type] || parts.some((p) => p.length === 0 || p.includes('\n'))) {
    throw new Error(`encodeGlobalId(${type}) needs ${ARITY[type]} non-empty parts`);
  }
  return Buffer.from([type, ...parts].join('\n'), 'utf8').toString('base64url');
}

export function decodeGlobalId(id: string, expected: readonly NodeType[] = NODE_TYPES): DecodedGlobalId {
  const invalid = (why: string) =>
    new FacadeError(
      'BAD_USER_INPUT',
      `"${id.slice(0, 80)}" is not a valid ${expected.join(' or ')} ID (${why}); use an \`id\` returned by this API.`,
      { details: { argument: 'id' } },
    );
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(id)) throw invalid('IDs are opaque base64url strings');
  const [type, ...parts] = Buffer.from(id, 'base64url').toString('utf8').split('\n');
  if (!NODE_TYPES.includes(type as NodeType)) throw invalid('unknown type');
  const nodeType = type as NodeType;
  if (!expected.includes(nodeType)) throw invalid(`it is a ${nodeType} ID`);
  if (parts.length !== ARITY[nodeType] || parts.some((p) => p.length === 0)) throw invalid('malformed');
  return { type: nodeType, parts };
}
