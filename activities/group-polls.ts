/**
 * The waits' looks at Auto Scaling groups, batched.
 *
 * Every wait (for capacity, for a deletion) describes its one group every poll interval. With
 * 1,000 deploys waiting at once that is 100 DescribeAutoScalingGroups a second into one account
 * and region: far beyond what AWS lets an account make before it throttles (Clouddriver is
 * known for being throttled on exactly this call), and, on the local stack, a large share of the
 * emulator's CPU (bench status). DescribeAutoScalingGroups takes up to 50 names, so the
 * waits of one worker that look at the same account and region within a short window share one
 * call. When few waits are polling, each look goes out at once, as before.
 *
 * DataLoader (graphql/dataloader) does the batching; its cache is off, since every look must see
 * AWS as it is now. A failed call fails every look in it; each wait then fails its attempt, as it
 * would have alone, and is retried by Temporal.
 */
import type { AutoScalingClient, AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import DataLoader from 'dataloader';
import { awsCall } from './aws-errors';
import { allPages } from './paging';
import type { DescribedServerGroup } from './server-group-lookup';
import { DELETE_IN_PROGRESS } from './server-group-lookup';

/** Names DescribeAutoScalingGroups accepts in one call without raising MaxRecords. */
export const MAX_NAMES_PER_DESCRIBE = 50;

export interface GroupPollsOptions {
  /** How long a look waits for others to join its call while waits are busy. */
  readonly windowMs?: number | undefined;
  /** Looks per second (per account and region) from which they are batched; below it each goes out at once. */
  readonly busyPerSecond?: number | undefined;
}

export interface GroupPolls {
  /** One wait's look at its group: undefined when it does not exist. */
  look(
    autoScaling: Pick<AutoScalingClient, 'send'>,
    ref: { readonly serverGroupName: string; readonly region: string },
  ): Promise<DescribedServerGroup | undefined>;
}

type Client = Pick<AutoScalingClient, 'send'>;

export function createGroupPolls(opts: GroupPollsOptions = {}): GroupPolls {
  const windowMs = opts.windowMs ?? 100;
  const busyPerSecond = opts.busyPerSecond ?? 10;
  // One loader per client: the provider keeps one client per account and region for the worker's life.
  const loaders = new WeakMap<Client, { loader: DataLoader<string, DescribedServerGroup | undefined>; rate: LookRate }>();

  const loaderFor = (autoScaling: Client) => {
    let entry = loaders.get(autoScaling);
    if (!entry) {
      const rate = new LookRate();
      const loader = new DataLoader<string, DescribedServerGroup | undefined>((names) => describeGroups(autoScaling, names), {
        cache: false,
        maxBatchSize: MAX_NAMES_PER_DESCRIBE,
        batchScheduleFn: (dispatch) => {
          if (rate.perSecond() >= busyPerSecond) setTimeout(dispatch, windowMs);
          else process.nextTick(dispatch);
        },
      });
      entry = { loader, rate };
      loaders.set(autoScaling, entry);
    }
    return entry;
  };

  return {
    look(autoScaling, ref) {
      const { loader, rate } = loaderFor(autoScaling);
      rate.note();
      const name = ref.serverGroupName;
      return awsCall(`DescribeAutoScalingGroups ${name} in ${ref.region}`, () => loader.load(name));
    },
  };
}

/** One call for up to 50 names; each answer in the order asked, undefined for a group that does not exist. */
async function describeGroups(autoScaling: Client, names: readonly string[]): Promise<(DescribedServerGroup | undefined)[]> {
  const unique = [...new Set(names)];
  const groups = await allPages(async (token) => {
    const out = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: unique, MaxRecords: 100, NextToken: token }),
    );
    return { items: out.AutoScalingGroups ?? [], next: out.NextToken };
  });
  const found = new Map<string, AutoScalingGroup>();
  for (const g of groups) if (g.AutoScalingGroupName) found.set(g.AutoScalingGroupName, g);
  return names.map((n) => {
    const group = found.get(n);
    return group ? { group, deleting: group.Status === DELETE_IN_PROGRESS } : undefined;
  });
}

/** Looks in the current and the previous second. */
class LookRate {
  private second = 0;
  private current = 0;
  private previous = 0;

  note(): void {
    this.roll();
    this.current++;
  }

  perSecond(): number {
    this.roll();
    return Math.max(this.current, this.previous);
  }

  private roll(): void {
    const now = Math.floor(Date.now() / 1000);
    if (now === this.second) return;
    this.previous = now === this.second + 1 ? this.current : 0;
    this.current = 0;
    this.second = now;
  }
}
