/**
 * What the onboarding flag needs to know about a request, read leniently from the raw body:
 * routing happens before validation, because a request for an application that is not onboarded
 * must reach the legacy Clouddriver exactly as sent, even if Bosun's stricter schemas would
 * refuse it.
 */
import { parseServerGroupName } from '../../domain/frigga';

export interface OperationFacts {
  /** The key as posted (modern or legacy). */
  readonly key: string;
  readonly application: string | undefined;
  readonly account: string | undefined;
  /** Every region the operation acts in (a task is routed on each of them). */
  readonly regions: readonly string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : undefined);

/** The application of one description: `application`, `moniker.app`, else a Frigga-parsed group name. */
export function applicationOf(description: unknown): string | undefined {
  const d = obj(description);
  const named = str(d.application) ?? str(obj(d.moniker).app);
  if (named) return named;
  const names = [d.serverGroupName, d.asgName, obj(first(d.asgs)).serverGroupName, obj(d.source).asgName, obj(d.source).serverGroupName];
  for (const n of names) {
    const s = str(n);
    const parsed = s ? parseServerGroupName(s) : undefined;
    if (parsed) return parsed.app;
  }
  return undefined;
}

/** Keys under which Clouddriver names the account an operation acts in, when it is not `credentials`. */
const TARGET_ACCOUNT_FIRST = new Set(['allowLaunchDescription']);
const MAX_FACT_REGIONS = 50;

export function factsOf(key: string, description: unknown): OperationFacts {
  const d = obj(description);
  // allowLaunch acts in the target account (`targetAccount`, or `account` in its older form:
  // where the image will launch); `credentials` is only the image's owner.
  const account = TARGET_ACCOUNT_FIRST.has(key)
    ? (str(d.targetAccount) ?? str(d.account) ?? str(d.credentials))
    : (str(d.credentials) ?? str(d.account));
  const regions = new Set<string>();
  const add = (v: unknown) => {
    const s = str(v);
    if (s && regions.size < MAX_FACT_REGIONS) regions.add(s);
  };
  add(d.region);
  if (Array.isArray(d.regions)) d.regions.slice(0, MAX_FACT_REGIONS).forEach(add);
  Object.keys(obj(d.availabilityZones)).slice(0, MAX_FACT_REGIONS).forEach(add);
  if (Array.isArray(d.asgs)) d.asgs.slice(0, MAX_FACT_REGIONS * 4).forEach((a) => add(obj(a).region));
  add(obj(d.source).region);
  return { key, application: applicationOf(description), account, regions: [...regions] };
}

/**
 * The operations of a POST body, in order: the list form `[{"op": {…}}, …]` or, with the
 * operation in the path, one description. Undefined when the body has neither shape (the
 * validator then explains what is wrong).
 */
export function operationEntries(body: unknown, operationInPath?: string): [string, unknown][] | undefined {
  if (operationInPath !== undefined)
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? [[operationInPath, body]] : undefined;
  if (!Array.isArray(body)) return undefined;
  const entries: [string, unknown][] = [];
  for (const item of body) {
    if (!isRecord(item)) return undefined;
    entries.push(...Object.entries(item));
  }
  return entries;
}

/** One task, one route: the task's application is the header's, else the first one named. */
export function taskApplication(facts: readonly OperationFacts[], header?: string): string | undefined {
  return str(header) ?? facts.find((f) => f.application)?.application;
}
