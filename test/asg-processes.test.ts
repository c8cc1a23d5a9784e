/**
 * suspendAsgProcessesDescription and resumeAsgProcessesDescription end to end: posted to the
 * facade over HTTP (on the deprecated `/ops` path too, which Orca still uses for them), run by a
 * real worker on the real Temporal dev server, and read back from moto.
 */
import { SuspendProcessesCommand } from '@aws-sdk/client-auto-scaling';
import { mentions } from './faults';
import { ACCOUNT, AS_ORCA, REGION, testAwsClients, uniqueName, useOrcaTestEnv } from './harness';
import { badRequestErrors } from './support/orca-client';
import { asgsRef, makeServerGroup, suspendedProcessesOf } from './support/server-group';

const { env, faults } = useOrcaTestEnv();

/** A one-instance group with `suspended` processes already suspended. */
async function makeGroup(prefix: string, suspended: string[] = []): Promise<string> {
  const { name } = await makeServerGroup(env, { prefix, min: 1, max: 1, desired: 1 });
  if (suspended.length > 0) {
    await testAwsClients(env.aws).autoScaling.send(
      new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: suspended }),
    );
  }
  return name;
}

const suspendedProcesses = (name: string) => suspendedProcessesOf(testAwsClients(env.aws), name);

/** Runs `op` (a suspend or a resume) on `processes` of the group, in the test account and region. */
const processesOp = (op: string, name: string, processes: string[]) =>
  env.run([{ [op]: { credentials: ACCOUNT, region: REGION, serverGroupName: name, processes } }]);

const statuses = (task: { history: { status: string }[] }) => task.history.map((h) => h.status);

test('suspendAsgProcessesDescription on the legacy /ops path suspends exactly the named processes', async () => {
  const name = await makeGroup('susp', ['ScheduledActions']);

  const { id, task } = await env.run(
    [
      {
        suspendAsgProcessesDescription: {
          credentials: ACCOUNT,
          asgName: name,
          regions: [REGION],
          processes: ['AZRebalance', 'Launch', 'ScheduledActions'],
        },
      },
    ],
    { path: '/ops' },
  );

  expect(task.status).toMatchObject({ completed: true, failed: false, retryable: false });
  expect(task.history).toEqual(
    expect.arrayContaining([
      {
        phase: 'SUSPEND_ASG_PROCESSES',
        status: `Suspending 2 processes of ${name} in ${REGION}: AZRebalance, Launch (ScheduledActions already suspended)`,
      },
      { phase: 'SUSPEND_ASG_PROCESSES', status: `AZRebalance, Launch, ScheduledActions of ${name} in ${REGION} are suspended` },
    ]),
  );
  expect(statuses(task).at(-1)).toBe('Orchestration completed.');
  expect(await suspendedProcesses(name)).toEqual(['AZRebalance', 'Launch', 'ScheduledActions']);
  const desc = await env.client.workflow.getHandle(id).describe();
  expect(desc.type).toBe('suspendAsgProcessesDescription');
  expect(await desc.staticSummary()).toBe(`suspend AZRebalance, Launch, ScheduledActions of ${name} in ${REGION}`);
});

test('resumeAsgProcessesDescription resumes only the named processes of every group listed in asgs', async () => {
  const first = await makeGroup('resa', ['Launch', 'Terminate', 'AZRebalance']);
  const second = await makeGroup('resb', ['Launch']);

  const { task } = await env.run([
    {
      resumeAsgProcessesDescription: {
        ...asgsRef(first, second),
        processes: ['Launch', 'AZRebalance'],
      },
    },
  ]);

  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(task.history).toEqual(
    expect.arrayContaining([
      { phase: 'RESUME_ASG_PROCESSES', status: `Resuming 2 processes of ${first} in ${REGION}: Launch, AZRebalance` },
      { phase: 'RESUME_ASG_PROCESSES', status: `Resuming 1 process of ${second} in ${REGION}: Launch (AZRebalance not suspended)` },
    ]),
  );
  expect(await suspendedProcesses(first)).toEqual(['Terminate']);
  expect(await suspendedProcesses(second)).toEqual([]);
});

test('a suspend and a resume whose answers were lost run again and end in the same state', async () => {
  const name = await makeGroup('lost', ['HealthCheck']);
  faults.loseAnswer('suspendProcesses', mentions(name)).loseAnswer('resumeProcesses', mentions(name));

  const suspended = await processesOp('suspendAsgProcessesDescription', name, ['Terminate', 'AlarmNotification']);
  expect(suspended.task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('suspendProcesses', mentions(name))).toBe(2);
  expect(await suspendedProcesses(name)).toEqual(['AlarmNotification', 'HealthCheck', 'Terminate']);

  const resumed = await processesOp('resumeAsgProcessesDescription', name, ['HealthCheck', 'Terminate']);
  expect(resumed.task.status).toMatchObject({ completed: true, failed: false });
  expect(faults.calls('resumeProcesses', mentions(name))).toBe(2);
  expect(await suspendedProcesses(name)).toEqual(['AlarmNotification']);
});

test('processes already in the asked state make a successful task that calls nothing', async () => {
  const name = await makeGroup('noop', ['Launch']);
  const { task } = await processesOp('suspendAsgProcessesDescription', name, ['Launch']);
  expect(task.status).toMatchObject({ completed: true, failed: false });
  expect(statuses(task)).toContain(`Launch of ${name} in ${REGION} already suspended; nothing to do`);
  expect(faults.calls('suspendProcesses', mentions(name))).toBe(0);
});

test.each([
  ['suspendAsgProcessesDescription', 'suspend'],
  ['resumeAsgProcessesDescription', 'resume'],
])('%s on a missing group fails the task with ServerGroupNotFound naming group, region and account', async (op, verb) => {
  const name = `${uniqueName('ghost')}-v001`;
  const { task } = await processesOp(op, name, ['Launch']);

  expect(task.status).toMatchObject({ completed: true, failed: true, retryable: false });
  const exception = task.resultObjects.find((r) => r.type === 'EXCEPTION');
  expect(exception).toMatchObject({ operation: op, cause: 'ServerGroupNotFound', retryable: false });
  expect(exception?.message).toBe(`cannot ${verb} processes of ${name} in ${REGION}: no such server group in account ${ACCOUNT}`);
  expect(statuses(task).at(-1)).toMatch(new RegExp(`^Orchestration failed: ${op} \\| ServerGroupNotFound: \\[`));
  expect(faults.calls(verb === 'suspend' ? 'suspendProcesses' : 'resumeProcesses', mentions(name))).toBe(0);
});

test('an unknown, empty or missing process list is a 400 that names the field and the bad name', async () => {
  const ref = { credentials: ACCOUNT, region: REGION, serverGroupName: 'app-v001' };
  const errors = await badRequestErrors(
    `${env.facadeUrl}/ops`,
    [
      { suspendAsgProcessesDescription: { ...ref, processes: ['Launch', 'Lunch'] } },
      { resumeAsgProcessesDescription: { ...ref, processes: [] } },
      { resumeAsgProcessesDescription: ref },
    ],
    AS_ORCA,
  );
  expect(errors).toEqual(
    expect.arrayContaining([
      "[0].suspendAsgProcessesDescription.processes.1: 'Lunch' is not an Auto Scaling process (one of Launch, Terminate, HealthCheck, ReplaceUnhealthy, AZRebalance, AlarmNotification, ScheduledActions, AddToLoadBalancer, InstanceRefresh)",
      '[1].resumeAsgProcessesDescription.processes: must name at least one process',
      '[2].resumeAsgProcessesDescription.processes: is required',
    ]),
  );
});
