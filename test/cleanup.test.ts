/**
 * The clean-up operations end to end: posted to the facade over HTTP, run by a real worker on the
 * real Temporal dev server, the effect read back from moto. They create nothing, so there is
 * nothing for a failure to leave behind; what matters is that a repeat (a re-post, a lost answer)
 * ends as the first run did.
 *
 * moto deletes a launch configuration a group still runs, and deletes a missing one without a
 * word (AWS answers ResourceInUse and ValidationError "not found"): the in-use refusal is not
 * emulated here.
 */
import { CreateLaunchConfigurationCommand, DescribeLaunchConfigurationsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import type { Activities } from '../activities';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, uniqueName, useOrcaTestEnv } from './harness';
import type { TaskJson } from './support/orca-client';
import { badRequestErrors } from './support/orca-client';
import { exists } from './support/exists';
import { emulatorImageId, launchInstances } from './support/instances';

const { env, faults, clients, runAsOrca } = useOrcaTestEnv();

interface DeleteRun {
  /** The task's phase, its history lines in that phase, and its workflow type. */
  readonly phase: string;
  readonly lines: string[];
  readonly type: string;
  /** The activity that deletes, and what its input names. */
  readonly activity: keyof Activities;
  readonly marker: string;
}

/**
 * Posts a delete under a fresh clientRequestId as Orca does: it succeeds with `lines` in its phase
 * as workflow `type`; a re-post answers the same task and the delete ran once. Answers the task.
 */
async function deleteOnce(body: unknown, expected: DeleteRun): Promise<TaskJson> {
  const { id, task, repost } = await runAsOrca(body);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history.filter((h) => h.phase === expected.phase)).toEqual(
    expected.lines.map((status) => ({ phase: expected.phase, status })),
  );
  expect((await env.client.workflow.getHandle(id).describe()).type).toBe(expected.type);

  expect(await repost()).toBe(id);
  expect(faults.calls(expected.activity, mentions(expected.marker))).toBe(1);
  return task;
}

/**
 * Posts `body` with the answer of the delete `activity` on `marker` lost once: the retry finds the
 * resource gone and the task succeeds, the activity having run twice.
 */
async function deleteAfterLostAnswer(body: unknown, activity: keyof Activities, marker: string): Promise<void> {
  faults.loseAnswer(activity, mentions(marker));
  const lost = await env.run(body);
  expect(lost.task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls(activity, mentions(marker))).toBe(2);
}

async function makeLaunchConfiguration(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await clients().autoScaling.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName: name,
      ImageId: await emulatorImageId(clients()),
      InstanceType: 't3.micro',
    }),
  );
  return name;
}

async function launchConfigurationExists(name: string): Promise<boolean> {
  const out = await clients().autoScaling.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [name] }));
  return (out.LaunchConfigurations ?? []).length > 0;
}

describe('deleteLaunchConfiguration', () => {
  test("deletes the configuration with Clouddriver's history lines; a re-post runs nothing again", async () => {
    const name = await makeLaunchConfiguration('lc-');
    const body = [
      { deleteLaunchConfiguration: { credentials: ACCOUNT, region: REGION, launchConfigurationName: name, cloudProvider: 'aws' } },
    ];
    const task = await deleteOnce(body, {
      phase: 'DELETE_LAUNCH_CONFIGURATION',
      lines: [`Deleting launch config ${name} in ${REGION}`, `Finished Delete Launch Config operation for ${name}`],
      type: 'deleteLaunchConfiguration',
      activity: 'deleteLaunchConfigurationByName',
      marker: name,
    });
    expect(task.resultObjects).toEqual([]);
    expect(await launchConfigurationExists(name)).toBe(false);
  });

  test("Clouddriver's converter key, a lost answer, and a configuration that is not there all succeed", async () => {
    const name = await makeLaunchConfiguration('lcl-');
    const desc = { credentials: ACCOUNT, region: REGION, launchConfigurationName: name };
    await deleteAfterLostAnswer(
      [{ deleteAmazonLaunchConfigurationAtomicOperationConverter: desc }],
      'deleteLaunchConfigurationByName',
      name,
    );
    expect(await launchConfigurationExists(name)).toBe(false);

    const absent = await env.run([{ deleteLaunchConfiguration: desc }]);
    expect(absent.task.status).toMatchObject({ completed: true, failed: false });
  });

  test('bad input is a 400 that names the field', async () => {
    const errors = await badRequestErrors(
      `${env.facadeUrl}/aws/ops`,
      [
        { deleteLaunchConfiguration: { credentials: ACCOUNT } },
        { deleteLaunchConfiguration: { region: REGION, launchConfigurationName: { name: 7 } } },
      ],
      AS_ORCA,
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        '[0].deleteLaunchConfiguration.launchConfigurationName: is required',
        '[0].deleteLaunchConfiguration.region: is required',
        '[1].deleteLaunchConfiguration.credentials: is required (the account name)',
        '[1].deleteLaunchConfiguration.launchConfigurationName: must be a launch configuration name (a string)',
      ]),
    );
  });
});

async function makeLaunchTemplate(): Promise<string> {
  const out = await clients().ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: uniqueName('lt-'),
      LaunchTemplateData: { ImageId: await emulatorImageId(clients()) },
    }),
  );
  return out.LaunchTemplate!.LaunchTemplateId!;
}

async function makeSnapshot(): Promise<string> {
  const volume = await clients().ec2.send(new CreateVolumeCommand({ Size: 1, AvailabilityZone: `${REGION}a` }));
  const snapshot = await clients().ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId! }));
  return snapshot.SnapshotId!;
}

async function makeImage(): Promise<string> {
  const [instanceId] = await launchInstances(clients(), 1);
  const out = await clients().ec2.send(new CreateImageCommand({ InstanceId: instanceId!, Name: uniqueName('img-') }));
  return out.ImageId!;
}

/** A resource deleted by id: how to make one, see it, delete it under both keys, and what the task says. */
interface DeletedById {
  readonly key: string;
  readonly converterKey: string;
  /** The description field naming the resource. */
  readonly idField: string;
  /** Clouddriver's converter reads the launch template's account as `account`, the others' as `credentials`. */
  readonly converterAccountField: 'account' | 'credentials';
  readonly noun: string;
  readonly verb: string;
  readonly make: () => Promise<string>;
  readonly exists: (id: string) => Promise<boolean>;
  readonly activity: keyof Activities;
  readonly phase: string;
  readonly lines: (id: string) => string[];
}

const DELETED_BY_ID: readonly DeletedById[] = [
  {
    key: 'deleteLaunchTemplate',
    converterKey: 'deleteAmazonLaunchTemplateAtomicOperationConverter',
    idField: 'launchTemplateId',
    converterAccountField: 'account',
    noun: 'template',
    verb: 'deletes',
    make: makeLaunchTemplate,
    exists: (id) =>
      exists(async () => (await clients().ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }))).LaunchTemplates),
    activity: 'deleteLaunchTemplateById',
    phase: 'DELETE_LAUNCH_TEMPLATE',
    lines: (id) => [
      `Initializing Delete Launch Template operation for DeleteAmazonLaunchTemplateDescription(account=${ACCOUNT}, launchTemplateId=${id}, region=${REGION})`,
      `Launch Template ${id} in ${REGION}`,
    ],
  },
  {
    key: 'deleteSnapshot',
    converterKey: 'deleteAmazonSnapshotAtomicOperationConverter',
    idField: 'snapshotId',
    converterAccountField: 'credentials',
    noun: 'snapshot',
    verb: 'deletes',
    make: makeSnapshot,
    exists: (id) => exists(async () => (await clients().ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots),
    activity: 'deleteEbsSnapshot',
    phase: 'DELETE_SNAPSHOT',
    lines: (id) => [
      `Initializing Delete Snapshot operation for DeleteAmazonSnapshotDescription(account=${ACCOUNT}, snapshotId=${id}, region=${REGION})`,
      `Deleted Snapshot ${id} in ${REGION}`,
    ],
  },
  {
    key: 'deleteImage',
    converterKey: 'deleteAmazonImageAtomicOperationConverter',
    idField: 'imageId',
    converterAccountField: 'credentials',
    noun: 'image',
    verb: 'deregisters',
    make: makeImage,
    // Not through `exists`: DescribeImages answers an image that is gone with an empty list, and any error fails the test.
    exists: async (id) => ((await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [id] }))).Images ?? []).length > 0,
    activity: 'deregisterImageById',
    phase: 'DELETE_IMAGE',
    lines: (id) => [
      `Initializing Delete Image operation for DeleteAmazonImageDescription(account=${ACCOUNT}, imageId=${id}, region=${REGION})`,
      `Deleted Image ${id} in ${REGION}`,
    ],
  },
];

describe.each(DELETED_BY_ID)('$key', (r) => {
  test(`${r.verb} the ${r.noun} with Clouddriver's history lines; a re-post runs nothing again`, async () => {
    const id = await r.make();
    await deleteOnce([{ [r.key]: { credentials: ACCOUNT, region: REGION, [r.idField]: id } }], {
      phase: r.phase,
      lines: r.lines(id),
      type: r.key,
      activity: r.activity,
      marker: id,
    });
    expect(await r.exists(id)).toBe(false);
  });

  test(`Clouddriver's converter key; after a lost answer the retry finds the ${r.noun} gone, and succeeds`, async () => {
    const id = await r.make();
    const desc = { [r.converterAccountField]: ACCOUNT, region: REGION, [r.idField]: id };
    await deleteAfterLostAnswer([{ [r.converterKey]: desc }], r.activity, id);
    expect(await r.exists(id)).toBe(false);
  });
});

describe('deleteLaunchTemplate', () => {
  test('a launch template id that is not one is a 400 naming the field', async () => {
    const errors = await badRequestErrors(
      `${env.facadeUrl}/aws/ops`,
      [{ deleteLaunchTemplate: { credentials: ACCOUNT, region: REGION, launchTemplateId: 'my-template' } }],
      AS_ORCA,
    );
    expect(errors).toEqual(['[0].deleteLaunchTemplate.launchTemplateId: must be a launch template id such as lt-0123456789abcdef0']);
  });
});

describe('deleteSnapshot', () => {
  test('the region and the snapshot id are required', async () => {
    const errors = await badRequestErrors(`${env.facadeUrl}/aws/ops`, [{ deleteSnapshot: { credentials: ACCOUNT } }], AS_ORCA);
    expect(errors).toEqual(
      expect.arrayContaining(['[0].deleteSnapshot.snapshotId: is required', '[0].deleteSnapshot.region: is required']),
    );
  });
});

describe('deleteImage', () => {
  test('an image that is not there fails the task, as in Clouddriver', async () => {
    const id = await makeImage();
    await env.run([{ deleteImage: { credentials: ACCOUNT, region: REGION, imageId: id } }]);
    const gone = await env.run([{ deleteImage: { credentials: ACCOUNT, region: REGION, imageId: id } }]);
    expect(gone.task.status).toMatchObject({ completed: true, failed: true });
    expect(JSON.stringify(gone.task)).toContain(`The image id '[${id}]' does not exist`);
    expect(faults.calls('deregisterImageById', mentions(id))).toBe(1);
  });
});
