/**
 * The port through which the graph learns which deployments exist.
 *
 * Contract: `listDeployments()` returns every deployment the facade knows of, each
 * once, sorted by name, telling whether the facade holds credentials for it. Fields
 * only USM Central knows (display name, connection status, ...) are undefined when
 * Central is not configured.
 */
export interface DeploymentRecord {
  name: string;
  displayName?: string;
  fqdn?: string;
  /** As Central says, e.g. `USM Anywhere`. */
  type?: string;
  /** Epoch ms. */
  joinedSince?: number;
  connectionStatus?: string;
  authorized?: boolean;
  hasCredentials: boolean;
}

export interface DeploymentDirectory {
  listDeployments(): Promise<DeploymentRecord[]>;
}
