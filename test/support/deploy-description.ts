/** The createServerGroup description the deploy tests post, as Orca's deploy stage sends it. */
import { ACCOUNT, REGION } from '../harness';

/**
 * `application`'s `main` stack in us-east-1a, t3.micro instances from the image named `amiName`
 * (see `emulatorAl2023Image`), capacity min 1, desired 1, max 3; `fields` add to it or replace
 * what it says.
 */
export function deployDescription(application: string, amiName: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    credentials: ACCOUNT,
    application,
    stack: 'main',
    availabilityZones: { [REGION]: ['us-east-1a'] },
    capacity: { min: 1, max: 3, desired: 1 },
    amiName,
    instanceType: 't3.micro',
    ...fields,
  };
}
