/**
 * The OpenAPI description of what the facade serves, generated from the same zod schemas that
 * validate requests (operation descriptions from domain/operations, path and query parameters
 * from schemas.ts), so it cannot drift from what Bosun accepts.
 */
import { z } from 'zod';
import { operationCatalog, operationNames, operationSpecs } from '../../domain/operations';
import { opsQuery, routingQuery, taskParams } from './schemas';

function schemaOf(name: keyof typeof operationSpecs): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(operationSpecs[name].schema, { io: 'input', unrepresentable: 'any' });
  return json;
}

/** The parameters of a route's path or query string, from its zod schema. */
function parametersOf(schema: z.ZodObject, where: 'path' | 'query'): { name: string; in: string; required: boolean; schema: unknown }[] {
  const json = z.toJSONSchema(schema, { io: 'input' });
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

export function openApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const name of operationNames) schemas[name] = schemaOf(name);
  const legacy: Record<string, string> = Object.fromEntries(
    operationNames.flatMap((n) => operationCatalog[n].legacyKeys.map((k): [string, string] => [k, n])),
  );

  const operationList = {
    type: 'array',
    minItems: 1,
    items: {
      type: 'object',
      description: 'One operation: its name (modern or legacy key) mapped to its description.',
      minProperties: 1,
      properties: Object.fromEntries(
        [...operationNames.map((n): [string, string] => [n, n]), ...Object.entries(legacy)].map(([k, n]) => [
          k,
          { $ref: `#/components/schemas/${n}` },
        ]),
      ),
    },
  };
  const taskRef = { id: { type: 'string' }, resourceUri: { type: 'string' } };
  const accepted = {
    200: {
      description: 'the task was started, or already exists for this clientRequestId',
      content: { 'application/json': { schema: { type: 'object', properties: taskRef } } },
    },
    400: {
      description:
        'invalid operation (`errors` names each bad field, at most 50), too many operations, JSON nested too deep, or a malformed clientRequestId',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    },
    401: { description: 'X-SPINNAKER-USER missing' },
    403: { description: 'an account outside X-SPINNAKER-ACCOUNTS (of this body, or of the task that already holds this clientRequestId)' },
    413: { description: 'body over the size limit' },
    500: { description: 'a Bosun bug; `requestId` finds its log line' },
    503: { description: 'the application is not onboarded and no legacy Clouddriver is configured, or Temporal is unreachable' },
  };
  const parameters = [
    ...parametersOf(opsQuery, 'query').map((p) => ({
      ...p,
      description: 'idempotency key (Orca sets it); answered from its task first, whatever the routing flag says',
    })),
    { name: 'X-SPINNAKER-USER', in: 'header', required: false, schema: { type: 'string' } },
    { name: 'X-SPINNAKER-ACCOUNTS', in: 'header', required: false, schema: { type: 'string' } },
    { name: 'X-SPINNAKER-APPLICATION', in: 'header', required: false, schema: { type: 'string' } },
  ];
  const opName = {
    name: 'operation',
    in: 'path',
    required: true,
    schema: { type: 'string', enum: [...operationNames, ...Object.keys(legacy)] },
  };
  const provider = { name: 'cloudProvider', in: 'path', required: true, schema: { type: 'string', enum: ['aws'] } };
  const listBody = { required: true, content: { 'application/json': { schema: operationList } } };
  const singleBody = {
    required: true,
    content: { 'application/json': { schema: { type: 'object', description: 'one description of the operation in the path' } } },
  };
  const [taskId] = parametersOf(taskParams, 'path');
  const taskAuth = {
    401: { description: 'X-SPINNAKER-USER missing' },
    403: { description: "an account of the task outside the caller's X-SPINNAKER-ACCOUNTS" },
  };

  return {
    openapi: '3.1.0',
    info: { title: 'Bosun Clouddriver-compatible facade', version: '1', description: 'Clouddriver operations as Temporal workflows.' },
    paths: {
      '/ops': {
        post: {
          summary: 'Run a list of operations as one task (deprecated Clouddriver path)',
          parameters,
          requestBody: listBody,
          responses: accepted,
        },
      },
      '/ops/{operation}': {
        post: { summary: 'Run one operation', parameters: [...parameters, opName], requestBody: singleBody, responses: accepted },
      },
      '/{cloudProvider}/ops': {
        post: {
          summary: 'Run a list of operations as one task',
          parameters: [...parameters, provider],
          requestBody: listBody,
          responses: accepted,
        },
      },
      '/{cloudProvider}/ops/{operation}': {
        post: { summary: 'Run one operation', parameters: [...parameters, provider, opName], requestBody: singleBody, responses: accepted },
      },
      '/task': {
        get: {
          summary: "Running tasks on the caller's X-SPINNAKER-ACCOUNTS",
          responses: {
            200: {
              description: 'list of tasks',
              content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Task' } } } },
            },
          },
        },
      },
      '/task/{id}': {
        get: {
          summary: "A task, in Clouddriver's shape",
          parameters: [taskId],
          responses: {
            200: { description: 'the task', content: { 'application/json': { schema: { $ref: '#/components/schemas/Task' } } } },
            404: { description: 'unknown task' },
          },
        },
      },
      '/task/{id}:resume': {
        post: {
          summary: 'Run a retryably failed task again',
          parameters: [taskId],
          responses: {
            200: { description: 'resumed' },
            400: { description: 'not retryable' },
            ...taskAuth,
            404: { description: 'unknown task' },
          },
        },
      },
      '/task/{id}/cancel': {
        post: {
          summary: 'Bosun extension: cancel a running task (it compensates)',
          parameters: [taskId],
          responses: { 202: { description: 'cancel requested' }, ...taskAuth, 404: { description: 'unknown task' } },
        },
      },
      ...Object.fromEntries(
        (['approve', 'rollback', 'skipWait'] as const).map((action) => [
          `/task/{id}/${action}`,
          {
            post: {
              summary: {
                approve: 'Bosun extension: approve the open approval gate of a deployWithStrategy task',
                rollback: 'Bosun extension: roll a deployWithStrategy task back (only before its commit point)',
                skipWait: 'Bosun extension: end the delay or sleep a deployWithStrategy task waits in',
              }[action],
              parameters: [taskId],
              requestBody: {
                required: false,
                content: {
                  'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 1000 } } } },
                },
              },
              responses: {
                200: { description: 'accepted by the workflow' },
                400: { description: 'not a deployWithStrategy task, or a bad body' },
                ...taskAuth,
                404: { description: 'unknown task' },
                409: {
                  description: 'refused: no gate open, the commit point has passed, or the task has finished (the message says which)',
                },
              },
            },
          },
        ]),
      ),
      '/routing': {
        get: {
          summary: 'Bosun extension: where a request would go, and the rule that decided',
          parameters: parametersOf(routingQuery, 'query'),
          responses: { 200: { description: 'the decision' } },
        },
      },
      '/health': {
        get: {
          summary: "Health, with the onboarding flag file's state",
          responses: { 200: { description: 'up' }, 503: { description: 'degraded' } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
    },
    components: {
      schemas: {
        ...schemas,
        Error: {
          type: 'object',
          properties: {
            status: { type: 'integer' },
            error: { type: 'string' },
            message: { type: 'string' },
            errors: { type: 'array', items: { type: 'string' } },
            path: { type: 'string' },
            requestId: { type: 'string' },
          },
        },
        Task: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            requestId: { type: ['string', 'null'] },
            ownerId: { type: 'string' },
            startTimeMs: { type: 'integer' },
            status: {
              type: 'object',
              properties: {
                phase: { type: 'string' },
                status: { type: 'string' },
                complete: { type: 'boolean' },
                completed: { type: 'boolean' },
                failed: { type: 'boolean' },
                retryable: { type: 'boolean' },
              },
            },
            history: { type: 'array', items: { type: 'object', properties: { phase: { type: 'string' }, status: { type: 'string' } } } },
            resultObjects: { type: 'array', items: { type: 'object' } },
            retryable: { type: 'boolean' },
          },
        },
      },
    },
  };
}
