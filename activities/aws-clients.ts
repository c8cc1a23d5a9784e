import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { traceAwsCalls } from './aws-tracing';

/** Where an activity acts: the account and region whose clients it uses. */
export interface RegionalRef {
  readonly account: string;
  readonly region: string;
}

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  /** Classic load balancers (Clouddriver's `loadBalancers`). */
  readonly elb: ElasticLoadBalancingClient;
  /** Alarms that drive step scaling policies. */
  readonly cloudWatch: CloudWatchClient;
}

/** One AWS account Bosun may act on, named as Spinnaker names it (`credentials`). */
export interface AwsAccount {
  readonly name: string;
  /** The 12-digit id; with the emulator it selects moto's account. */
  readonly accountId?: string | undefined;
  /** A profile of the shared AWS config files; absent = the standard credential chain. */
  readonly profile?: string | undefined;
  /** Regions the account may be used in; absent = any. */
  readonly regions?: readonly string[] | undefined;
}

export interface AwsClientSettings {
  readonly accounts: readonly AwsAccount[];
  /** Set for the emulator (or any AWS-compatible endpoint); absent = real AWS. */
  readonly endpoint?: string | undefined;
  /** True when `endpoint` is moto: static credentials and moto's account header. */
  readonly emulator: boolean;
  /**
   * SDK attempts per activity attempt. 1 by default: Temporal owns retries, so every attempt
   * and its error is visible in the workflow's history instead of hidden inside the SDK.
   */
  readonly maxAttempts: number;
  /** Told of every HTTP attempt every client makes (the worker's metrics); absent = nobody. */
  readonly onCall?: AwsCallObserver | undefined;
}

/** The services Bosun calls, as the metrics name them. */
export const AWS_SERVICES = { ec2: 'ec2', autoScaling: 'autoscaling', elbv2: 'elbv2', elb: 'elb', cloudWatch: 'cloudwatch' } as const;
export type AwsService = (typeof AWS_SERVICES)[keyof typeof AWS_SERVICES];

/** One HTTP attempt of an AWS call: which API, how long, and its error (absent = it succeeded). */
export interface AwsCallRecord {
  readonly service: AwsService;
  /** The API's name, e.g. `DescribeAutoScalingGroups`. */
  readonly api: string;
  readonly seconds: number;
  readonly error?: unknown;
}
export type AwsCallObserver = (call: AwsCallRecord) => void;

export interface AwsClientProvider {
  /** Clients for an account and region; refuses accounts and regions that are not configured. */
  clientsFor(account: string, region: string): AwsClients;
  /** The configured account, or undefined (callers that need its id decide what that means). */
  account(name: string): AwsAccount | undefined;
  destroy(): void;
}

/**
 * Credentials are resolved here, by account name, so they never travel in workflow inputs or
 * history (DESIGN invariant 7). Clients are cached per account and region for the worker's life.
 */
export function createAwsClientProvider(settings: AwsClientSettings): AwsClientProvider {
  const cache = new Map<string, AwsClients>();
  const byName = new Map(settings.accounts.map((a) => [a.name, a]));

  return {
    clientsFor(accountName, region) {
      const account = byName.get(accountName);
      if (!account) {
        throw ApplicationFailure.nonRetryable(
          `account '${accountName}' is not configured in Bosun (configured: ${[...byName.keys()].join(', ') || 'none'})`,
          FailureType.UnknownAccount,
        );
      }
      if (account.regions && !account.regions.includes(region)) {
        throw ApplicationFailure.nonRetryable(
          `account '${accountName}' is not configured for region ${region} (configured: ${account.regions.join(', ')})`,
          FailureType.UnknownRegion,
        );
      }
      const key = `${accountName}\u0000${region}`;
      let clients = cache.get(key);
      if (!clients) {
        clients = makeClients(settings, account, region);
        cache.set(key, clients);
      }
      return clients;
    },
    account: (name) => byName.get(name),
    destroy() {
      for (const c of cache.values()) {
        c.ec2.destroy();
        c.autoScaling.destroy();
        c.elbv2.destroy();
        c.elb.destroy();
        c.cloudWatch.destroy();
      }
      cache.clear();
    },
  };
}

type MotoHeaderMiddleware = (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>;
interface WithBuildStack {
  middlewareStack: { add(mw: MotoHeaderMiddleware, options: { step: 'build'; name: string }): void };
}
type ObservingMiddleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;
interface WithFinalizeStack {
  middlewareStack: { add(mw: ObservingMiddleware, options: { step: 'finalizeRequest'; priority: 'low'; name: string }): void };
}

/**
 * Reports each HTTP attempt: in the finalize step at low priority it sits inside the SDK's retry
 * middleware, so a throttled attempt the SDK retries itself (maxAttempts > 1) is seen too.
 */
function observeCalls(client: unknown, service: AwsService, onCall: AwsCallObserver): void {
  const observing: ObservingMiddleware = (next, context) => async (args) => {
    const api = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const started = performance.now();
    try {
      const out = await next(args);
      onCall({ service, api, seconds: (performance.now() - started) / 1000 });
      return out;
    } catch (error) {
      onCall({ service, api, seconds: (performance.now() - started) / 1000, error });
      throw error;
    }
  };
  (client as WithFinalizeStack).middlewareStack.add(observing, { step: 'finalizeRequest', priority: 'low', name: 'bosunCallObserver' });
}

function makeClients(settings: AwsClientSettings, account: AwsAccount, region: string): AwsClients {
  const config = {
    region,
    maxAttempts: settings.maxAttempts,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.emulator ? { credentials: { accessKeyId: 'bosun-emulator', secretAccessKey: 'bosun-emulator' } } : {}),
    ...(account.profile ? { profile: account.profile } : {}),
  };
  const clients: AwsClients = {
    ec2: new EC2Client(config),
    autoScaling: new AutoScalingClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    elb: new ElasticLoadBalancingClient(config),
    cloudWatch: new CloudWatchClient(config),
  };
  if (settings.onCall) {
    for (const key of Object.keys(AWS_SERVICES) as (keyof typeof AWS_SERVICES)[])
      observeCalls(clients[key], AWS_SERVICES[key], settings.onCall);
  }
  // Spans of the calls made inside a traced activity; a pass-through otherwise.
  for (const client of [clients.ec2, clients.autoScaling, clients.elbv2, clients.elb, clients.cloudWatch]) traceAwsCalls(client);
  if (settings.emulator && account.accountId) {
    const accountId = account.accountId;
    const header: MotoHeaderMiddleware = (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-moto-account-id'] = accountId;
      return next(args);
    };
    // moto keeps one state per account, chosen by this header.
    for (const client of [
      clients.ec2,
      clients.autoScaling,
      clients.elbv2,
      clients.elb,
      clients.cloudWatch,
    ] as unknown as WithBuildStack[]) {
      client.middlewareStack.add(header, { step: 'build', name: 'bosunMotoAccount' });
    }
  }
  return clients;
}
