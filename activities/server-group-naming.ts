/**
 * Choosing a new server group's name: the next free sequence number in its cluster. The workflow
 * asks once and records the answer (DESIGN invariant 3).
 */
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures';
import { nextSequence, parseServerGroupName, serverGroupName as nameFor } from '../domain/frigga';
import { CREATED_BY_TAG } from '../domain/task';
import type { AwsClientProvider } from './aws-clients';
import { awsCall } from './aws-errors';
import { tagOf } from './deploy-ownership';

export interface ChooseNameInput {
  readonly account: string;
  readonly region: string;
  readonly cluster: string;
  readonly sequence?: number | undefined;
  /** `createdByValue(taskId, index)`: a group already carrying it is this deploy's own. */
  readonly createdBy: string;
}

/** Names asked for in one DescribeAutoScalingGroups call (AWS's MaxRecords maximum). */
const NAMES_PER_CALL = 100;

/**
 * The moniker tags Bosun's deploy writes on every group, and Clouddriver's when
 * `aws.defaults.addAppStackDetailTags` is on (BasicAmazonDeployHandler.applyAppStackDetailTags):
 * a stack or details tag only when the cluster has one.
 */
const APPLICATION_TAG = 'spinnaker:application';
const STACK_TAG = 'spinnaker:stack';
const DETAILS_TAG = 'spinnaker:details';

type AutoScalingGroupPage = { AutoScalingGroups?: AutoScalingGroup[]; NextToken?: string };

/** What one read of groups says about a cluster: its own group (a lost answer's) or the numbers taken. */
interface ClusterView {
  readonly own?: { serverGroupName: string; sequence: number };
  readonly taken: number[];
}

/** The deploy activity that chooses the next name in a cluster. */
export function createServerGroupNamingActivities({ aws }: { aws: AwsClientProvider }) {
  return {
    /**
     * Picks the next free name in the cluster (or the forced `sequence`). Read-only, so a retry
     * is harmless; the workflow records the answer and never asks again.
     *
     * Cost is the cluster's, not the application's or the region's (a region can hold thousands
     * of groups and one application hundreds of clusters; reading them for every deploy made
     * naming O(n²) under load). Clouddriver takes the taken slots from the cluster too
     * (AWSServerGroupNameResolver.getTakenSlots). Three reads at most:
     *  1. the groups carrying the cluster's tags (`spinnaker:application`, and `spinnaker:stack` /
     *     `spinnaker:details` when the cluster has them; AWS ANDs the filters). A cluster without
     *     a stack or details cannot filter out the application's other clusters (no filter says
     *     "tag absent"), so every group is also confirmed by parsing its name;
     *  2. the candidate and the 99 names after it, asked for by name;
     *  3. only when that window holds a group of the cluster the tags missed (one made outside
     *     Spinnaker, or by a Clouddriver without `addAppStackDetailTags`), the whole region, as
     *     Clouddriver's rule needs every taken number.
     */
    async chooseServerGroupName(input: ChooseNameInput): Promise<{ serverGroupName: string; sequence: number }> {
      const c = aws.clientsFor(input.account, input.region);
      const describe = (what: string, command: DescribeAutoScalingGroupsCommand) =>
        awsCall(`DescribeAutoScalingGroups (${what}) in ${input.region}`, () => c.autoScaling.send(command));

      const filters = clusterTagFilters(input.cluster);
      const tagged = await readCluster(input, (token) =>
        describe(
          filters.map((f) => `${f.Name}=${f.Values[0]}`).join(' and '),
          new DescribeAutoScalingGroupsCommand({ Filters: filters, MaxRecords: NAMES_PER_CALL, NextToken: token }),
        ),
      );
      if (tagged.own) return tagged.own;
      const candidate = pick(input, tagged.taken);

      const window = Array.from({ length: NAMES_PER_CALL }, (_, i) => nameFor(input.cluster, candidate.sequence + i));
      const named = await readCluster(input, (token) =>
        describe(
          'candidate names',
          new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: window, MaxRecords: NAMES_PER_CALL, NextToken: token }),
        ),
      );
      if (named.own) return named.own;
      const known = new Set(tagged.taken);
      if (named.taken.every((n) => known.has(n))) return candidate;

      // A group of this cluster without its tags: only the whole region tells which
      // numbers are taken.
      const all = await readCluster(input, (token) =>
        describe('every group', new DescribeAutoScalingGroupsCommand({ MaxRecords: NAMES_PER_CALL, NextToken: token })),
      );
      return all.own ?? pick(input, all.taken);
    },
  };
}

/** DescribeAutoScalingGroups filters that match the cluster's groups (and, without a stack or details, its application's). */
export function clusterTagFilters(cluster: string): { Name: string; Values: [string] }[] {
  const name = parseServerGroupName(cluster);
  const tag = (key: string, value: string) => ({ Name: `tag:${key}`, Values: [value] as [string] });
  return [
    tag(APPLICATION_TAG, name?.app ?? cluster),
    ...(name?.stack ? [tag(STACK_TAG, name.stack)] : []),
    ...(name?.detail ? [tag(DETAILS_TAG, name.detail)] : []),
  ];
}

/**
 * Reads every page `page` returns and keeps what concerns the cluster, heartbeating per page so a
 * long read is not mistaken for a dead worker.
 */
async function readCluster(
  input: ChooseNameInput,
  page: (token: string | undefined) => Promise<AutoScalingGroupPage>,
): Promise<ClusterView> {
  const taken: number[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const out = await page(token);
    for (const g of out.AutoScalingGroups ?? []) {
      const parsed = parseServerGroupName(g.AutoScalingGroupName ?? '');
      if (parsed?.cluster !== input.cluster || parsed.sequence === undefined) continue;
      // This deploy's own group (from an attempt whose answer was lost) keeps its name.
      if (tagOf(g.Tags, CREATED_BY_TAG) === input.createdBy)
        return { own: { serverGroupName: g.AutoScalingGroupName!, sequence: parsed.sequence }, taken };
      taken.push(parsed.sequence);
    }
    token = out.NextToken;
    Context.current().heartbeat({ pagesRead: ++pages, taken: taken.length });
  } while (token);
  return { taken };
}

/** The forced sequence (refused if taken) or the next one by Clouddriver's rule. */
function pick(input: ChooseNameInput, taken: readonly number[]): { serverGroupName: string; sequence: number } {
  if (input.sequence !== undefined) {
    if (taken.includes(input.sequence)) {
      throw ApplicationFailure.nonRetryable(
        `${nameFor(input.cluster, input.sequence)} already exists in ${input.region}; choose another sequence`,
        FailureType.ServerGroupExists,
      );
    }
    return { serverGroupName: nameFor(input.cluster, input.sequence), sequence: input.sequence };
  }
  const next = nextSequence(taken);
  if (next === undefined) {
    throw ApplicationFailure.nonRetryable(
      `cluster ${input.cluster} in ${input.region} has all 1000 sequence numbers in use`,
      FailureType.ClusterFull,
    );
  }
  return { serverGroupName: nameFor(input.cluster, next), sequence: next };
}
