/**
 * Spinnaker's naming convention (Netflix Frigga): `app`, `app-stack`, `app-stack-detail` or
 * `app--detail`, then optionally `-vNNN` for a server group. Clouddriver, Orca and Deck all derive
 * the application and cluster from these names, so Bosun parses them the same way.
 */
export interface FriggaName {
  readonly app: string;
  readonly stack: string | undefined;
  readonly detail: string | undefined;
  /** `app-stack-detail` without the version: the cluster. */
  readonly cluster: string;
  readonly sequence: number | undefined;
}

const VERSION = /^(.*)-v(\d{3})$/;
const NAME_PART = /^[a-zA-Z0-9._~^]+$/;

export function parseServerGroupName(name: string): FriggaName | undefined {
  if (!name) return undefined;
  const versioned = VERSION.exec(name);
  const cluster = versioned ? versioned[1]! : name;
  const sequence = versioned ? Number(versioned[2]) : undefined;
  const [app, stack, ...rest] = cluster.split('-');
  if (!app || !NAME_PART.test(app)) return undefined;
  const detail = rest.length > 0 ? rest.join('-') : undefined;
  return {
    app,
    stack: stack ? stack : undefined,
    detail: detail ? detail : undefined,
    cluster,
    sequence,
  };
}

export function clusterName(app: string, stack?: string, detail?: string): string {
  if (detail) return `${app}-${stack ?? ''}-${detail}`;
  if (stack) return `${app}-${stack}`;
  return app;
}

export function serverGroupName(cluster: string, sequence: number): string {
  return `${cluster}-v${String(sequence % 1000).padStart(3, '0')}`;
}
