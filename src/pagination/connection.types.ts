/**
 * The Relay connection shapes, as plain data (no GraphQL here).
 *
 * Contract: what the Relay Cursor Connections spec calls edges and pageInfo.
 * `startCursor`/`endCursor` are the cursors of the first and last edge, or null when
 * there are no edges. `totalCount` is not part of this shape: it costs upstream calls
 * of its own, so the GraphQL connection resolves it separately, only when asked.
 */
export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}
