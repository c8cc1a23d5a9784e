import { ServiceError } from '@temporalio/client';
import { isTemporalUnavailable } from './http';

/** A gRPC error as @grpc/grpc-js raises it (isGrpcServiceError checks these fields). */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

describe('isTemporalUnavailable', () => {
  test.each([
    [1, 'CANCELLED: the facade per-request deadline cut the call'],
    [4, 'DEADLINE_EXCEEDED'],
    [8, 'RESOURCE_EXHAUSTED'],
    [14, 'UNAVAILABLE'],
  ])('gRPC %i (%s), also wrapped in the SDK ServiceError, is "Temporal did not answer"', (code, details) => {
    expect(isTemporalUnavailable(grpcError(code, details))).toBe(true);
    expect(isTemporalUnavailable(new ServiceError('Failed to start Workflow', { cause: grpcError(code, details) }))).toBe(true);
  });

  test.each([
    [3, 'INVALID_ARGUMENT'],
    [5, 'NOT_FOUND'],
    [6, 'ALREADY_EXISTS'],
    [7, 'PERMISSION_DENIED'],
  ])('gRPC %i (%s) is an answer, not unavailability', (code, details) => {
    expect(isTemporalUnavailable(grpcError(code, details))).toBe(false);
  });
});
