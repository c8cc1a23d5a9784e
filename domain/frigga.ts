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

/** The cluster a deploy description (or anything with a moniker's parts) deploys into. */
export function clusterOf(d: {
  readonly application: string;
  readonly stack?: string | undefined;
  readonly detail?: string | undefined;
}): string {
  return clusterName(d.application, d.stack, d.detail);
}

export function serverGroupName(cluster: string, sequence: number): string {
  return `${cluster}-v${String(sequence % 1000).padStart(3, '0')}`;
}

/**
 * The next sequence number in a cluster: the highest one in use plus one, modulo 1000, skipping
 * numbers still taken (Clouddriver's rule). Undefined when all 1000 are taken.
 */
export function nextSequence(taken: readonly number[]): number | undefined {
  if (taken.length === 0) return 0;
  const used = new Set(taken);
  const start = (Math.max(...taken) + 1) % 1000;
  for (let i = 0; i < 1000; i++) {
    const candidate = (start + i) % 1000;
    if (!used.has(candidate)) return candidate;
  }
  return undefined;
}
