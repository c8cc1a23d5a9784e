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
import type { DeployDescription } from '../domain/operations/schemas/create-server-group';
import { CREATED_BY_TAG } from '../domain/task';
import { awsCall } from './aws-errors';
import { tagOf } from './deploy-ownership';
import { describeOneServerGroup } from './server-group-lookup';
import type { ActivityDeps } from './deps';

/**
 * The deploy description's naming fields (Clouddriver's `ignoreSequence`: the group is named
 * after the cluster alone; an explicit `sequence` wins) and where to look for the cluster.
 */
export interface ChooseNameInput extends Pick<DeployDescription, 'account' | 'sequence' | 'ignoreSequence'> {
  readonly region: string;
  readonly cluster: string;
  /** `createdByValue(taskId, index)`: a group already carrying it is this deploy's own. */
  readonly createdBy: string;
}

/** The chosen name and, when the name was not forced, the cluster's newest group (Clouddriver's ancestor). */
export interface ChosenName {
  readonly serverGroupName: string;
  readonly sequence: number;
  /**
   * The cluster's most recently created group among those read, other than this deploy's own:
   * AbstractServerGroupNameResolver reports it as `ancestorServerGroupNameByRegion` whenever it
   * picks the next sequence (never for an explicit `sequence`).
   */
  readonly ancestor?: string | undefined;
}

/** Names asked for in one DescribeAutoScalingGroups call (AWS's MaxRecords maximum). */
const NAMES_PER_CALL = 100;

/** Names AWSServerGroupNameResolver tries for an unsequenced group before it gives up. */
const UNSEQUENCED_ATTEMPTS = 6;

/**
 * The moniker tags Bosun's deploy writes on every group, and Clouddriver's when
 * `aws.defaults.addAppStackDetailTags` is on (BasicAmazonDeployHandler.applyAppStackDetailTags):
 * a stack or details tag only when the cluster has one.
 */
const APPLICATION_TAG = 'spinnaker:application';
const STACK_TAG = 'spinnaker:stack';
const DETAILS_TAG = 'spinnaker:details';

type AutoScalingGroupPage = { AutoScalingGroups?: AutoScalingGroup[]; NextToken?: string };

/** What one read of groups says about a cluster: its own group (a lost answer's), the numbers taken, its newest group. */
interface ClusterView {
  readonly own?: { serverGroupName: string; sequence: number };
  readonly taken: number[];
  readonly newest?: NewestGroup | undefined;
}

interface NewestGroup {
  readonly serverGroupName: string;
  readonly createdMs: number;
}

function newer(a: NewestGroup | undefined, b: NewestGroup | undefined): NewestGroup | undefined {
  if (!a || !b) return a ?? b;
  // Equal times (a clock's resolution): the later name, so the answer does not depend on read order.
  if (b.createdMs !== a.createdMs) return b.createdMs > a.createdMs ? b : a;
  return b.serverGroupName > a.serverGroupName ? b : a;
}

/** The deploy activity that chooses the next name in a cluster. */
export function createServerGroupNamingActivities({ aws }: ActivityDeps) {
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
    async chooseServerGroupName(input: ChooseNameInput): Promise<ChosenName> {
      const chosen = await chooseSequence(input);
      // An explicit sequence names the group without looking for an ancestor (AutoScalingWorker).
      const ancestor = input.sequence === undefined ? chosen.newest?.serverGroupName : undefined;
      const serverGroupName = input.ignoreSequence && input.sequence === undefined ? await unsequencedName(input) : chosen.serverGroupName;
      return { serverGroupName, sequence: chosen.sequence, ...(ancestor ? { ancestor } : {}) };
    },

    /**
     * The cluster's most recently created group in a region (CopyLastAsgAtomicOperation's source
     * when none is given: AbstractServerGroupNameResolver.resolveLatestServerGroupName orders by
     * creation time). Reads the cluster's tagged groups, and the whole region only when none of
     * them belongs to the cluster (a cluster made outside Spinnaker carries no tag).
     */
    async findNewestServerGroup(input: { account: string; region: string; cluster: string }): Promise<{ serverGroupName: string } | null> {
      const reads = clusterReads(aws, { ...input, createdBy: '' });
      const newest = (await reads.tagged()).newest ?? (await reads.all()).newest;
      return newest ? { serverGroupName: newest.serverGroupName } : null;
    },
  };

  /**
   * `ignoreSequence`: the cluster's own name, or, when a group already holds it, the next
   * sequence after the taken name's, for up to six names (AWSServerGroupNameResolver: `app-stack`
   * taken gives `app-stack-v001`, then `-v002`…). A group this deploy made keeps its name.
   */
  async function unsequencedName(input: ChooseNameInput): Promise<string> {
    const c = aws.clientsFor(input.account, input.region);
    let name = input.cluster;
    for (let attempt = 0; attempt < UNSEQUENCED_ATTEMPTS; attempt++) {
      const existing = (await describeOneServerGroup(c.autoScaling, { serverGroupName: name, region: input.region }))?.group;
      if (!existing || tagOf(existing.Tags, CREATED_BY_TAG) === input.createdBy) return name;
      name = nameFor(input.cluster, ((parseServerGroupName(name)?.sequence ?? 0) + 1) % 1000);
    }
    throw ApplicationFailure.nonRetryable(
      `${input.cluster} and the next ${UNSEQUENCED_ATTEMPTS - 1} sequence names are taken in ${input.region} (ignoreSequence)`,
      FailureType.ClusterFull,
    );
  }

  /** The next sequence by Clouddriver's rule (or the forced one), and the newest group seen on the way. */
  async function chooseSequence(
    input: ChooseNameInput,
  ): Promise<{ serverGroupName: string; sequence: number; newest?: NewestGroup | undefined }> {
    const reads = clusterReads(aws, input);
    const tagged = await reads.tagged();
    if (tagged.own) return { ...tagged.own, newest: tagged.newest };
    const candidate = pick(input, tagged.taken);

    const window = Array.from({ length: NAMES_PER_CALL }, (_, i) => nameFor(input.cluster, candidate.sequence + i));
    const named = await reads.named(window);
    const seen = newer(tagged.newest, named.newest);
    if (named.own) return { ...named.own, newest: seen };
    const known = new Set(tagged.taken);
    if (named.taken.every((n) => known.has(n))) return { ...candidate, newest: seen };

    // A group of this cluster without its tags: only the whole region tells which
    // numbers are taken.
    const all = await reads.all();
    return { ...(all.own ?? pick(input, all.taken)), newest: all.newest };
  }
}

/** The three reads of a region's groups for a cluster: by the cluster's tags, by candidate names, every group. */
function clusterReads(aws: ActivityDeps['aws'], input: ChooseNameInput) {
  const c = aws.clientsFor(input.account, input.region);
  const read = (what: string, by: { Filters?: ReturnType<typeof clusterTagFilters>; AutoScalingGroupNames?: string[] }) =>
    readCluster(input, (token) =>
      awsCall(`DescribeAutoScalingGroups (${what}) in ${input.region}`, () =>
        c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ ...by, MaxRecords: NAMES_PER_CALL, NextToken: token })),
      ),
    );
  const filters = clusterTagFilters(input.cluster);
  return {
    tagged: () => read(filters.map((f) => `${f.Name}=${f.Values[0]}`).join(' and '), { Filters: filters }),
    named: (names: string[]) => read('candidate names', { AutoScalingGroupNames: names }),
    all: () => read('every group', {}),
  };
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
  let newest: NewestGroup | undefined;
  let token: string | undefined;
  let pages = 0;
  do {
    const out = await page(token);
    for (const g of out.AutoScalingGroups ?? []) {
      const parsed = parseServerGroupName(g.AutoScalingGroupName ?? '');
      if (parsed?.cluster !== input.cluster) continue;
      const own = input.createdBy !== '' && tagOf(g.Tags, CREATED_BY_TAG) === input.createdBy;
      // A group AWS is deleting is on its way out: no deploy descends from it.
      if (!own && !g.Status) {
        newest = newer(newest, { serverGroupName: g.AutoScalingGroupName!, createdMs: g.CreatedTime?.getTime() ?? 0 });
      }
      if (parsed.sequence === undefined) continue;
      // This deploy's own group (from an attempt whose answer was lost) keeps its name.
      if (own) return { own: { serverGroupName: g.AutoScalingGroupName!, sequence: parsed.sequence }, taken, newest };
      taken.push(parsed.sequence);
    }
    token = out.NextToken;
    Context.current().heartbeat({ pagesRead: ++pages, taken: taken.length });
  } while (token);
  return { taken, newest };
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
