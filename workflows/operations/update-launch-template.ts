import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../domain/failures';
import { shortHash } from '../../domain/hash';
import type { UpdateLaunchTemplate } from '../../domain/operations/schemas/update-launch-template';
import {
  formatLaunchTemplateChanges,
  launchTemplateVersionDescription,
  launchTemplateVersionMarker,
} from '../../domain/operations/launch-template-versions';
import type { TaskOutput } from '../../domain/task';
import type { OperationContext } from '../task-runner';
import { describeTargetGroup } from './target-group';

/**
 * Clouddriver's ModifyServerGroupLaunchTemplateAtomicOperation, made durable: read the version
 * the group runs, make a new version from it with only the changed fields, point the group at
 * it. If that (or anything later in the task) fails or the task is cancelled, the group goes
 * back to its old version and the new version is deleted.
 */
export async function updateLaunchTemplateOperation(ctx: OperationContext, d: UpdateLaunchTemplate): Promise<TaskOutput> {
  for (const [target, { serverGroupName, region }] of d.targets.entries()) {
    const marker = launchTemplateVersionMarker(ctx.taskId, ctx.index, target);
    const ref = { account: d.account, region, serverGroupName };
    const where = `${serverGroupName} in ${region}`;
    const group = await describeTargetGroup(ctx, ref, 'its launch template was not changed');
    const configured = group.launchTemplate;
    if (!configured?.id && !configured?.name) {
      throw ApplicationFailure.nonRetryable(
        `${where} has no launch template (a launch configuration?); Bosun updates launch templates only`,
        FailureType.NoLaunchTemplate,
      );
    }
    // AWS omits the version when the group was given none, and then means $Default.
    const configuredVersion = configured.version ?? '$Default';
    const templateLabel = configured.name ?? configured.id!;
    const source = await ctx.call(
      'describeLaunchTemplateVersion',
      `Describe version ${configuredVersion} of launch template ${templateLabel}`,
      { account: d.account, region, launchTemplateId: configured.id, launchTemplateName: configured.name, version: configuredVersion },
    );
    if (!source) {
      throw ApplicationFailure.nonRetryable(
        `version ${configuredVersion} of launch template ${templateLabel}, used by ${where}, does not exist`,
        FailureType.LaunchTemplateVersionNotFound,
      );
    }

    let changes = d.changes;
    if (changes.imageId || d.amiName) {
      const image = await ctx.call('resolveLaunchTemplateImage', `Find image ${changes.imageId ?? d.amiName} in ${region}`, {
        account: d.account,
        region,
        imageId: changes.imageId,
        amiName: d.amiName,
      });
      changes = { ...changes, imageId: image.imageId };
    }
    const what = formatLaunchTemplateChanges(changes, d.amiName);
    const templateName = source.launchTemplateName;
    ctx.log(`Creating a version of launch template ${templateName} from version ${source.versionNumber} for ${where}: ${what}`);
    const created = await ctx.call(
      'createLaunchTemplateVersion',
      `Create a version of ${templateName} from version ${source.versionNumber}: ${what}`,
      {
        account: d.account,
        region,
        serverGroupName,
        launchTemplateId: source.launchTemplateId,
        sourceVersion: source.versionNumber,
        marker,
        versionDescription: launchTemplateVersionDescription(marker, what),
        // Scoped to this run: a resumed task (same id) must not get back a version its rollback deleted.
        clientToken: `${ctx.taskId}-${ctx.index}-${shortHash(`${workflowInfo().runId}|${target}|${source.launchTemplateId}`)}`,
        changes,
      },
    );
    const version = created.versionNumber;
    const newVersion = String(version);

    let pointed = false;
    ctx.onFailure(`delete version ${version} of launch template ${templateName} made for ${where}`, async () => {
      try {
        if (pointed) {
          await ctx.call(
            'pointServerGroupAtLaunchTemplateVersion',
            `Point ${where} back at version ${configuredVersion} of ${templateName}`,
            {
              ...ref,
              launchTemplateId: source.launchTemplateId,
              version: configuredVersion,
              onlyIfCurrentVersion: newVersion,
            },
          );
        }
        await ctx.call('deleteLaunchTemplateVersion', `Delete version ${version} of ${templateName}`, {
          ...ref,
          launchTemplateId: source.launchTemplateId,
          versionNumber: version,
        });
        ctx.log(`Deleted version ${version} of launch template ${templateName}; ${where} uses version ${configuredVersion} again`);
      } catch (err) {
        // The task's own failure is what Orca must see; this line says what is left to clean up.
        ctx.log(
          `Could not undo version ${version} of launch template ${templateName} (${source.launchTemplateId}) for ${where}: ${messageOf(err)}`,
        );
      }
    });

    ctx.log(
      `${created.adopted ? 'Found' : 'Created'} version ${version} of launch template ${templateName}; pointing ${where} at it (was ${configuredVersion})`,
    );
    // Set before the call: an update whose answer was lost may still have happened.
    pointed = true;
    await ctx.call('pointServerGroupAtLaunchTemplateVersion', `Point ${where} at version ${version} of ${templateName}`, {
      ...ref,
      launchTemplateId: source.launchTemplateId,
      version: newVersion,
    });
    ctx.log(`Updated ${where} to version ${version} of launch template ${templateName}: ${what}`);
  }
  return { resultObjects: [] };
}

function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
