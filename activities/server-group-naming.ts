/**
 * Choosing a new server group's name: the next free sequence number in its cluster. The workflow
 * asks once and records the answer (DESIGN invariant 3).
 */
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

/** The deploy activity that chooses the next name in a cluster. */
export function createServerGroupNamingActivities({ aws }: { aws: AwsClientProvider }) {
  return {
    /**
     * Picks the next free name in the cluster (or the forced `sequence`). Read-only, so a retry
     * is harmless; the workflow records the answer and never asks again.
     */
    async chooseServerGroupName(input: ChooseNameInput): Promise<{ serverGroupName: string; sequence: number }> {
      const c = aws.clientsFor(input.account, input.region);
      const taken: number[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await awsCall(`DescribeAutoScalingGroups in ${input.region}`, () =>
          c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, NextToken: token })),
        );
        for (const g of out.AutoScalingGroups ?? []) {
          const parsed = parseServerGroupName(g.AutoScalingGroupName ?? '');
          if (parsed?.cluster !== input.cluster || parsed.sequence === undefined) continue;
          // This deploy's own group (from an attempt whose answer was lost) keeps its name.
          if (tagOf(g.Tags, CREATED_BY_TAG) === input.createdBy)
            return { serverGroupName: g.AutoScalingGroupName!, sequence: parsed.sequence };
          taken.push(parsed.sequence);
        }
        token = out.NextToken;
        // A region can hold thousands of groups: report progress per page, so a long scan is
        // not mistaken for a dead worker (the bench saw 20 s scans with 1,000 deploys at once).
        Context.current().heartbeat({ pagesRead: ++pages, taken: taken.length });
      } while (token);

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
    },
  };
}
