import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import type { LaunchConfigurationChanges } from '../../domain/launch-configurations';
import {
  applyLaunchConfigurationChanges,
  formatLaunchConfigurationChanges,
  nextLaunchConfigurationName,
  sameLaunchConfigurationSettings,
} from '../../domain/launch-configurations';
import type { UpdateLaunchConfig } from '../../domain/operations/schemas/update-launch-config';
import type { ResolvedImage, TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { describeTargetGroup } from './target-group';

/**
 * Clouddriver's ModifyAsgLaunchConfigurationOperation, made durable: read the group's launch
 * configuration, lay the changes over its settings, and when anything differs create the next
 * configuration (named like Clouddriver's, from the workflow's clock, so a retried step adopts
 * it) and point the group at it. Clouddriver leaves the old configuration in place, and so does
 * Bosun: it is what a rollback of the change points the group back at. If the swap (or anything
 * later in the task) fails, the group goes back to its old configuration and the new one is
 * deleted. The result names the configuration the group runs, as Clouddriver's does.
 */
export async function updateLaunchConfigOperation(ctx: OperationContext, d: UpdateLaunchConfig): Promise<TaskOutput> {
  const resultObjects: { launchConfigurationName: string }[] = [];
  ctx.log('Initializing operation...');
  for (const { serverGroupName, region } of d.targets) {
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const group = await describeTargetGroup(ctx, ref, 'its launch configuration was not changed');
    const existing = group.launchConfigurationName;
    if (!existing) {
      throw ApplicationFailure.nonRetryable(
        `${where} runs a launch template, not a launch configuration: use updateLaunchTemplate`,
        FailureType.NoLaunchConfiguration,
      );
    }
    const current = await ctx.call('describeLaunchConfiguration', `Describe launch configuration ${existing}`, {
      account: d.account,
      region,
      launchConfigurationName: existing,
    });
    if (!current) {
      throw ApplicationFailure.nonRetryable(
        `launch configuration ${existing}, used by ${where}, does not exist`,
        FailureType.LaunchConfigurationNotFound,
      );
    }

    let changes: LaunchConfigurationChanges = d.changes;
    if (d.amiName) {
      // Clouddriver takes the image an allowLaunchDescription earlier in the task resolved, else looks it up.
      const prior = priorImage(ctx.priorOutputs, d.account, region, d.amiName);
      const byId = /^ami-[0-9a-f]+$/.test(d.amiName);
      const image =
        prior ??
        (await ctx.call('resolveLaunchTemplateImage', `Find image ${d.amiName} in ${region}`, {
          account: d.account,
          region,
          ...(byId ? { imageId: d.amiName } : { amiName: d.amiName }),
        }));
      changes = { ...changes, imageId: image.imageId };
    }
    if (changes.securityGroups?.some((g) => !g.startsWith('sg-'))) {
      const resolved = await ctx.call(
        'resolveServerGroupSecurityGroups',
        `Find security groups ${changes.securityGroups.join(', ')} for ${where}`,
        {
          ...ref,
          securityGroups: changes.securityGroups,
        },
      );
      changes = { ...changes, securityGroups: resolved.securityGroupIds };
    }

    const wanted = applyLaunchConfigurationChanges(current, changes);
    if (sameLaunchConfigurationSettings(wanted, current)) {
      ctx.log(`No changes required for launch configuration on ${serverGroupName} in ${region}`);
      resultObjects.push({ launchConfigurationName: existing });
      ctx.log(`completed for ${serverGroupName} in ${region}.`);
      continue;
    }

    const name = nextLaunchConfigurationName(existing, Date.now());
    const what = formatLaunchConfigurationChanges(changes, d.amiName);
    ctx.log(`Creating launch configuration ${name} from ${existing} for ${where}: ${what}`);
    const created = await ctx.call('createLaunchConfiguration', `Create launch configuration ${name} from ${existing}: ${what}`, {
      ...ref,
      launchConfigurationName: name,
      settings: wanted,
    });

    let pointed = false;
    ctx.onFailure(`delete launch configuration ${name} made for ${where}`, async () => {
      try {
        if (pointed) {
          await ctx.call('pointServerGroupAtLaunchConfiguration', `Point ${where} back at ${existing}`, {
            ...ref,
            launchConfigurationName: existing,
            onlyIfCurrent: name,
          });
        }
        await ctx.call('deleteLaunchConfiguration', `Delete launch configuration ${name}`, { ...ref, launchConfigurationName: name });
        ctx.log(`Deleted launch configuration ${name}; ${where} uses ${existing} again`);
      } catch (err) {
        // The task's own failure is what Orca must see; this line says what is left to clean up.
        ctx.log(`Could not undo launch configuration ${name} for ${where}: ${messageOf(err)}`);
      }
    });

    if (current.instanceMonitoring && !wanted.instanceMonitoring) {
      await ctx.call('disableServerGroupMetricsCollection', `Disable metrics collection of ${where}`, ref);
    }
    ctx.log(`${created.adopted ? 'Found' : 'Created'} launch configuration ${name}; pointing ${where} at it (was ${existing})`);
    // Set before the call: an update whose answer was lost may still have happened.
    pointed = true;
    await ctx.call('pointServerGroupAtLaunchConfiguration', `Point ${where} at launch configuration ${name}`, {
      ...ref,
      launchConfigurationName: name,
    });
    resultObjects.push({ launchConfigurationName: name });
    ctx.log(`completed for ${serverGroupName} in ${region}.`);
  }
  return { resultObjects };
}

function priorImage(outputs: readonly TaskOutput[], account: string, region: string, image: string): ResolvedImage | undefined {
  for (const o of [...outputs].reverse()) {
    const hit = o.resolvedImages?.find((r) => r.account === account && r.region === region && (r.amiName === image || r.imageId === image));
    if (hit) return hit;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
