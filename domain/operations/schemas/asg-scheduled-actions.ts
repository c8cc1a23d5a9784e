import { z } from 'zod';
import type { ServerGroupsDescription } from './common';
import {
  accountOf,
  ON_OBJECTS,
  applicationOf,
  checkAccount,
  checkPartialCapacity,
  descriptionBase,
  instanceCountSchema,
  requiredAsgsSchema,
  requiredString,
  serverGroupTargets,
} from './common';

/** AWS allows 125 scheduled actions per group. */
const MAX_SCHEDULED_ACTIONS = 125;

const scheduledActionSchema = z
  .looseObject({
    recurrence: z
      .string({ error: requiredString('a cron expression') })
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(255, { error: 'must be at most 255 characters' }),
    minSize: instanceCountSchema.optional(),
    maxSize: instanceCountSchema.optional(),
    desiredCapacity: instanceCountSchema.optional(),
  })
  .superRefine((a, ctx) => checkPartialCapacity(a, ctx, ['minSize', 'maxSize', 'desiredCapacity']));

/**
 * Clouddriver's UpsertAsgScheduledActionsDescription (`upsertAsgScheduledActionsDescription`,
 * sent by Orca's UpsertAsgScheduledActionsStage on `/ops`): the group's whole schedule. It names
 * groups only in `asgs`. An action whose recurrence a group already has updates that action;
 * the others are added; the group's actions not matched are deleted, so an absent or empty
 * `scheduledActions` deletes them all (UpsertAsgScheduledActionsOperation iterates a null list
 * as an empty one).
 */
export const upsertAsgScheduledActionsSchema = z
  .looseObject({
    ...descriptionBase,
    asgs: requiredAsgsSchema,
    scheduledActions: z
      .array(scheduledActionSchema, { error: 'must be a list of {recurrence, minSize, maxSize, desiredCapacity}' })
      .max(MAX_SCHEDULED_ACTIONS, { error: `must list at most ${MAX_SCHEDULED_ACTIONS} actions` })
      .optional(),
  })
  .superRefine(checkAccount, ON_OBJECTS)
  .transform((d): UpsertAsgScheduledActions => ({
    account: accountOf(d),
    targets: serverGroupTargets({ asgs: d.asgs }),
    scheduledActions: (d.scheduledActions ?? []).map((a) => ({
      recurrence: a.recurrence,
      minSize: a.minSize,
      maxSize: a.maxSize,
      desiredCapacity: a.desiredCapacity,
    })),
    application: applicationOf(d),
  }));

export interface ScheduledActionRequest {
  readonly recurrence: string;
  readonly minSize?: number | undefined;
  readonly maxSize?: number | undefined;
  readonly desiredCapacity?: number | undefined;
}

/** The normalised description of `upsertAsgScheduledActionsDescription`. */
export interface UpsertAsgScheduledActions extends ServerGroupsDescription {
  /** Every group's whole schedule afterwards, in the order given. */
  readonly scheduledActions: readonly ScheduledActionRequest[];
}

export function describeUpsertAsgScheduledActions(d: UpsertAsgScheduledActions): string {
  const where = d.targets.map((t) => `${t.serverGroupName} in ${t.region}`).join(', ');
  const n = d.scheduledActions.length;
  return `set the schedule of ${where} to ${n === 0 ? 'no actions' : `${n} action${n === 1 ? '' : 's'}: ${d.scheduledActions.map((a) => a.recurrence).join('; ')}`}`;
}
