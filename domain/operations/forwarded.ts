/**
 * Why Bosun forwards the Clouddriver operations it does not run, by the key the operations
 * reference lists them under (docs/reference/clouddriver-fields.json); any other is not run yet.
 */
const LAMBDA = 'AWS Lambda (clouddriver-lambda) is outside the services Bosun calls';

export const FORWARDED_WHY: Readonly<Record<string, string>> = {
  enableInstancesInDiscovery: 'Eureka/discovery: Bosun has no discovery integration',
  disableInstancesInDiscovery: 'Eureka/discovery: Bosun has no discovery integration',
  attachClassicLinkVpc: 'EC2-Classic ClassicLink, retired by AWS',
  createNetworkInterfaceDescription: 'no Orca stage sends it',
  upsertAmazonDNSDescription: 'Route 53 is outside the services Bosun calls',
  deployCloudFormation: 'CloudFormation is outside the services Bosun calls',
  deleteCloudFormation: 'CloudFormation is outside the services Bosun calls',
  deleteCloudFormationChangeSet: 'CloudFormation is outside the services Bosun calls',
  executeCloudFormationChangeSet: 'CloudFormation is outside the services Bosun calls',
  upsertEntityTags: "entity tags live in Clouddriver's Elasticsearch",
  deleteEntityTags: "entity tags live in Clouddriver's Elasticsearch",
  bulkUpsertEntityTagsDescription: "entity tags live in Clouddriver's Elasticsearch",
  ...Object.fromEntries(
    [
      'createLambdaFunction',
      'deleteLambdaFunction',
      'deleteLambdaFunctionEventMapping',
      'deleteLambdaProvisionedConcurrency',
      'deleteLambdaReservedConcurrency',
      'invokeLambdaFunction',
      'publishLambdaFunctionVersion',
      'putLambdaProvisionedConcurrency',
      'putLambdaReservedConcurrency',
      'updateLambdaFunctionCode',
      'updateLambdaFunctionConfiguration',
      'upsertLambdaFunctionAlias',
      'upsertLambdaFunctionEventMapping',
    ].map((key) => [key, LAMBDA]),
  ),
};

/** Lambda's operations (clouddriver-lambda) are accepted on /aws/ops but are not among the AWS provider's 45. */
export const LAMBDA_KEYS: readonly string[] = Object.keys(FORWARDED_WHY).filter((k) => FORWARDED_WHY[k] === LAMBDA);

/** Why a key Bosun does not run goes to the legacy Clouddriver (`GET /routing`, the operations reference). */
export function forwardedWhy(key: string): string {
  return FORWARDED_WHY[key] ?? FORWARDED_WHY[key.replace(/Description$/, '')] ?? 'not yet run on Bosun';
}
